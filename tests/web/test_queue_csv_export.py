"""The queues per role export as CSV ("Export CSV" on each queue page): every item in the queue
for the viewer, in the page's order, no paging, in the work-item export's columns, streamed
through core.csvexport; customers and partners get no queue."""

from __future__ import annotations

import csv
import io

import pytest
from django.http import HttpResponseBase, StreamingHttpResponse

from casebridge.workitems.selectors import CSV_HEADER
from casebridge.workitems.views import lists
from tests import factories
from tests.web.conftest import html
from tests.web.test_work_item_queues import keys
from tests.web.work_items import BrowserAs, bug_in, feature_in, new_item

pytestmark = pytest.mark.django_db


def _rows(response: HttpResponseBase, name: str) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(f'attachment; filename="queue-{name}-')
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_each_queue_page_links_its_export_with_the_pages_rows(
    world: factories.World, browser_as: BrowserAs
) -> None:
    new = new_item(world, "bug")
    feature = new_item(world, "feature")
    testing = bug_in(world, "in_testing")
    for who, slug in (
        ("rte", "triage"),
        ("pm", "decisions"),
        ("qa", "testing"),
        ("devops", "devops"),
        ("dev3", "mine"),
    ):
        client = browser_as(who)
        page = html(client.get(f"/work-items/queues/{slug}/"))
        assert f'href="/work-items/queues/{slug}/export.csv"' in page
        rows = _rows(client.get(f"/work-items/queues/{slug}/export.csv"), slug)
        assert [r["key"] for r in rows] == keys(page), slug
    triage = _rows(browser_as("rte").get("/work-items/queues/triage/export.csv"), "triage")
    assert list(triage[0]) == list(CSV_HEADER)
    assert [r["key"] for r in triage][:2] == [new.key, feature.key]
    tested = _rows(browser_as("qa").get("/work-items/queues/testing/export.csv"), "testing")
    assert [r["key"] for r in tested] == [testing.key]
    assert tested[0]["status"] == "in_testing" and tested[0]["assignees"]


def test_the_queue_export_has_every_item_not_one_page(
    world: factories.World, browser_as: BrowserAs
) -> None:
    made = [new_item(world, "bug") for _ in range(3)]
    lists.PAGE_SIZE, before = 2, lists.PAGE_SIZE
    try:
        rows = _rows(browser_as("rte").get("/work-items/queues/triage/export.csv"), "triage")
    finally:
        lists.PAGE_SIZE = before
    assert [r["key"] for r in rows] == [i.key for i in made]


def test_the_export_is_the_viewers_queue_and_not_for_customers(
    world: factories.World, browser_as: BrowserAs
) -> None:
    feature = feature_in(world, "approved")
    improvement = new_item(world, "improvement")
    pm = _rows(browser_as("pm").get("/work-items/queues/decisions/export.csv"), "decisions")
    assert [r["key"] for r in pm] == [improvement.key]
    assert feature.key not in {r["key"] for r in pm}
    mine = _rows(browser_as("dev2").get("/work-items/queues/mine/export.csv"), "mine")
    assert mine == []
    for who in ("cust_a", "partner"):
        response = browser_as(who).get("/work-items/queues/triage/export.csv")
        assert response.status_code in {302, 403, 404}
        assert not isinstance(response, StreamingHttpResponse)
    assert browser_as("rte").get("/work-items/queues/nope/export.csv").status_code == 404
