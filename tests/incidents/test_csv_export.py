"""The incident list as CSV: ?format=csv on the API and the page's link, every matching incident
(the list shows 200), internal only, formula cells neutralised, a bad format a 422."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client

from casebridge.incidents.models import Incident
from casebridge.incidents.selectors import CSV_HEADER
from tests import factories
from tests.incidents.test_incidents import declare

pytestmark = pytest.mark.django_db


def _rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="incidents-')
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def incidents(world: factories.World) -> list[Incident]:
    return [
        declare(world, title="Card payments fail"),
        declare(world, title="@SUM(A1:A9) search down", severity="sev3"),
    ]


def test_the_api_exports_every_incident_with_its_filters(
    api: Any, world: factories.World, incidents: list[Incident]
) -> None:
    rows = _rows(api("l2").get("/incidents", format="csv"))
    assert list(rows[0]) == list(CSV_HEADER)
    assert [r["key"] for r in rows] == [incidents[1].key, incidents[0].key]
    assert rows[1]["lead"] == "dev3" and rows[1]["case"] == incidents[0].case.key
    assert rows[0]["title"] == "'@SUM(A1:A9) search down"
    sev3 = _rows(api("l2").get("/incidents", format="csv", severity="sev3"))
    assert [r["key"] for r in sev3] == [incidents[1].key]


def test_customers_get_none_and_a_bad_format_is_a_422(
    api: Any, world: factories.World, incidents: list[Incident]
) -> None:
    assert _rows(api("cust_a").get("/incidents", format="csv")) == []
    response = api("l2").get("/incidents", format="xml")
    assert response.status_code == 422 and "format" in response.content.decode()


def test_the_list_page_links_its_export(world: factories.World, incidents: list[Incident]) -> None:
    client = Client()
    client.force_login(world["l2"])
    page = client.get("/incidents/", {"severity": "sev3"}).content.decode()
    assert 'href="/incidents/export.csv?severity=sev3"' in page
    rows = _rows(client.get("/incidents/export.csv", {"severity": "sev3"}))
    assert [r["key"] for r in rows] == [incidents[1].key]
    customer = Client()
    customer.force_login(world["cust_a"])
    assert customer.get("/incidents/export.csv").status_code in {302, 403, 404}
