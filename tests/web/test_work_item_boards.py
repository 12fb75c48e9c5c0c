"""Boards per category and the work-item list: columns by state in definition order, bounded
cards with "+ N more" links, finished columns behind a toggle, filters, and a number of queries
that does not grow with the number of items."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from casebridge.core import clock
from casebridge.workflows.engine import StateGroup
from casebridge.workitems.definitions import WORKFLOWS
from casebridge.workitems.selectors import BoardFilters, work_item_board_for
from tests import factories
from tests.web.conftest import html
from tests.web.work_items import BrowserAs, act, bug_in, current_sprint, escalated, new_item

pytestmark = pytest.mark.django_db


def columns(page: str) -> list[str]:
    return re.findall(r'class="wi-col[^"]*" data-status="(\w+)"', page)


def cards_in(page: str, status: str) -> list[str]:
    """The keys on the cards of one column, in order."""
    column = page.split(f'" data-status="{status}"', 1)[1].split('" data-status="', 1)[0]
    return re.findall(r'<li class="wi-card[^"]*" data-key="([\w-]+)"', column)


@pytest.mark.parametrize("category", list(WORKFLOWS))
def test_one_column_per_state_in_definition_order(
    world: factories.World, browser_as: BrowserAs, category: str
) -> None:
    page = html(browser_as("dev3").get(f"/work-items/board/{category}/"))
    assert columns(page) == [s.name for s in WORKFLOWS[category].states]
    finished = WORKFLOWS[category].states_in(StateGroup.DONE, StateGroup.REJECTED)
    for status in finished:
        assert re.search(rf'<a class="wi-col collapsed[^"]*" data-status="{status}"', page)


def test_cards_are_sorted_bounded_and_counted(
    world: factories.World, browser_as: BrowserAs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("casebridge.workitems.views.lists.CARDS_PER_COLUMN", 2)
    minor = [new_item(world, "bug") for _ in range(3)]
    assert all(minor)
    critical = act(world, "rte", minor[2], "triage", priority="critical", impact="All payments")
    page = html(browser_as("rte").get("/work-items/board/bug/"))
    assert cards_in(page, "new") == [minor[0].key, minor[1].key]  # oldest first, two shown
    assert cards_in(page, "triaged") == [critical.key]
    assert re.search(r'data-status="new".*?<span class="count"[^>]*>2</span>', page, re.S)
    for _ in range(2):
        escalated(world, "bug")
    page = html(browser_as("rte").get("/work-items/board/bug/"))
    assert "+ 2 more" in page
    assert 'href="/work-items/?category=bug&amp;status=new"' in page
    listed = html(browser_as("rte").get("/work-items/?category=bug&status=new"))
    assert len(re.findall(r'<tr data-key="BUG-\d+"', listed)) == 4
    assert "Bugs · New" in listed


def test_card_shows_priority_assignees_and_age_in_state(
    world: factories.World, browser_as: BrowserAs
) -> None:
    bug = bug_in(world, "in_progress", priority="major")
    page = html(browser_as("dev3").get("/work-items/board/bug/"))
    card = page.split(f'data-key="{bug.key}"', 1)[1].split("</li>", 1)[0]
    assert "Major" in card and 'title="dev3">D3</span>' in card and "<time" in card


def test_finished_columns_show_recent_items_behind_a_toggle(
    world: factories.World, browser_as: BrowserAs
) -> None:
    with time_machine.travel(clock.now() - timedelta(days=40), tick=False):
        old = bug_in(world, "closed")
    recent = bug_in(world, "closed")
    rte = browser_as("rte")
    page = html(rte.get("/work-items/board/bug/"))
    assert cards_in(page, "closed") == [] and "Show finished (14 d)" in page
    collapsed = page.split('data-status="closed"', 1)[1].split("</a>", 1)[0]
    assert '<span class="col-name">Closed</span><span class="count">1</span>' in collapsed
    page = html(rte.get("/work-items/board/bug/?finished=1"))
    assert cards_in(page, "closed") == [recent.key] and old.key not in page
    assert "Hide finished" in page


def test_filters_by_team_sprint_and_assignee(world: factories.World, browser_as: BrowserAs) -> None:
    sprint = current_sprint(world)
    mine = bug_in(world, "in_progress")  # core-team sprint, dev3
    other = new_item(world, "bug")
    assert other is not None
    rte = browser_as("rte")
    for query, shown, hidden in (
        ("team=core-team", mine, other),
        (f"sprint={sprint.pk}", mine, other),
        ("assignee=dev3", mine, other),
        ("assignee=none", other, mine),
        ("team=platform", None, mine),
    ):
        page = html(rte.get(f"/work-items/board/bug/?{query}"))
        if shown is not None:
            assert f'data-key="{shown.key}"' in page, query
        assert f'data-key="{hidden.key}"' not in page, query
    page = html(browser_as("dev3").get("/work-items/board/bug/?assignee=me"))
    assert f'data-key="{mine.key}"' in page and f'data-key="{other.key}"' not in page
    assert "Clear filters" in page


def test_htmx_gets_only_the_board(world: factories.World, browser_as: BrowserAs) -> None:
    r = browser_as("rte").get("/work-items/board/bug/?team=core-team", HTTP_HX_REQUEST="true")
    page = html(r)
    assert page.lstrip().startswith('<section id="board"') and "<html" not in page
    assert "HX-Request" in r["Vary"]


def test_unknown_board_is_404(world: factories.World, browser_as: BrowserAs) -> None:
    assert browser_as("rte").get("/work-items/board/epic/").status_code == 404
    assert browser_as("rte").get("/work-items/board/")["Location"] == "/work-items/board/bug/"


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_queries_do_not_grow_with_the_items(world: factories.World, browser_as: BrowserAs) -> None:
    current_sprint(world)
    rte = browser_as("rte")
    bug_in(world, "in_progress")
    escalated(world, "bug")
    urls = [
        "/work-items/board/bug/",
        "/work-items/board/bug/?finished=1&team=core-team",
        "/work-items/?category=bug",
    ]
    few = {url: _queries(rte, url) for url in urls}
    for status in ("in_progress", "in_review", "closed", "scheduled", "triaged", "new"):
        bug_in(world, status)
        bug_in(world, status, priority="critical")
    many = {url: _queries(rte, url) for url in urls}
    assert many == few
    assert max(many.values()) <= 12, many


def test_board_selector_bounds_every_column(world: factories.World) -> None:
    for _ in range(4):
        escalated(world, "bug")
    board = work_item_board_for(world["rte"], "bug", BoardFilters(), per_column=3)
    new = next(c for c in board.columns if c.state.name == "new")
    assert (new.count, len(new.cards), new.more) == (4, 3, 1)
    assert board.total == 4
    nothing = work_item_board_for(world["cust_a"], "bug", BoardFilters())
    assert nothing.total == 0


def test_age_in_state_ignores_actions_that_keep_the_status(world: factories.World) -> None:
    start = clock.now()
    with time_machine.travel(start, tick=False):
        bug = bug_in(world, "scheduled")
    with time_machine.travel(start + timedelta(days=3), tick=False):
        act(world, "rte", bug, "assign", assignees=["dev3"])
    board = work_item_board_for(world["rte"], "bug", BoardFilters())
    card = next(c for col in board.columns for c in col.cards if c.key == bug.key)
    assert card.entered_at == start
