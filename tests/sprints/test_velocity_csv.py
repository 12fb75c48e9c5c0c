"""The velocity report as CSV: the API's ``GET /sprints/velocity?format=csv`` and the page's
"Export CSV" link, one closed sprint a row (the page's table), for internal staff only, through
core.csvexport."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.http import StreamingHttpResponse

from casebridge.sprints.serializers import VELOCITY_CSV_HEADER
from casebridge.sprints.services import sprint_close
from tests import factories
from tests.sprints.helpers import bug, client_for, schedule, sprints

pytestmark = pytest.mark.django_db


def _rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="velocity-core-team-')
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def closed(world: factories.World, monday: Any) -> str:
    current, _ = sprints(world)
    schedule(world, bug(world, "Refund stuck", "major", 5), current)  # added, not committed
    sprint_close(actor=world["rte"], sprint=current)
    return current.name


def test_the_api_and_the_page_export_one_closed_sprint_a_row(
    api: Any, world: factories.World, closed: str
) -> None:
    rows = _rows(api("rte").get("/sprints/velocity", team="core-team", format="csv"))
    assert list(rows[0]) == list(VELOCITY_CSV_HEADER)
    assert [(r["sprint"], r["done"], r["added"], r["carried_over"]) for r in rows] == [
        (closed, "0", "5", "5")
    ]
    assert rows[0]["predictability"] == ""  # nothing committed: no figure, not 0
    json_rows = api("rte").get("/sprints/velocity", team="core-team").json()["sprints"]
    assert [str(r["id"]) for r in json_rows] == [r["sprint_id"] for r in rows]
    client = client_for(world, "rte")
    page = client.get("/sprints/core-team/velocity/").content.decode()
    assert 'href="/sprints/core-team/velocity/export.csv"' in page
    assert _rows(client.get("/sprints/core-team/velocity/export.csv")) == rows


def test_customers_and_partners_get_no_velocity_and_a_bad_format_is_a_422(
    api: Any, world: factories.World, closed: str
) -> None:
    for who in ("cust_a", "partner"):
        response = api(who).get("/sprints/velocity", team="core-team", format="csv")
        assert response.status_code in {403, 404}
        assert not isinstance(response, StreamingHttpResponse)
        page = client_for(world, who).get("/sprints/core-team/velocity/export.csv")
        assert page.status_code in {302, 403, 404}
        assert not isinstance(page, StreamingHttpResponse)
    response = api("rte").get("/sprints/velocity", team="core-team", format="bogus")
    assert response.status_code == 422
    assert "format" in response.content.decode()
