"""CSV exports of work items, a sprint's contents and a team's backlog: the API's ?format=csv and
the pages' links, every row the viewer may see with the list's filters, streamed, one query per
chunk for the assignees, no formula cells (the writer is core.csvexport, shared with cases)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

from casebridge.core import csvexport
from casebridge.workitems.models import WorkItem
from casebridge.workitems.selectors import CSV_HEADER
from tests import factories
from tests.sprints.helpers import bug, client_for, feature, schedule, sprints


def _rows(response: Any, name: str = "work-items") -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(f'attachment; filename="{name}-')
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def items(world: factories.World) -> dict[str, WorkItem]:
    current, _ = sprints(world)
    made = {
        "planned": schedule(world, bug(world, "Checkout 502", estimate=3), current),
        "formula": bug(world, "=cmd|' /C calc'!A0", priority="critical"),
        "feature": feature(world, "Export to CSV"),
    }
    made["planned"].assignees.set([world["dev3"], world["dev2"]])
    return made


def test_the_api_exports_every_item_with_assignees_and_no_paging(
    api: Any, world: factories.World, items: dict[str, WorkItem]
) -> None:
    rows = _rows(api("rte").get("/work-items", format="csv", limit=1))
    assert list(rows[0]) == list(CSV_HEADER)
    assert {r["key"] for r in rows} == {i.key for i in items.values()}
    planned = next(r for r in rows if r["key"] == items["planned"].key)
    assert planned["assignees"] == "dev2 dev3"
    assert planned["sprint"] == "Sprint 1" and planned["team"] in {"", "core-team"}
    assert planned["estimate"] == "3" and planned["created_at"].startswith("20")


def test_the_lists_filters_apply_and_a_sprint_exports_its_contents(
    api: Any, world: factories.World, items: dict[str, WorkItem]
) -> None:
    features = _rows(api("rte").get("/work-items", format="csv", category="feature"))
    assert [r["key"] for r in features] == [items["feature"].key]
    sprint = items["planned"].sprint
    assert sprint is not None
    contents = _rows(api("rte").get("/work-items", format="csv", sprint=sprint.pk))
    assert [r["key"] for r in contents] == [items["planned"].key]
    mine = _rows(api("dev3").get("/work-items", format="csv", assignee="me"))
    assert [r["key"] for r in mine] == [items["planned"].key]


def test_a_formula_title_is_written_as_text(
    api: Any, world: factories.World, items: dict[str, WorkItem]
) -> None:
    rows = _rows(api("rte").get("/work-items", format="csv", priority="critical"))
    assert rows[0]["title"] == "'=cmd|' /C calc'!A0"


def test_customers_and_partners_export_no_work_item(
    api: Any, world: factories.World, items: dict[str, WorkItem]
) -> None:
    for who in ("cust_a", "partner"):
        assert _rows(api(who).get("/work-items", format="csv")) == []


def test_the_export_streams_in_blocks_with_one_assignee_query_per_chunk(
    api: Any, world: factories.World, items: dict[str, WorkItem], monkeypatch: Any
) -> None:
    monkeypatch.setattr(csvexport, "BLOCK_ROWS", 1)
    response = api("rte").get("/work-items", format="csv")
    with CaptureQueriesContext(connection) as few:
        blocks = list(response.streaming_content)
    assert len(blocks) == 3  # a row a block (the header goes with the first)
    assert blocks[0].startswith(b"key,category,")
    for n in range(5):
        bug(world, f"More {n}")
    response = api("rte").get("/work-items", format="csv")
    with CaptureQueriesContext(connection) as more:
        assert len(list(response.streaming_content)) == 8
    reads = [q["sql"] for q in more.captured_queries if not q["sql"].startswith("PRAGMA")]
    assert len(more) == len(few) and len(reads) == 2  # the rows, then the chunk's assignees


def test_an_unknown_format_or_category_is_a_422_naming_the_field(
    api: Any, items: dict[str, WorkItem]
) -> None:
    response = api("rte").get("/work-items", format="xlsx")
    assert response.status_code == 422 and "format" in response.content.decode()
    response = api("rte").get("/work-items", format="csv", category="epic")
    assert response.status_code == 422 and "category" in response.content.decode()


def test_the_list_page_and_the_sprint_board_link_their_exports(
    world: factories.World, items: dict[str, WorkItem]
) -> None:
    client = client_for(world, "rte")
    page = client.get("/work-items/", {"category": "bug", "page": "1"}).content.decode()
    assert 'href="/work-items/export.csv?category=bug"' in page
    rows = _rows(client.get("/work-items/export.csv", {"category": "bug"}))
    assert {r["key"] for r in rows} == {items["planned"].key, items["formula"].key}
    sprint = items["planned"].sprint
    assert sprint is not None
    board = client.get(f"/sprints/{sprint.pk}/").content.decode()
    assert f'href="/work-items/export.csv?sprint={sprint.pk}"' in board
    contents = _rows(client.get("/work-items/export.csv", {"sprint": str(sprint.pk)}))
    assert [r["key"] for r in contents] == [items["planned"].key]


def test_the_export_pages_are_for_staff(world: factories.World, items: dict[str, WorkItem]) -> None:
    client = client_for(world, "cust_a")
    assert client.get("/work-items/export.csv").status_code in {302, 403, 404}
    assert client.get("/sprints/core-team/backlog/export.csv").status_code in {302, 403, 404}


def test_the_backlog_exports_in_rank_order_with_reasons(
    api: Any, world: factories.World, items: dict[str, WorkItem]
) -> None:
    rows = _rows(api("rte").get("/backlog/core-team", format="csv", limit=1), "backlog-core-team")
    page = api("rte").get("/backlog/core-team", limit=1000).json()
    assert [r["key"] for r in rows] == [i["key"] for i in page["items"]]
    assert [r["rank"] for r in rows] == [str(n) for n in range(1, len(rows) + 1)]
    assert all(r["reason"] for r in rows)
    page_rows = _rows(
        client_for(world, "rte").get("/sprints/core-team/backlog/export.csv"), "backlog-core-team"
    )
    assert page_rows == rows
    backlog_page = client_for(world, "rte").get("/sprints/core-team/backlog/").content.decode()
    assert 'href="/sprints/core-team/backlog/export.csv"' in backlog_page


def test_the_backlog_export_refuses_customers_and_bad_formats(
    api: Any, world: factories.World, items: dict[str, WorkItem]
) -> None:
    assert api("cust_a").get("/backlog/core-team", format="csv").status_code in {403, 404}
    response = api("rte").get("/backlog/core-team", format="pdf")
    assert response.status_code == 422 and "format" in response.content.decode()
