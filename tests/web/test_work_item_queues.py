"""Queues per role: what each holds (and does not), for whom, in which order, their empty
states, their links in the navigation, and a number of queries that does not grow."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from casebridge.workitems.models import WorkItem
from tests import factories
from tests.web.conftest import html
from tests.web.work_items import (
    BrowserAs,
    act,
    bug_in,
    current_sprint,
    escalated,
    feature_in,
    improvement_in,
    new_item,
)

pytestmark = pytest.mark.django_db


def keys(page: str) -> list[str]:
    queue = page.split('id="queue"', 1)[1]
    return re.findall(r'<tr data-key="([\w-]+)"', queue)


def test_rte_triage(world: factories.World, browser_as: BrowserAs) -> None:
    new = new_item(world, "bug")
    assert new is not None
    asked = act(world, "rte", new_item(world, "bug"), "needs_info", reason="Which card?")
    triaged = bug_in(world, "triaged")
    scheduled = bug_in(world, "scheduled")
    feature = new_item(world, "feature")
    improvement = new_item(world, "improvement")
    approved = feature_in(world, "approved")
    page = html(browser_as("rte").get("/work-items/queues/triage/"))
    assert keys(page) == [new.key, asked.key, triaged.key, feature.key, improvement.key]
    assert scheduled.key not in keys(page) and approved.key not in keys(page)


def test_decisions_wait_for_the_viewers_role(world: factories.World, browser_as: BrowserAs) -> None:
    feature = new_item(world, "feature")
    improvement = new_item(world, "improvement")
    assert feature is not None and improvement is not None
    act(
        world,
        "pm",
        feature,
        "approve",
        business_value=5,
        time_criticality=3,
        risk_reduction=2,
        job_size=5,
    )
    pm = html(browser_as("pm").get("/work-items/queues/decisions/"))
    rte = html(browser_as("rte").get("/work-items/queues/decisions/"))
    assert keys(pm) == [improvement.key]  # the PM decided the feature already
    assert keys(rte) == [feature.key, improvement.key]
    revisit = date.today() + timedelta(days=10)
    later = new_item(world, "feature")
    act(world, "rte", later, "defer", reason="After the freeze", revisit_on=revisit.isoformat())
    assert later.key not in keys(html(browser_as("rte").get("/work-items/queues/decisions/")))
    with time_machine.travel(revisit + timedelta(days=1)):
        page = html(browser_as("pm").get("/work-items/queues/decisions/"))
        assert later.key in keys(page)
    dev = html(browser_as("dev3").get("/work-items/queues/decisions/"))
    assert keys(dev) == [] and "No decision waits for you" in dev


def test_my_work_is_assigned_or_mentored_and_unfinished(
    world: factories.World, browser_as: BrowserAs
) -> None:
    sprint = current_sprint(world)
    major = bug_in(world, "in_progress")
    critical = bug_in(world, "scheduled", priority="critical")
    act(world, "rte", critical, "assign", assignees=["dev3"])
    done = bug_in(world, "closed")
    mentored = bug_in(world, "scheduled", priority="minor", component=world.components["refunds"])
    act(world, "rte", mentored, "assign", assignees=["dev1"], mentor="dev3")
    page = html(browser_as("dev3").get("/work-items/queues/mine/"))
    assert keys(page) == [critical.key, major.key, mentored.key]  # priority, then age
    assert done.key not in page
    assert keys(html(browser_as("dev1").get("/work-items/queues/mine/"))) == [mentored.key]
    empty = html(browser_as("dev2").get("/work-items/queues/mine/"))
    assert keys(empty) == [] and "Nothing assigned to you" in empty
    assert sprint.pk


def test_review_requests_put_the_viewer_first_and_never_show_assignees(
    world: factories.World, browser_as: BrowserAs
) -> None:
    asked = bug_in(world, "in_review")  # dev3 assigned, dev4 asked
    other = bug_in(world, "in_progress", priority="critical")
    other = act(world, "dev3", other, "submit_review")
    improvement = improvement_in(world, "in_review")  # devops assigned
    page = html(browser_as("dev4").get("/work-items/queues/reviews/"))
    assert keys(page)[0] == asked.key
    assert set(keys(page)) == {asked.key, other.key, improvement.key}
    assert "Asks you to review" in page.split(asked.key, 2)[2].split("</tr>", 1)[0]
    assert keys(html(browser_as("dev3").get("/work-items/queues/reviews/"))) == [improvement.key]
    assert keys(html(browser_as("devops").get("/work-items/queues/reviews/"))) == []
    act(world, "dev4", asked, "approve_review")
    assert asked.key not in keys(html(browser_as("dev4").get("/work-items/queues/reviews/")))


def test_validation_by_role(world: factories.World, browser_as: BrowserAs) -> None:
    bug = bug_in(world, "awaiting_validation")
    feature = feature_in(world, "awaiting_acceptance")
    reviewed = improvement_in(world, "reviewed")
    unreviewed = improvement_in(world, "in_review")
    l2 = keys(html(browser_as("l2").get("/work-items/queues/validation/")))
    assert l2 == [bug.key, feature.key, reviewed.key]
    assert unreviewed.key not in l2
    assert keys(html(browser_as("pm").get("/work-items/queues/validation/"))) == [feature.key]
    act(world, "l2", bug, "validate")
    assert bug.key not in keys(html(browser_as("l2").get("/work-items/queues/validation/")))
    assert WorkItem.objects.get(pk=reviewed.pk).status == "in_review"


@pytest.mark.parametrize(
    ("who", "links"),
    [
        ("rte", ["Boards", "Triage", "Decisions"]),
        ("pm", ["Boards", "Decisions", "Validation"]),
        ("dev3", ["Boards", "My work", "Reviews"]),
        ("devops", ["Boards", "My work", "DevOps work", "Reviews"]),
        ("l2", ["Boards", "Validation"]),
        ("qa", ["Boards", "Testing"]),
        ("cust_a", []),
    ],
)
def test_navigation_links_by_role(
    world: factories.World, browser_as: BrowserAs, who: str, links: list[str]
) -> None:
    page = html(browser_as(who).get("/portal/" if who == "cust_a" else "/cases/"))
    nav = page.split('aria-label="Main"', 1)[1].split("</ul>", 1)[0]
    shown = re.findall(r'class="navlink" href="/work-items/[^"]*"[^>]*>([^<]+)</a>', nav)
    assert shown == links


def test_queue_pages_have_an_empty_state_and_tabs(
    world: factories.World, browser_as: BrowserAs
) -> None:
    page = html(browser_as("rte").get("/work-items/queues/triage/"))
    assert "Nothing to triage" in page
    assert re.search(r"PM and RTE review <span class=\"count\">0</span>", page)
    assert browser_as("rte").get("/work-items/queues/nope/").status_code == 404


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("who", "queue"),
    [
        ("rte", "triage"),
        ("rte", "decisions"),
        ("dev3", "mine"),
        ("dev4", "reviews"),
        ("l2", "validation"),
    ],
)
def test_queue_queries_do_not_grow(
    world: factories.World, browser_as: BrowserAs, who: str, queue: str
) -> None:
    client = browser_as(who)
    url = f"/work-items/queues/{queue}/"
    for status in ("triaged", "in_review", "awaiting_validation"):
        bug_in(world, status)
    escalated(world, "feature")
    few = _queries(client, url)
    for status in ("new", "triaged", "in_progress", "in_review", "awaiting_validation") * 2:
        bug_in(world, status)
    escalated(world, "feature")
    escalated(world, "improvement")
    assert _queries(client, url) == few
    assert few <= 12
