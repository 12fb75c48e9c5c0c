"""Flow metrics as CSV (API ?format=csv and the page's link): one figure a row, the same figures
as the JSON, internal only, a bad format a 422 naming the field."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
import time_machine
from django.test import Client

from casebridge.reporting.schemas import FLOW_CSV_HEADER
from tests import factories
from tests.reporting.test_flow import END, START, history

pytestmark = pytest.mark.django_db
WINDOW = {"start": START.isoformat(), "end": END.isoformat()}
__all__ = ["history"]  # the constructed history of test_flow, used as a fixture here


def _rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="flow-')
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def _value(rows: list[dict[str, str]], metric: str, subject: str = "") -> str:
    (row,) = [r for r in rows if r["metric"] == metric and r["subject"] == subject]
    return row["value"]


def test_the_api_exports_the_same_figures_as_the_json(
    api: Any, world: factories.World, history: dict[str, str]
) -> None:
    rows = _rows(api("rte").get("/reports/flow", format="csv", **WINDOW))
    assert list(rows[0]) == list(FLOW_CSV_HEADER)
    body = api("rte").get("/reports/flow", **WINDOW).json()
    assert _value(rows, "throughput") == str(body["throughput"]) == "2"
    assert _value(rows, "flow_efficiency") == "0.571"
    assert _value(rows, "cycle_time_hours_median") == "84.0"
    assert _value(rows, "predictability_overall") == "0.375"
    (sprint,) = body["predictability"]
    assert _value(rows, "sprint_committed", sprint["sprint"]) == "8"
    assert _value(rows, "sprint_predictability", sprint["sprint"]) == "0.375"
    assert _value(rows, "stage_wip", "in_progress") == "1"
    weekly = [r["value"] for r in rows if r["metric"] == "throughput_weekly"]
    assert weekly == ["2", "0"]
    assert len([r for r in rows if r["metric"] == "wip_daily"]) == len(body["wip_daily"])


def test_the_page_links_its_export_with_its_filters(
    world: factories.World, history: dict[str, str]
) -> None:
    client = Client()
    client.force_login(world["rte"])
    with time_machine.travel(END, tick=False):
        page = client.get("/reports/flow/", {"days": "14"}).content.decode()
        assert 'href="/reports/flow/export.csv?days=14"' in page
        rows = _rows(client.get("/reports/flow/export.csv", {"days": "14"}))
    assert _value(rows, "throughput") == "2" and _value(rows, "flow_efficiency") == "0.571"


def test_customers_get_no_flow_and_bad_formats_are_refused(
    api: Any, world: factories.World
) -> None:
    assert api("cust_a").get("/reports/flow", format="csv").status_code == 404
    response = api("rte").get("/reports/flow", format="ods")
    assert response.status_code == 422 and "format" in response.content.decode()
    client = Client()
    client.force_login(world["cust_a"])
    assert client.get("/reports/flow/export.csv").status_code in {302, 403, 404}
