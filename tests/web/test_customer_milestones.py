"""What customers and partners read about their case (issue 10): milestones in their own
words on every portal page and in the case API's timeline; never the names of the people on
the development side, the workflows' internal state names or "L2"."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from casebridge.accounts.models import Team, User
from casebridge.accounts.services import user_create
from casebridge.cases.models import Case
from casebridge.cases.services import case_transition, comment_add
from casebridge.sprints.selectors import today
from casebridge.sprints.services import sprint_create
from casebridge.workitems.models import WorkItem
from casebridge.workitems.services import work_item_transition
from tests import factories
from tests.web.work_items import BUG_DOCS

pytestmark = pytest.mark.django_db

#: The development side, by name: none may reach a customer or a partner.
DEVELOPMENT = {
    "rita": (["rte"], "", "Rita Costa"),
    "dora": (["developer"], "L3", "Dora Novak"),
    "ravi": (["developer"], "L4", "Ravi Mehta"),
    "quinn": (["qa"], "", "Quinn Adler"),
    "olga": (["devops"], "", "Olga Berg"),
}
SUPPORT = {"sam": (["l2_engineer"], "", "Sam Reyes")}
#: The workflows' own words for states (case and bug), as labels and as names.
INTERNAL_LABELS = (
    "Investigating",
    "Escalated",
    "Waiting on reporter",
    "Triaged",
    "Scheduled",
    "In review",
    "In testing",
    "In release",
    "Awaiting validation",
    "Needs info",
)
INTERNAL_NAMES = (
    "investigating",
    "escalated",
    "waiting_on_reporter",
    "triaged",
    "scheduled",
    "in_progress",
    "in_review",
    "in_testing",
    "in_release",
    "awaiting_validation",
    "work_item_progress",
)


def people() -> dict[str, User]:
    made = {}
    for username, (roles, level, name) in {**DEVELOPMENT, **SUPPORT}.items():
        first, last = name.split()
        made[username] = user_create(
            actor=None,
            username=username,
            email=f"{username}@example.com",
            roles=roles,
            level=level,
            first_name=first,
            last_name=last,
        )
    return made


def fixed_case(world: factories.World) -> tuple[Case, dict[str, User]]:
    """A customer's case through the whole journey: a question, an escalation, a bug fixed by
    development (named people at every step), released in 4.2.1 and validated by support."""
    who = people()
    case = factories.make_case(world, by="cust_a")
    case = case_transition(actor=who["sam"], case=case, action="take")
    case = case_transition(
        actor=who["sam"], case=case, action="request_info", data={"question": "Which card?"}
    )
    comment_add(actor=world["cust_a"], case=case, body="Visa, every time.")
    case = Case.objects.get(pk=case.pk)
    case = case_transition(
        actor=who["sam"], case=case, action="escalate", data={"category": "bug", "docs": BUG_DOCS}
    )
    assert case.work_item is not None
    comment_add(actor=who["dora"], case=case, body="We found the cause.")
    sprint = sprint_create(
        actor=who["rita"],
        team=Team.objects.get(slug="core-team"),
        name="Sprint 12",
        start=today() - timedelta(days=2),
        end=today() + timedelta(days=10),
    )
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("rita", "triage", {"priority": "major", "impact": "Card payments fail"}),
        ("rita", "schedule", {"sprint": sprint.pk}),
        ("rita", "assign", {"assignees": ["dora"]}),
        ("dora", "start", {}),
        ("dora", "submit_review", {"reviewer": "ravi"}),
        ("ravi", "request_changes", {"reason": "Add a test"}),
        ("dora", "submit_review", {"reviewer": "ravi"}),
        ("ravi", "approve_review", {}),
        ("quinn", "test_pass", {"evidence": "Paid with Visa in staging"}),
        ("olga", "release", {"version": "4.2.1"}),
        ("olga", "deploy", {"environment": "production"}),
        ("sam", "validate", {}),
    ]
    for username, action, data in steps:
        item = WorkItem.objects.get(pk=case.work_item.pk)
        work_item_transition(actor=who[username], item=item, action=action, data=data)
    case = Case.objects.get(pk=case.pk)
    assert (case.state, case.resolution, case.fixed_version) == ("resolved", "fixed", "4.2.1")
    return case, who


def visible(page: str) -> str:
    """The text of a page as read: without tags (and their classes), scripts and styles."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def assert_nothing_internal(text: str, where: str, *, names_too: bool = False) -> None:
    for username, (_, _, name) in DEVELOPMENT.items():
        assert name not in text and f'"{username}"' not in text, (where, name)
    assert not re.search(r"\bL[12]\b", text), (where, "L1/L2 jargon")
    for label in INTERNAL_LABELS:
        assert label not in text, (where, label)
    if names_too:
        for name in INTERNAL_NAMES:
            assert name not in text, (where, name)
    assert "Casebridge (automatic)" not in text and "state:" not in text, where


