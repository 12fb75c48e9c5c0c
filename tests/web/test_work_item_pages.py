"""The work-item page: the actions shown are the workflow's options for the viewer, forms are
built from what each action requires and accepts, a refusal lists every reason (409) beside its
field and in a summary with nothing typed lost, and customers find no work-item page at all."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from casebridge.accounts.services import user_create
from casebridge.cases.services import case_transition
from casebridge.core.actors import SYSTEM_ROLE
from casebridge.workitems.definitions import workflow_for
from casebridge.workitems.models import WorkItem
from tests import factories
from tests.web.conftest import field_error, html
from tests.web.work_items import (
    BrowserAs,
    act,
    bug_in,
    current_sprint,
    feature_in,
    improvement_in,
    new_item,
)

pytestmark = pytest.mark.django_db


def shown_actions(page: str) -> tuple[set[str], set[str]]:
    """(offered, listed as not available) on an item page, from their ``data-action`` marks."""
    bar = (
        page.split('id="actions"', 1)[1].split("</header>", 1)[0] if 'id="actions"' in page else ""
    )
    offered = set(re.findall(r'<(?:form|details)\b[^>]*data-action="(\w+)"', bar))
    side = page.split('id="unavailable"', 1)[1] if 'id="unavailable"' in page else ""
    refused = set(re.findall(r'<li data-action="(\w+)"', side.split("</section>", 1)[0]))
    return offered, refused


def beside(page: str, field: str) -> str:
    """The reasons beside a field, as text (one line each)."""
    return " | ".join(
        m.strip()
        for m in re.findall(r'<span class="error-line">(.*?)</span>', field_error(page, field))
    )


def summary(page: str) -> str:
    match = re.search(r'<div class="form-errors refusal"[^>]*>(.*?)</div>', page, re.S)
    return match.group(1) if match else ""


def post(client: Any, item: WorkItem, action: str, **fields: Any) -> Any:
    data = {f"{action}-{name}": value for name, value in fields.items()}
    return client.post(f"/work-items/{item.key}/actions/{action}/", data)


@pytest.mark.parametrize(
    ("category", "status", "people"),
    [
        ("bug", "new", ["rte", "l2", "dev3"]),
        ("bug", "triaged", ["rte", "dev3"]),
        ("bug", "scheduled", ["rte", "dev3", "dev1", "devops"]),
        ("bug", "in_review", ["dev3", "dev4", "dev2", "qa"]),
        ("bug", "awaiting_validation", ["l2", "rte", "devops"]),
        ("bug", "closed", ["l2", "rte"]),
        ("feature", "submitted", ["pm", "rte", "dev3"]),
        ("feature", "awaiting_acceptance", ["pm", "l2", "dev3"]),
        ("improvement", "in_review", ["dev3", "devops", "l2"]),
    ],
)
def test_actions_shown_are_the_workflow_options(
    world: factories.World, browser_as: BrowserAs, category: str, status: str, people: list[str]
) -> None:
    walk = {"bug": bug_in, "feature": feature_in, "improvement": improvement_in}[category]
    item = walk(world, status)
    workflow = workflow_for(category)
    for who in people:
        page = html(browser_as(who).get(f"/work-items/{item.key}/"))
        options = [
            o for o in workflow.options_for(world[who], item) if o.transition.roles != {SYSTEM_ROLE}
        ]
        offered, refused = shown_actions(page)
        assert offered == {o.transition.action for o in options if o.allowed}, who
        assert refused == {o.transition.action for o in options if not o.allowed}, who
        for option in options:
            for reason in option.reasons:
                assert reason.message in page.replace("&#x27;", "'"), (who, reason.message)
        if not options:
            assert "No action is possible" in page


def test_forms_are_built_from_what_each_action_requires_and_accepts(
    world: factories.World, browser_as: BrowserAs
) -> None:
    current_sprint(world)
    bug = bug_in(world, "triaged")
    page = html(browser_as("rte").get(f"/work-items/{bug.key}/"))
    for name in (
        'name="triage-priority" value="critical"',
        'name="triage-impact"',
        'name="schedule-sprint"',
        "Core team · Sprint 12 (current)",
        'name="needs_info-reason"',
        'name="mark_duplicate-duplicate_of"',
        'name="recategorise-category"',
        'name="recategorise-reason"',
        'name="reject-reason"',
    ):
        assert name in page, name
    scheduled = bug_in(world, "scheduled")
    page = html(browser_as("dev3").get(f"/work-items/{scheduled.key}/"))
    assert 'name="assign-assignees"' in page and "multiple" in page
    assert 'name="assign-mentor"' in page  # accepted, not required
    assert re.search(r'<option value="dev4">dev4 · L4</option>', page)
    feature = new_item(world, "feature")
    page = html(browser_as("pm").get(f"/work-items/{feature.key}/"))
    for name in ("business_value", "time_criticality", "risk_reduction", "job_size"):
        assert f'name="approve-{name}"' in page
    assert 'name="approve-as_role"' not in page  # only for someone who is both PM and RTE
    world.users["both"] = user_create(
        actor=None, username="both", email="b@x.test", roles=["product_manager", "rte"]
    )
    page = html(browser_as("both").get(f"/work-items/{feature.key}/"))
    assert 'name="approve-as_role"' in page and 'name="defer-as_role"' in page
    improvement = new_item(world, "improvement")
    page = html(browser_as("rte").get(f"/work-items/{improvement.key}/"))
    assert 'name="approve-team"' in page and ">Platform (DevOps team)</option>" in page


def test_refusal_lists_every_reason_beside_its_field_and_in_a_summary(
    world: factories.World, browser_as: BrowserAs
) -> None:
    bug = new_item(world, "bug")
    rte = browser_as("rte")
    r = post(rte, bug, "triage", impact="Card payments fail for every customer")
    assert r.status_code == 409
    page = html(r)
    assert beside(page, "priority") == "Set the priority: critical, major or minor"
    assert "Triage: not done (1 reason)" in page
    assert "Card payments fail for every customer</textarea>" in page  # nothing typed is lost
    assert 'id="action-triage" data-action="triage" open' in page

    r = post(rte, bug, "triage")
    page = html(r)
    assert r.status_code == 409 and "Triage: not done (2 reasons)" in page
    for field, message in (
        ("priority", "Set the priority: critical, major or minor"),
        ("impact", "Describe the impact"),
    ):
        assert beside(page, field) == message
        assert message in summary(page)
    assert WorkItem.objects.get(pk=bug.pk).status == "new"  # nothing changed


def test_refused_assignment_names_every_policy(
    world: factories.World, browser_as: BrowserAs
) -> None:
    bug = bug_in(world, "scheduled", priority="critical")
    r = post(browser_as("rte"), bug, "assign", assignees=["dev2", "dev1"])
    assert r.status_code == 409
    page = html(r).replace("&#x27;", "'")
    reasons = summary(page)
    for text in (
        "A critical bug needs an L3+ developer among its assignees",
        "Checkout API is a critical component: it needs an L3+ assignee",
        "dev1 (L1) works under guidance: name a mentor of level L3+",
    ):
        assert text in reasons, text
    assert "A critical bug needs an L3+" in beside(page, "assignees")
    assert "works under guidance" in beside(page, "mentor")
    assert re.search(r'<option value="dev2" selected>', page)  # the choice is kept
    assert re.search(r'<option value="dev1" selected>', page)


def test_a_refusal_without_a_field_is_in_the_summary_and_the_form(
    world: factories.World, browser_as: BrowserAs
) -> None:
    sprint = current_sprint(world)
    bug = bug_in(world, "triaged")
    r = post(browser_as("dev3"), bug, "schedule", sprint=str(sprint.pk))
    assert r.status_code == 409
    page = html(r)
    assert "Schedule needs the role: Release train engineer" in summary(page)
    r = post(browser_as("rte"), bug, "schedule", sprint="999")
    assert r.status_code == 409 and beside(html(r), "sprint") == "No sprint 999"


def test_an_action_done_redirects_with_a_message(
    world: factories.World, browser_as: BrowserAs
) -> None:
    bug = new_item(world, "bug")
    rte = browser_as("rte")
    r = post(rte, bug, "triage", priority="major", impact="Visa payments fail")
    assert r.status_code == 302 and r["Location"] == f"/work-items/{bug.key}/"
    page = html(rte.get(r["Location"]))
    assert "Triage: BUG-1 is now triaged." in page
    assert 'data-status="triaged">Triaged</span>' in page
    assert "New → Triaged" in page  # the timeline
    assert re.search(r'class="chg-field">priority</span> major', page)


def test_the_page_shows_facts_cases_tests_and_history(
    world: factories.World, browser_as: BrowserAs
) -> None:
    bug = bug_in(world, "closed", priority="critical")
    page = html(browser_as("rte").get(f"/work-items/{bug.key}/"))
    case = bug.cases.get()
    for text in (
        "Steps to reproduce",
        "Critical",
        "All card payments fail",
        "Sprint 12",
        "Core team",
        "dev3 · L3",  # assignee
        "dev4 · L4",  # reviewer
        "4.3.1",
        "Production",
        f'href="/cases/{case.key}/"',
        "Acme Retail",
        "Fixed by development · 4.3.1",
        "Paid with Visa in staging: 200",
        "Validated in production",
        "Awaiting validation → Closed",
        'aria-current="step">Closed</li>',
        "No action is possible from <strong>Closed</strong>: the bug is finished",
    ):
        assert text in page, text


def test_feature_page_shows_decisions_and_wsjf(
    world: factories.World, browser_as: BrowserAs
) -> None:
    feature = feature_in(world, "approved")
    page = html(browser_as("pm").get(f"/work-items/{feature.key}/"))
    assert page.count('class="badge decision-approve">Approve</span>') == 2
    assert "<strong>4.0</strong>" in page  # (8 + 5 + 3) / 4


def test_case_page_shows_the_linked_item_and_its_status(
    world: factories.World, browser_as: BrowserAs
) -> None:
    bug = bug_in(world, "scheduled")
    case = bug.cases.get()
    page = html(browser_as("l2").get(f"/cases/{case.key}/"))
    assert re.search(
        r'data-testid="work-item-status"><span class="badge wi-state group-active"[^>]*>Scheduled',
        page,
    )
    assert f"{bug.key}</a> (scheduled)" in page
    closed = bug_in(world, "closed")
    case = closed.cases.get()
    page = html(browser_as("l2").get(f"/cases/{case.key}/"))
    assert "Fixed by development" in page and 'data-testid="fixed-version">4.3.1<' in page
    portal = html(browser_as("cust_a").get(f"/portal/cases/{case.key}/"))
    assert ">Fixed in 4.3.1</span>" in portal and "/work-items/" not in portal


def test_customers_and_partners_find_no_work_item_page(
    world: factories.World, browser_as: BrowserAs
) -> None:
    bug = bug_in(world, "triaged")
    urls = [
        f"/work-items/{bug.key}/",
        "/work-items/",
        "/work-items/board/",
        "/work-items/board/bug/",
        "/work-items/queues/triage/",
        "/work-items/queues/mine/",
        "/work-items/queues/validation/",
    ]
    for who in ("cust_a", "cust_b", "partner"):
        client = browser_as(who)
        for url in urls:
            assert client.get(url).status_code == 404, (who, url)
        r = post(client, bug, "triage", priority="minor", impact="x")
        assert r.status_code == 404
    assert WorkItem.objects.get(pk=bug.pk).priority == "major"


def test_unknown_items_and_actions(world: factories.World, browser_as: BrowserAs) -> None:
    bug = new_item(world, "bug")
    dev = browser_as("dev3")
    assert dev.get("/work-items/BUG-404/").status_code == 404
    assert dev.post(f"/work-items/{bug.key}/actions/fly/").status_code == 404
    assert dev.get(f"/work-items/{bug.key.lower()}/")["Location"] == f"/work-items/{bug.key}/"
    assert dev.get(f"/work-items/{bug.key}/actions/triage/").status_code == 405


def test_the_full_path_through_the_pages(world: factories.World, browser_as: BrowserAs) -> None:
    """Every action of a bug's life through the page's forms, by the right people."""
    sprint = current_sprint(world)
    bug = new_item(world, "bug")
    steps: list[tuple[str, str, dict[str, Any], str]] = [
        ("rte", "triage", {"priority": "critical", "impact": "All Visa payments"}, "triaged"),
        ("rte", "schedule", {"sprint": str(sprint.pk)}, "scheduled"),
        ("rte", "assign", {"assignees": ["dev1", "dev3"], "mentor": "dev4"}, "scheduled"),
        ("dev1", "start", {}, "in_progress"),
        ("dev1", "submit_review", {"reviewer": "dev4"}, "in_review"),
        ("dev4", "request_changes", {"reason": "Add a test for JPY"}, "in_progress"),
        ("dev3", "submit_review", {}, "in_review"),
        ("dev4", "approve_review", {}, "in_testing"),
        ("qa", "test_fail", {"evidence": "JPY rounding still wrong"}, "in_progress"),
        ("dev3", "submit_review", {}, "in_review"),
        ("dev4", "approve_review", {}, "in_testing"),
        ("qa", "test_pass", {"evidence": "All currencies pass"}, "in_release"),
        ("devops", "release", {"version": "5.0.1"}, "in_release"),
        ("devops", "deploy", {"environment": "production"}, "awaiting_validation"),
        ("l2", "fail_validation", {"reason": "Still 502 in NO"}, "reopened"),
        ("dev3", "start", {}, "in_progress"),
        ("dev3", "submit_review", {}, "in_review"),
        ("dev4", "approve_review", {}, "in_testing"),
        ("qa", "test_pass", {"evidence": "NO cards pass"}, "in_release"),
        ("devops", "deploy", {"environment": "production"}, "awaiting_validation"),
        ("l2", "validate", {}, "closed"),
    ]
    for who, action, fields, status in steps:
        r = post(browser_as(who), bug, action, **fields)
        assert r.status_code == 302, (who, action, summary(html(r)))
        assert WorkItem.objects.get(pk=bug.pk).status == status, (who, action)
    done = WorkItem.objects.get(pk=bug.pk)
    assert done.reopen_count == 1 and done.test_records.count() == 3


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_item_page_queries_do_not_grow_with_cases_and_history(
    world: factories.World, browser_as: BrowserAs
) -> None:
    bug = bug_in(world, "in_review", priority="critical")
    url = f"/work-items/{bug.key}/"
    few = {who: _queries(browser_as(who), url) for who in ("rte", "dev4", "l2")}
    for _ in range(4):
        case = case_transition(actor=world["l2"], case=factories.make_case(world), action="take")
        case_transition(
            actor=world["l2"], case=case, action="escalate", data={"work_item": bug.key}
        )
    act(world, "dev4", bug, "request_changes", reason="Add a test")
    act(world, "dev3", bug, "submit_review", reviewer="dev4")
    many = {who: _queries(browser_as(who), url) for who in ("rte", "dev4", "l2")}
    assert many == few, (few, many)
    # 16 before the Azure DevOps sync panel and pull request links (their rows: 2 queries),
    # and the conversation's comments (1 query, with their authors);
    # 18 before the fix clock of an item SLA policy (1 query)
    assert max(many.values()) <= 20, many
    assert html(browser_as("rte").get(url)).count('<tr data-case="CB-') == 5
