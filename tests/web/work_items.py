"""Builders for the work-item page tests: escalated items, a current sprint, a walked bug."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.test import Client

from casebridge.accounts.models import Team
from casebridge.cases.models import Case
from casebridge.cases.services import case_transition
from casebridge.sprints.models import Sprint
from casebridge.sprints.selectors import today
from casebridge.sprints.services import sprint_create
from casebridge.workitems.models import WorkItem
from casebridge.workitems.services import work_item_transition
from tests import factories

BUG_DOCS = {
    "steps_to_reproduce": "1. Add an item\n2. Pay with a Visa card",
    "expected_result": "The payment succeeds",
    "actual_result": "HTTP 502 after 30 s",
    "log_excerpt": "ERROR gateway upstream timed out after 30000 ms",
}
FEATURE_DOCS = {"justification": "Night shifts ask for it", "impact_assessment": "1,200 users"}
IMPROVEMENT_DOCS = {
    "rationale": "Mail delays reach us late",
    "expected_benefit": "Alerts within 5 min",
    "area": "reliability",
}
#: ``browser_as("l2")``: a signed-in test client (tests/web/conftest.py).
BrowserAs = Callable[[str], Client]
DOCS = {"bug": BUG_DOCS, "feature": FEATURE_DOCS, "improvement": IMPROVEMENT_DOCS}


def escalated(world: factories.World, category: str = "bug", **case: Any) -> Case:
    """A case taken by L2 and escalated as ``category``; its work item is ``case.work_item``."""
    taken = case_transition(
        actor=world["l2"], case=factories.make_case(world, **case), action="take"
    )
    return case_transition(
        actor=world["l2"],
        case=taken,
        action="escalate",
        data={"category": category, "docs": DOCS[category]},
    )


def new_item(world: factories.World, category: str = "bug", **case: Any) -> WorkItem:
    """The work item of a freshly escalated case."""
    item = escalated(world, category, **case).work_item
    assert item is not None
    return item


def current_sprint(
    world: factories.World, team: str = "core-team", name: str = "Sprint 12"
) -> Sprint:
    day = today()
    return sprint_create(
        actor=world["rte"],
        team=Team.objects.get(slug=team),
        name=name,
        start=day - timedelta(days=3),
        end=day + timedelta(days=10),
    )


def act(world: factories.World, who: str, item: WorkItem, action: str, **data: Any) -> WorkItem:
    fresh = WorkItem.objects.get(pk=item.pk)
    return work_item_transition(actor=world[who], item=fresh, action=action, data=data)


def bug_in(
    world: factories.World, status: str, *, priority: str = "major", **case: Any
) -> WorkItem:
    """A bug walked through its workflow up to ``status`` by the right people."""
    item = new_item(world, "bug", **case)
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("rte", "triage", {"priority": priority, "impact": "All card payments fail"}),
        ("rte", "schedule", {"sprint": _sprint(world).pk}),
        ("rte", "assign", {"assignees": ["dev3"]}),
        ("dev3", "start", {}),
        ("dev3", "submit_review", {"reviewer": "dev4"}),
        ("dev4", "approve_review", {}),
        ("qa", "test_pass", {"evidence": "Paid with Visa in staging: 200"}),
        ("devops", "release", {"version": "4.3.1"}),
        ("devops", "deploy", {"environment": "production"}),
        ("l2", "validate", {}),
    ]
    for who, action, data in steps:
        if item.status == status:
            break
        item = act(world, who, item, action, **data)
    assert item.status == status, (item.status, status)
    return WorkItem.objects.get(pk=item.pk)


def _sprint(world: factories.World) -> Sprint:
    existing = Sprint.objects.filter(team__slug="core-team", closed_at__isnull=True).first()
    return existing or current_sprint(world)


WSJF = {"business_value": 8, "time_criticality": 5, "risk_reduction": 3, "job_size": 4}


def feature_in(world: factories.World, status: str, **case: Any) -> WorkItem:
    """A feature request walked up to ``status`` (both decide, then delivery to acceptance)."""
    item = new_item(world, "feature", **case)
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("pm", "approve", dict(WSJF)),
        ("rte", "approve", {}),
        ("rte", "schedule", {"sprint": _sprint(world).pk}),
        ("rte", "assign", {"assignees": ["dev3"]}),
        ("dev3", "start", {}),
        ("dev3", "submit_review", {}),
        ("dev4", "approve_review", {}),
        ("qa", "test_pass", {"evidence": "Export checked against 2k cases"}),
        ("devops", "release", {"version": "4.4.0"}),
        ("devops", "deploy", {"environment": "production"}),
        ("pm", "accept", {}),
    ]
    return _walk(world, item, status, steps)


def improvement_in(world: factories.World, status: str, **case: Any) -> WorkItem:
    """An improvement approved to the DevOps team, walked up to ``status``."""
    item = new_item(world, "improvement", **case)
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("rte", "approve", {"team": "platform"}),
        ("rte", "assign", {"assignees": ["devops"]}),
        ("devops", "start", {}),
        ("devops", "submit_review", {}),
        ("dev3", "approve_review", {}),
        ("l2", "verify", {}),
    ]
    return _walk(world, item, status, steps, stay_done={"approve_review": "reviewed"})


def _walk(
    world: factories.World,
    item: WorkItem,
    status: str,
    steps: list[tuple[str, str, dict[str, Any]]],
    stay_done: dict[str, str] | None = None,
) -> WorkItem:
    """Apply ``steps`` until the item reaches ``status`` (or a stay step named in
    ``stay_done`` whose value is ``status``)."""
    for who, action, data in steps:
        if item.status == status:
            break
        item = act(world, who, item, action, **data)
        if (stay_done or {}).get(action) == status:
            return WorkItem.objects.get(pk=item.pk)
    assert item.status == status, (item.status, status)
    return WorkItem.objects.get(pk=item.pk)