@pytest.mark.parametrize("viewer", ["cust_a", "partner"])
def test_the_portal_tells_milestones_in_the_customers_words(
    world: factories.World, viewer: str
) -> None:
    case, _ = fixed_case(world)
    client = Client()
    client.force_login(world[viewer])
    pages = {
        "case": client.get(f"/portal/cases/{case.key}/"),
        "list": client.get("/portal/?show=all"),
        "open list": client.get("/portal/"),
        "new": client.get("/portal/new/"),
    }
    for where, response in pages.items():
        assert response.status_code == 200, where
        page = response.content.decode()
        assert_nothing_internal(page, where)
        assert_nothing_internal(visible(page), where)
    text = visible(pages["case"].content.decode())
    for milestone in (
        "Case received",
        "Being investigated by our support team · Sam Reyes",
        "Waiting for you: our support team asked a question",
        "Investigation resumed",
        "Passed to our development team",
        "Planned by our development team",
        "Our development team is working on it",
        "Fix released in 4.2.1; we are checking that it works for you",
        "Resolved: fixed by our development team",
    ):
        assert milestone in text, milestone
    assert text.count("Our development team is working on it") == 1, "told once"
    assert re.search(r"O Our team [\w ]{0,20} We found the cause\.", text), "not the developer"
    assert "Resolved" in visible(pages["list"].content.decode())


@pytest.mark.parametrize("viewer", ["cust_a", "partner"])
def test_the_case_apis_timeline_holds_milestones_only(
    world: factories.World, api: Any, viewer: str
) -> None:
    case, _ = fixed_case(world)
    response = api(viewer).get(f"/cases/{case.key}/timeline")
    assert response.status_code == 200
    events = response.json()
    assert_nothing_internal(json.dumps(events), "api", names_too=True)
    assert [e["action"] for e in events] == [
        "received",
        "being_investigated",
        "waiting_for_you",
        "message",
        "being_investigated",
        "passed_to_development",
        "message",
        "development",
        "development",
        "development",
        "resolved",
    ]
    assert events[1]["actor"] == {"username": "sam", "name": "Sam Reyes"}, "support is named"
    assert events[6]["actor"] is None and events[6]["text"] == "Our team wrote to you"
    assert events[-2]["text"] == "Fix released in 4.2.1; we are checking that it works for you"
    assert all(e["subject"] == case.key for e in events)
    comments = api(viewer).get(f"/cases/{case.key}/comments").json()
    assert_nothing_internal(json.dumps(comments), "comments api", names_too=True)
    authors = {c["body"]: c["author"] for c in comments}
    assert authors["We found the cause."] == {"username": "", "name": "Our team"}
    assert authors["Which card?"] == {"username": "sam", "name": "Sam Reyes"}
    ours = api("l2").get(f"/cases/{case.key}/comments").json()
    assert {c["author"]["name"] for c in ours} >= {"Dora Novak", "Sam Reyes"}
    staff = api("l2").get(f"/cases/{case.key}/timeline").json()
    assert any(e["action"] == "work_item_progress" for e in staff), "staff read every event"
    assert "Rita Costa" in json.dumps(staff)


def test_a_customer_is_told_milestones_not_development_steps(world: factories.World) -> None:
    from casebridge.integrations.models import Notification

    case, _ = fixed_case(world)
    theirs = list(
        Notification.objects.filter(user=world["cust_a"]).values_list("message", flat=True)
    )
    assert f"{case.key}: Fix released in 4.2.1; we are checking that it works for you" in theirs
    assert_nothing_internal(" ".join(theirs), "notifications", names_too=True)
    assert not [m for m in theirs if case.work_item.key in m], "no work item's own words"
