"""Builders for planning tests: work items made ready to plan through the real workflows."""

from __future__ import annotations

import contextlib
import io
from datetime import date, timedelta
from typing import Any

from django.core.management import call_command
from django.test import Client

from casebridge.accounts.models import Team
from casebridge.sprints.models import Sprint
from casebridge.sprints.services import backlog_estimate, sprint_create
from casebridge.workitems.models import WorkItem
from casebridge.workitems.services import work_item_create, work_item_transition
from tests.factories import World

TODAY = date(2026, 11, 23)  # a Monday
BUG_DOCS = {
    "description": "Checkout fails",
    "steps_to_reproduce": "Pay with a card",
    "expected_result": "Paid",
    "actual_result": "502",
}


def core(world: World) -> Team:
    return Team.objects.get(slug="core-team")


def sprints(
    world: World, *, capacity: int = 10, current_capacity: int = 10
) -> tuple[Sprint, Sprint]:
    """The Core team's current sprint (started last Monday) and the next one."""
    team = core(world)
    current = sprint_create(
        actor=world["rte"],
        team=team,
        name="Sprint 1",
        start=TODAY - timedelta(days=7),
        end=TODAY + timedelta(days=6),
        capacity=current_capacity,
    )
    following = sprint_create(
        actor=world["rte"],
        team=team,
        name="Sprint 2",
        start=TODAY + timedelta(days=7),
        end=TODAY + timedelta(days=20),
        capacity=capacity,
    )
    return current, following


def _estimate(world: World, item: WorkItem, estimate: int | None) -> WorkItem:
    if estimate is not None:
        item = backlog_estimate(actor=world["rte"], item=item, estimate=estimate)
    return WorkItem.objects.get(pk=item.pk)


def bug(world: World, title: str, priority: str = "major", estimate: int | None = None) -> WorkItem:
    item = work_item_create(actor=world["l2"], category="bug", title=title, docs=BUG_DOCS)
    work_item_transition(
        actor=world["rte"],
        item=item,
        action="triage",
        data={"priority": priority, "impact": "Customers cannot pay"},
    )
    return _estimate(world, item, estimate)


def feature(
    world: World,
    title: str,
    wsjf: tuple[int, int, int, int] = (8, 5, 3, 4),
    estimate: int | None = None,
) -> WorkItem:
    docs = {"justification": "Asked for", "impact_assessment": "Many"}
    item = work_item_create(actor=world["l2"], category="feature", title=title, docs=docs)
    data: dict[str, Any] = dict(
        zip(("business_value", "time_criticality", "risk_reduction", "job_size"), wsjf, strict=True)
    )
    work_item_transition(actor=world["pm"], item=item, action="approve", data=data)
    work_item_transition(actor=world["rte"], item=item, action="approve")
    return _estimate(world, item, estimate)


def improvement(
    world: World, title: str, team: str = "core-team", estimate: int | None = None
) -> WorkItem:
    docs = {"rationale": "Slow", "expected_benefit": "Fast", "area": "performance"}
    item = work_item_create(actor=world["l2"], category="improvement", title=title, docs=docs)
    work_item_transition(actor=world["rte"], item=item, action="approve", data={"team": team})
    return _estimate(world, item, estimate)


def reload(item: WorkItem) -> WorkItem:
    return WorkItem.objects.select_related("sprint", "team").get(pk=item.pk)


def deliver(world: World, item: WorkItem) -> WorkItem:
    """Through review and testing into release: delivered for its sprint."""
    work_item_transition(
        actor=world["rte"], item=reload(item), action="assign", data={"assignees": ["dev3"]}
    )
    for actor, action, data in (
        ("dev3", "start", {}),
        ("dev3", "submit_review", {}),
        ("dev4", "approve_review", {}),
        ("qa", "test_pass", {"evidence": "green"}),
    ):
        work_item_transition(actor=world[actor], item=reload(item), action=action, data=data)
    return reload(item)


def schedule(world: World, item: WorkItem, sprint: Sprint) -> WorkItem:
    work_item_transition(
        actor=world["rte"], item=reload(item), action="schedule", data={"sprint": sprint.pk}
    )
    return reload(item)


def client_for(world: World, username: str) -> Client:
    client = Client()
    client.force_login(world[username])
    return client


def cli(*args: str) -> str:
    """``casebridge sprint ...``, its output as text."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):  # --json prints to sys.stdout
        call_command("sprint", *args, stdout=out)
    return out.getvalue()
