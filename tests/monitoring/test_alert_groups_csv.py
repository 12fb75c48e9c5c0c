"""Alert groups as CSV: ``GET /api/v1/alert-groups?format=csv`` gives every group of the list's
filters (status, service) in its order, without the JSON list's limit, through core.csvexport
(formula cells neutralised); customers and partners get nothing; another format is a 422."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
import time_machine
from django.http import StreamingHttpResponse

from casebridge.monitoring.models import AlertGroup
from casebridge.monitoring.selectors import CSV_HEADER
from casebridge.monitoring.services import anomaly_report
from tests import factories

pytestmark = pytest.mark.django_db


def _rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="alert-groups-')
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def groups(world: factories.World) -> list[AlertGroup]:
    made = []
    for minute, (service, summary) in enumerate(
        [
            ("payments", "Checkout p99 latency doubled"),
            ("search", "=HYPERLINK(evil)"),
            ("payments", "Refund queue stuck"),
        ]
    ):
        with time_machine.travel(f"2026-11-23 10:0{minute}Z", tick=False):
            made.append(
                anomaly_report(actor=world["l2"], service=world.services[service], summary=summary)
            )
    resolved_at = made[2].last_seen
    AlertGroup.objects.filter(pk=made[2].pk).update(status="resolved", resolved_at=resolved_at)
    return made


def test_the_api_exports_the_lists_groups_without_its_limit(
    api: Any, world: factories.World, groups: list[AlertGroup]
) -> None:
    rows = _rows(api("l2").get("/alert-groups", format="csv", limit=1))
    assert list(rows[0]) == list(CSV_HEADER)
    listed = [g["key"] for g in api("l2").get("/alert-groups", limit=200).json()]
    assert [r["key"] for r in rows] == listed == [groups[1].key, groups[0].key]
    first = next(r for r in rows if r["key"] == groups[0].key)
    assert (first["kind"], first["service"], first["reporter"]) == ("anomaly", "payments", "l2")
    assert groups[0].case is not None and first["case"] == groups[0].case.key
    assert first["first_seen"].startswith("2026-11-23T10:00")
    formula = next(r for r in rows if r["key"] == groups[1].key)
    assert formula["title"].startswith("'=")
    every = _rows(api("l2").get("/alert-groups", format="csv", status="all"))
    assert {r["key"] for r in every} == {g.key for g in groups}
    resolved = _rows(api("l2").get("/alert-groups", format="csv", status="resolved"))
    assert [r["key"] for r in resolved] == [groups[2].key]
    search = _rows(api("l2").get("/alert-groups", format="csv", service="search"))
    assert [r["key"] for r in search] == [groups[1].key]


def test_customers_and_partners_get_nothing_and_a_bad_format_is_a_422(
    api: Any, world: factories.World, groups: list[AlertGroup]
) -> None:
    for who in ("cust_a", "partner"):
        assert _rows(api(who).get("/alert-groups", format="csv", status="all")) == []
    response = api("l2").get("/alert-groups", format="bogus")
    assert response.status_code == 422
    assert "format" in response.content.decode()
