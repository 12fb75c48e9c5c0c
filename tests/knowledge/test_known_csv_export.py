"""The knowledge base as CSV: ``GET /api/v1/known-resolutions?format=csv`` and the list page's
"Export CSV" link, every match of the search (no limit) in the list's order, the services per
chunk, formula cells neutralised (core.csvexport); customers and partners get nothing."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

from casebridge.knowledge.selectors import CSV_HEADER
from casebridge.knowledge.services import known_resolution_create
from tests import factories
from tests.knowledge.test_known_resolutions import entry
from tests.sprints.helpers import client_for

pytestmark = pytest.mark.django_db


def _rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="known-resolutions-')
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def fixes(world: factories.World) -> list[str]:
    made = [
        known_resolution_create(actor=world["l2"], data=entry(world)),
        known_resolution_create(
            actor=world["dev1"],
            data=entry(
                world,
                title="=HYPERLINK(evil)",
                symptoms="Search is empty",
                fix_kind="workaround",
                services=[world.services["search"], world.services["payments"]],
            ),
        ),
        known_resolution_create(
            actor=world["l2"], data=entry(world, title="Reindex", symptoms="Stale results")
        ),
    ]
    return [k.key for k in made]


def test_the_api_exports_every_match_with_services_and_no_formula(
    api: Any, world: factories.World, fixes: list[str]
) -> None:
    rows = _rows(api("l2").get("/known-resolutions", format="csv", limit=1))
    assert list(rows[0]) == list(CSV_HEADER)
    listed = [k["key"] for k in api("l2").get("/known-resolutions", limit=200).json()]
    assert [r["key"] for r in rows] == listed and sorted(listed) == sorted(fixes)
    formula = next(r for r in rows if r["key"] == fixes[1])
    assert formula["title"] == "'=HYPERLINK(evil)"
    assert formula["services"] == "payments search" and formula["fix_kind"] == "workaround"
    assert formula["created_by"] == "dev1" and formula["applied"] == "0"
    searched = _rows(api("l2").get("/known-resolutions", format="csv", q="stale"))
    assert [r["key"] for r in searched] == [fixes[2]]
    by_service = _rows(api("l2").get("/known-resolutions", format="csv", service="search"))
    assert [r["key"] for r in by_service] == [fixes[1]]


def test_the_services_cost_one_query_per_chunk(
    api: Any, world: factories.World, fixes: list[str]
) -> None:
    response = api("l2").get("/known-resolutions", format="csv")
    with CaptureQueriesContext(connection) as queries:
        assert len(_rows(response)) == 3
    services = [q for q in queries.captured_queries if "services" in q["sql"]]
    assert len(services) == 1


def test_the_page_links_the_export_with_its_search(
    world: factories.World, fixes: list[str]
) -> None:
    client = client_for(world, "l2")
    page = client.get("/knowledge/", {"q": "stale"}).content.decode()
    assert 'href="/knowledge/export.csv?q=stale"' in page
    assert [r["key"] for r in _rows(client.get("/knowledge/export.csv", {"q": "stale"}))] == [
        fixes[2]
    ]
    assert len(_rows(client.get("/knowledge/export.csv"))) == 3


def test_customers_and_partners_get_nothing_and_a_bad_format_is_a_422(
    api: Any, world: factories.World, fixes: list[str]
) -> None:
    for who in ("cust_a", "partner"):
        assert _rows(api(who).get("/known-resolutions", format="csv")) == []
        page = client_for(world, who).get("/knowledge/export.csv")
        assert page.status_code in {302, 403, 404}
        assert not isinstance(page, StreamingHttpResponse)
    response = api("l2").get("/known-resolutions", format="bogus")
    assert response.status_code == 422
    assert "format" in response.content.decode()
