"""Log signatures as CSV: ``GET /api/v1/signatures?format=csv`` and the signatures page's "Export
CSV" link, every signature of the list's filters in its order (no paging), with the cases and
services counted once per chunk, formula cells neutralised (core.csvexport); customers and
partners get nothing; another format is a 422 naming ``format``."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from tests import factories
from tests.occurrences.test_signatures_api import seen
from tests.sprints.helpers import client_for

from casebridge.occurrences.models import Signature
from casebridge.occurrences.signatures import CSV_HEADER

pytestmark = pytest.mark.django_db
__all__ = ["seen"]  # the fixture, shared with the JSON list's tests


def _rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="signatures-')
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_the_api_exports_every_signature_with_its_counts(api: Any, seen: dict[str, Any]) -> None:
    moment = datetime(2024, 5, 2, tzinfo=UTC)
    Signature.objects.create(
        id="f" * 16, template="=cmd|' /C calc'!A0", first_seen=moment, last_seen=moment
    )
    rows = _rows(api("l2").get("/signatures", format="csv", limit=1))
    assert list(rows[0]) == list(CSV_HEADER)
    listed = api("l2").get("/signatures", limit=200).json()["items"]
    assert [r["id"] for r in rows] == [i["id"] for i in listed]
    refused = next(r for r in rows if r["id"] == seen["refused"].pk)
    assert (refused["level"], refused["lines"], refused["cases"], refused["services"]) == (
        "error",
        "4",
        "2",
        "2",
    )
    formula = next(r for r in rows if r["id"] == "f" * 16)
    assert formula["template"] == "'=cmd|' /C calc'!A0" and formula["cases"] == "0"
    notable = _rows(api("l2").get("/signatures", format="csv", notable=True))
    assert [r["id"] for r in notable] == [seen["refused"].pk]
    by_case = _rows(api("l2").get("/signatures", format="csv", case=seen["search"].key))
    assert len(by_case) == 2


def test_the_counts_cost_one_query_per_chunk(api: Any, seen: dict[str, Any]) -> None:
    response = api("l2").get("/signatures", format="csv")
    with CaptureQueriesContext(connection) as queries:
        assert len(_rows(response)) == 2
    sql = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("PRAGMA")]
    assert len(sql) == 2  # the signatures, then their cases and services counted once


def test_the_page_links_the_export_with_its_filters(
    world: factories.World, seen: dict[str, Any]
) -> None:
    client = client_for(world, "l2")
    page = client.get("/signatures/", {"q": "refused"}).content.decode()
    assert 'href="/signatures/export.csv?q=refused"' in page
    rows = _rows(client.get("/signatures/export.csv", {"q": "refused"}))
    assert [r["id"] for r in rows] == [seen["refused"].pk]
    assert len(_rows(client.get("/signatures/export.csv", {"all": "1"}))) == 2


def test_customers_and_partners_get_nothing_and_a_bad_format_is_a_422(
    api: Any, world: factories.World, seen: dict[str, Any]
) -> None:
    for who in ("cust_a", "cust_b", "partner"):
        assert _rows(api(who).get("/signatures", format="csv")) == []
        page = client_for(world, who).get("/signatures/export.csv")
        assert page.status_code in {302, 403, 404}
        assert not isinstance(page, StreamingHttpResponse)
    response = api("l2").get("/signatures", format="bogus")
    assert response.status_code == 422
    assert "format" in response.content.decode()
