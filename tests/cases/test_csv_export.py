"""CSV exports of the case list: the API's ?format=csv and the queue page's link, every row the
viewer may see with the page's filters, nothing a customer may not read, no formula cells."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client

from casebridge.cases.models import Case
from casebridge.cases.selectors import CSV_HEADER
from tests import factories


def _rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="cases-')
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def cases(world: factories.World) -> list[Case]:
    made = [factories.make_case(world, title=f"Checkout {n}") for n in range(60)]
    made.append(factories.make_case(world, org="b", title='=HYPERLINK("http://evil")'))
    Case.objects.filter(pk=made[0].pk).update(owner=world["l2"])
    return made


def test_the_api_exports_every_matching_case_not_one_page(
    api: Any, world: factories.World, cases: list[Case]
) -> None:
    rows = _rows(api("l2").get("/cases", format="csv", limit=10))
    assert list(rows[0]) == list(CSV_HEADER)
    assert len(rows) == 61
    assert rows[0]["key"] == cases[0].key and rows[0]["owner"] == "l2"
    assert rows[0]["service"] == "payments" and rows[0]["created_at"].startswith("20")
    only_b = _rows(api("l2").get("/cases", format="csv", organisation=world.orgs["b"].slug))
    assert [r["key"] for r in only_b] == [cases[-1].key]


def test_a_formula_is_written_as_text(api: Any, world: factories.World, cases: list[Case]) -> None:
    rows = _rows(api("l2").get("/cases", format="csv", organisation=world.orgs["b"].slug))
    assert rows[0]["title"] == '\'=HYPERLINK("http://evil")'


def test_a_customer_exports_only_their_organisation_and_no_staff(
    api: Any, world: factories.World, cases: list[Case]
) -> None:
    rows = _rows(api("cust_a").get("/cases", format="csv"))
    assert len(rows) == 60
    assert {r["organisation"] for r in rows} == {world.orgs["a"].slug}
    assert all(r["owner"] == "" and r["work_item"] == "" for r in rows)


def test_an_unknown_format_is_a_422_naming_the_field(api: Any, cases: list[Case]) -> None:
    response = api("l2").get("/cases", format="xlsx")
    assert response.status_code == 422
    assert "format" in response.content.decode()


def test_the_queue_page_links_its_export_with_its_filters(
    world: factories.World, cases: list[Case]
) -> None:
    client = Client()
    client.force_login(world["l2"])
    page = client.get("/cases/", {"state": "all", "owner": "me"}).content.decode()
    assert 'href="/cases/export.csv?state=all&amp;owner=me"' in page
    rows = _rows(client.get("/cases/export.csv", {"state": "all", "owner": "me"}))
    assert [r["key"] for r in rows] == [cases[0].key]
    assert len(_rows(client.get("/cases/export.csv", {"state": "all"}))) == 61


def test_the_export_page_is_for_staff(world: factories.World, cases: list[Case]) -> None:
    client = Client()
    client.force_login(world["cust_a"])
    assert client.get("/cases/export.csv").status_code in {302, 403, 404}


def test_an_export_holds_sqlite_page_cache_small_and_restores_it(
    api: Any, world: factories.World, cases: list[Case], monkeypatch: Any
) -> None:
    from django.db import connection

    from casebridge.core import csvexport

    monkeypatch.setattr(csvexport, "BLOCK_ROWS", 1)
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's page cache only")

    def cache_size() -> int:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            return int(cursor.fetchone()[0])

    before = cache_size()
    response = api("l2").get("/cases", format="csv")
    blocks = iter(response.streaming_content)
    next(blocks)
    assert cache_size() == -2048  # while the rows stream
    assert sum(b.count(b"\n") for b in blocks) == 60
    assert cache_size() == before
