"""The L2 queue: filters, sort, pagination, HTMX partials, empty states, and no N+1."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from casebridge.cases.services import case_transition
from tests import factories
from tests.web.conftest import html, queue_keys

pytestmark = pytest.mark.django_db


def _case(world, *, hours_ago: float, **kwargs):
    with time_machine.travel(timezone.now() - timedelta(hours=hours_ago), tick=False):
        return factories.make_case(world, **kwargs)


@pytest.fixture
def cases(world):
    """Five cases of different ages, services, sources and states."""
    old_new = _case(world, hours_ago=50, title="Oldest, new")
    mine = _case(world, hours_ago=40, title="Investigated by l2")
    mine = case_transition(actor=world["l2"], case=mine, action="take")
    search = _case(
        world,
        hours_ago=30,
        title="Search is down",
        service=world.services["search"],
        component=world.components["indexer"],
    )
    portal = _case(world, hours_ago=20, by="cust_a", title="From the portal")
    done = _case(world, hours_ago=10, title="Resolved already")
    done = case_transition(actor=world["l2b"], case=done, action="take")
    done = case_transition(
        actor=world["l2b"],
        case=done,
        action="resolve",
        data={"resolution": "no_fault", "note": "Works as designed"},
    )
    return {"old_new": old_new, "mine": mine, "search": search, "portal": portal, "done": done}


def test_default_is_open_cases_oldest_first(browser_as, cases):
    page = html(browser_as("l2").get("/cases/"))
    keys = queue_keys(page)
    expected = ["old_new", "mine", "search", "portal"]
    assert keys == [cases[name].key for name in expected]
    assert cases["done"].key not in keys
    assert 'aria-current="page">\n        Open <span class="count">4</span>' in page
    assert 'Resolved <span class="count">1</span>' in page
    assert 'All <span class="count">5</span>' in page
    assert '<time datetime="' in page and "2 d</time>" in page  # relative age, exact in title


def test_sort_newest_first(browser_as, cases):
    keys = queue_keys(html(browser_as("l2").get("/cases/?sort=newest")))
    assert keys == [cases[n].key for n in ("portal", "search", "mine", "old_new")]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=resolved", ["done"]),
        ("state=investigating", ["mine"]),
        ("state=all", ["old_new", "mine", "search", "portal", "done"]),
        ("service=search", ["search"]),
        ("source=portal", ["portal"]),
        ("owner=me", ["mine"]),
        ("owner=none", ["old_new", "search", "portal"]),
        ("state=all&owner=none&service=payments", ["old_new", "portal"]),
        ("state=nonsense&owner=nobody", ["old_new", "mine", "search", "portal"]),  # defaults
    ],
)
def test_filters(browser_as, cases, query, expected):
    keys = queue_keys(html(browser_as("l2").get(f"/cases/?{query}")))
    assert keys == [cases[name].key for name in expected]


@pytest.mark.parametrize(
    ("query", "total"),
    [
        ("", 4),  # only states filter: the total is the tabs' counts summed, not counted again
        ("state=all", 5),
        ("state=resolved", 1),
        ("state=escalated", 0),
        ("service=payments", 3),
        ("state=all&owner=none", 3),
        ("q=+", 4),  # blank words are no filter
    ],
)
def test_result_count(browser_as, cases, query, total):
    page = html(browser_as("l2").get(f"/cases/?{query}"))
    shown = page.split('<span class="result-count" aria-live="polite">')[1].split("</span>")[0]
    assert shown == f"{total} case{'' if total == 1 else 's'}"


def test_htmx_gets_only_the_results_and_pushes_the_url(browser_as, cases):
    client = browser_as("l2")
    response = client.get("/cases/?service=search", headers={"HX-Request": "true"})
    page = html(response)
    assert response.status_code == 200
    assert "<html" not in page and page.lstrip().startswith('<section id="queue"')
    assert queue_keys(page) == [cases["search"].key]
    assert 'hx-push-url="true"' in page
    assert "HX-Request" in response["Vary"]
    full = html(client.get("/cases/?service=search"))
    assert "<html" in full and 'hx-get="/cases/"' in full  # works without JS as well


def test_pagination_fifty_per_page(browser_as, world):
    for i in range(52):
        _case(world, hours_ago=100 - i, title=f"Case number {i}")
    client = browser_as("l2")
    first = html(client.get("/cases/"))
    assert len(queue_keys(first)) == 50
    assert "Page 1 of 2" in first
    second = html(client.get("/cases/?page=2"))
    assert queue_keys(second) == ["CB-51", "CB-52"]
    assert 'rel="prev"' in second
    assert queue_keys(html(client.get("/cases/?page=9"))) == ["CB-51", "CB-52"]  # the last


def test_empty_states(browser_as, world):
    client = browser_as("l2")
    assert "No open cases. Nice." in html(client.get("/cases/"))
    _case(world, hours_ago=1)
    filtered = html(client.get("/cases/?service=search"))
    assert "No cases match these filters" in filtered
    assert "Clear filters" in filtered


def test_columns(browser_as, world, cases):
    escalated = case_transition(
        actor=world["l2"],
        case=cases["mine"],
        action="escalate",
        data={
            "category": "bug",
            "docs": {
                "steps_to_reproduce": "1",
                "expected_result": "a",
                "actual_result": "b",
                "log_excerpt": "ERROR",
            },
        },
    )
    page = html(browser_as("l2").get("/cases/?state=all"))
    row = page.split(f'<td class="key"><a href="/cases/{escalated.key}/"')[1].split("</tr>")[0]
    for text in (
        "Investigated by l2",
        "Payments",
        "Checkout API",
        "impact-high",
        "state-escalated",
        "l2",
        "L1 agent",
        escalated.work_item.key,
        ">new<",
    ):
        assert text in row, text


def test_queue_is_for_staff(browser_as, cases):
    assert browser_as("cust_a").get("/cases/").status_code == 404
    assert browser_as("partner").get("/cases/").status_code == 404
    assert browser_as("dev2").get("/cases/").status_code == 200


def test_queue_query_count_does_not_grow_with_rows(
    browser_as, world, django_assert_max_num_queries
):
    for i in range(30):
        case = _case(world, hours_ago=60 - i, by="cust_a" if i % 3 else "l1")
        if i % 2:
            case_transition(actor=world["l2"], case=case, action="take")
    client = browser_as("l2")
    client.get("/cases/")  # warm the session
    # session + user (+ roles) + services + state counts + page ids + page rows (a list only
    # states filter takes its total from the state counts; a filtered one counts: one more)
    with django_assert_max_num_queries(8):
        response = client.get("/cases/?state=all")
    assert len(queue_keys(html(response))) == 30
