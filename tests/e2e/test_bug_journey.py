"""The full bug journey of issue 3, in Chromium, each step by the right person in their own
browser context: L2 escalates; the RTE triages it as critical and schedules it into the current
sprint; assigning an L2 developer alone is refused with the reason (409, nothing typed lost); an
L3 developer is assigned, starts and submits; another developer approves the review; QA records
test evidence; DevOps releases and deploys; L2's validation fails and the bug reopens; it is fixed
again and validated; the bug is closed and the case is resolved as fixed with the version.

``CASEBRIDGE_SCREENSHOTS=1`` also saves the pages on the way to $CASEBRIDGE_SHOTS (/tmp/shots).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from casebridge.accounts.models import Team
from casebridge.sprints.selectors import today
from casebridge.sprints.services import sprint_create
from tests import factories
from tests.e2e.conftest import SHOTS, sign_in

pytestmark = pytest.mark.e2e

Fill = Callable[[Any], None]


def shot(page: Any, name: str) -> None:
    if os.environ.get("CASEBRIDGE_SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def status(page: Any) -> Any:
    return page.locator(".case-meta .wi-state")


def act(page: Any, key: str, action: str, fill: Fill | None = None, *, then: str = "") -> Any:
    """On the item page, take ``action``: a button, or a form (``fill`` fills it) then submit.
    Waits for the page that answers; ``then`` is the status label expected afterwards."""
    page.goto(f"/work-items/{key}/")
    control = page.locator(f'#actions [data-action="{action}"]')
    expect(control).to_have_count(1)
    if control.evaluate("e => e.tagName") == "DETAILS":
        control.locator("summary").click()
        if fill is not None:
            fill(control)
    with page.expect_navigation():
        control.locator("button[type=submit]").click()
    if then:
        expect(status(page)).to_have_text(then)
        expect(page.locator(".flash")).to_contain_text(f"is now {then.lower()}")
    return control


def test_bug_journey(e2e_world: factories.World, new_page: Any) -> None:
    world = e2e_world
    day = today()
    sprint_create(
        actor=world["rte"],
        team=Team.objects.get(slug="core-team"),
        name="Sprint 12",
        start=day - timedelta(days=3),
        end=day + timedelta(days=10),
    )
    case = factories.make_case(world, title="Checkout returns 502 for Visa cards after 3-D Secure")

    # 1. L2 takes the case and escalates it as a bug, with its documentation.
    l2 = new_page()
    sign_in(l2, "l2")
    l2.goto(f"/cases/{case.key}/")
    l2.get_by_role("button", name="Take", exact=True).click()
    expect(l2.locator(".case-meta .state")).to_have_text("Investigating")
    l2.get_by_role("button", name="Escalate to development").click()
    l2.get_by_label("Bug", exact=True).check()
    l2.get_by_label("Steps to reproduce").fill(
        "1. Add any item\n2. Pay with a Visa card (3-D Secure)"
    )
    l2.get_by_label("Expected result").fill("The payment succeeds")
    l2.get_by_label("Actual result").fill("HTTP 502 after 30 s")
    l2.get_by_label("Log excerpt").fill(
        "ERROR gateway upstream timed out after 30000 ms host=pay-3"
    )
    l2.get_by_role("button", name="Escalate to development").click()
    expect(l2.locator(".case-meta .state")).to_have_text("Escalated")
    link = l2.get_by_test_id("work-item-link")
    expect(link).to_have_text(re.compile(r"^BUG-\d+$"))
    bug = link.inner_text().strip()
    expect(l2.locator(".outcome")).to_contain_text("New")  # the item's status, on the case

    # 2. The RTE finds it in triage, triages it as critical and schedules it.
    rte = new_page()
    sign_in(rte, "rte")
    rte.get_by_role("link", name="Triage", exact=True).click()
    expect(rte.locator("#queue")).to_contain_text(bug)
    rte.locator("#queue").get_by_role("link", name=bug, exact=True).click()
    expect(rte.get_by_role("heading", level=1)).to_have_text(case.title)
    expect(rte.locator("#cases")).to_contain_text(case.key)  # the linked case, on the item

    def triage(form: Any) -> None:
        form.get_by_label("Critical").check()
        form.get_by_label("Impact").fill("Every Visa payment with 3-D Secure fails at checkout")

    act(rte, bug, "triage", triage, then="Triaged")
    expect(rte.locator(".case-meta .prio")).to_have_text("Critical")
    act(
        rte,
        bug,
        "schedule",
        lambda f: f.get_by_label("Sprint").select_option(label="Core team · Sprint 12 (current)"),
        then="Scheduled",
    )
    shot(rte, "work-item-scheduled")

    # 3. Assigning an L2 developer alone to a critical bug is refused, with the reason, beside
    #    the field and in the summary, with HTTP 409; the choice made is still there.
    rte.goto(f"/work-items/{bug}/")
    assign = rte.locator('#actions [data-action="assign"]')
    assign.locator("summary").click()
    assignees = assign.get_by_label("Assignees")
    assignees.select_option(["dev2"])
    with rte.expect_response(lambda r: r.url.endswith("/actions/assign/")) as answer:
        assign.locator("button[type=submit]").click()
    assert answer.value.status == 409
    policy = "A critical bug needs an L3+ developer among its assignees"
    expect(rte.locator("#refusal")).to_contain_text(policy)
    expect(rte.locator("#refusal")).to_contain_text("Assign: not done")
    assign = rte.locator('#actions [data-action="assign"]')
    expect(assign).to_have_attribute("open", "")
    expect(assign.locator(".field-assignees .field-error")).to_contain_text(policy)
    expect(assign.get_by_label("Assignees")).to_have_values(["dev2"])
    shot(rte, "work-item-refused")

    # 4. An L3 developer is assigned (in the same form, re-rendered).
    assign.get_by_label("Assignees").select_option(["dev3"])
    with rte.expect_navigation():
        assign.locator("button[type=submit]").click()
    expect(rte.locator(".flash")).to_contain_text("Assign:")
    expect(rte.locator(".facts .person").first).to_contain_text("dev3 · L3")

    # 5. The assignee starts and submits it for review; another developer approves the review.
    dev3 = new_page()
    sign_in(dev3, "dev3")
    dev3.get_by_role("link", name="My work", exact=True).click()
    expect(dev3.locator("#queue")).to_contain_text(bug)
    act(dev3, bug, "start", then="In progress")
    ask_dev4: Fill = lambda f: f.get_by_label("Reviewer to ask").select_option("dev4")  # noqa: E731
    act(dev3, bug, "submit_review", ask_dev4, then="In review")
    dev4 = new_page()
    sign_in(dev4, "dev4")
    dev4.get_by_role("link", name="Reviews").click()
    expect(dev4.locator(f'tr[data-key="{bug}"]')).to_contain_text("Asks you to review")
    act(dev4, bug, "approve_review", then="In testing")

    # 6. QA records the test evidence.
    qa = new_page()
    sign_in(qa, "qa")
    evidence = "Paid with Visa + 3-D Secure in staging: 200, order confirmed"
    act(
        qa,
        bug,
        "test_pass",
        lambda f: f.get_by_label("Test evidence").fill(evidence),
        then="In release",
    )
    expect(qa.locator("#tests")).to_contain_text(evidence)

    # 7. DevOps records the release and deploys it.
    devops = new_page()
    sign_in(devops, "devops")
    act(devops, bug, "release", lambda f: f.get_by_label("Release version").fill("4.3.1"))
    expect(devops.locator(".flash")).to_contain_text("Record release")
    production: Fill = lambda f: f.get_by_label("Environment").select_option("production")  # noqa: E731
    act(devops, bug, "deploy", production, then="Awaiting validation")

    # 8. L2's validation fails in production: the bug is reopened, and counted.
    l2.get_by_role("link", name="Validation").click()
    expect(l2.locator("#queue")).to_contain_text(bug)
    still = "Still 502 for Visa cards issued in Norway"
    act(l2, bug, "fail_validation", lambda f: f.get_by_label("Reason").fill(still), then="Reopened")
    expect(l2.locator(".case-meta")).to_contain_text("Reopened 1\N{MULTIPLICATION SIGN}")
    expect(l2.locator("#timeline")).to_contain_text(still)

    # 9. Fixed again: started, reviewed, tested, released, deployed, and validated.
    act(dev3, bug, "start", then="In progress")
    act(dev3, bug, "submit_review", ask_dev4, then="In review")
    act(dev4, bug, "approve_review", then="In testing")
    act(
        qa,
        bug,
        "test_pass",
        lambda f: f.get_by_label("Test evidence").fill("Norwegian Visa cards pay in staging"),
        then="In release",
    )
    act(devops, bug, "release", lambda f: f.get_by_label("Release version").fill("4.3.2"))
    act(devops, bug, "deploy", production, then="Awaiting validation")
    act(l2, bug, "validate", then="Closed")
    shot(l2, "work-item-closed")

    # 10. The bug is closed; the case is resolved as fixed, with the version.
    l2.goto(f"/cases/{case.key}/")
    expect(l2.locator(".case-meta .state")).to_have_text("Resolved")
    outcome = l2.locator(".outcome")
    expect(outcome).to_contain_text("Fixed by development")
    expect(outcome).to_contain_text("4.3.2")
    expect(outcome.get_by_test_id("work-item-status")).to_have_text("Closed")
    expect(l2.locator("#timeline")).to_contain_text("to Closed")
    shot(l2, "case-resolved")


BOARD_TITLES = [
    "Checkout returns 502 for Visa cards after 3-D Secure",
    "Partial refund stuck in 'pending' for 2 days",
    "New products missing from search results",
    "Timeout on /v2/charge during evening peak",
    "SAML login loops back to the sign-in page",
    "MFA codes by SMS arrive after they expire",
    "Search suggestions show discontinued items",
    "Order confirmation e-mails land in spam for Outlook",
    "Refund webhook sent twice for one refund",
    "Push notifications not delivered on Android 14",
    "Password reset link says 'expired' immediately",
    "Facet counts do not add up after reindex",
    "Apple Pay button missing in Safari 17",
    "Invoice PDF attachment is empty",
    "Refund amount rounded wrong for JPY orders",
    "Search returns 500 for queries with an apostrophe",
    "3DS challenge window blank on iOS in-app browser",
    "Okta users logged out every 10 minutes",
]
BOARD_STATUSES = [
    "new",
    "new",
    "triaged",
    "triaged",
    "scheduled",
    "in_progress",
    "in_progress",
    "in_progress",
    "in_review",
    "in_review",
    "in_testing",
    "in_release",
    "awaiting_validation",
    "closed",
    "closed",
    "new",
    "scheduled",
    "in_progress",
]


def test_work_item_screens(e2e_world: factories.World, new_page: Any) -> None:
    """The board, the queues and an item page on a small realistic set render and work (with
    CASEBRIDGE_SCREENSHOTS=1 they are also saved as images, to judge the design)."""
    from tests.web.work_items import bug_in, escalated

    world = e2e_world
    priorities = ["critical", "major", "minor", "major"]
    for n, (title, state) in enumerate(zip(BOARD_TITLES, BOARD_STATUSES, strict=True)):
        bug_in(world, state, priority=priorities[n % 4], title=title)
    escalated(world, "feature", title="Export the case queue to CSV")
    escalated(world, "improvement", title="Alert when the mail queue backs up")
    page = new_page(width=1440, height=900)
    sign_in(page, "rte")
    assert page.goto("/work-items/board/bug/").ok
    shot(page, "work-item-board")
    page.set_viewport_size({"width": 2600, "height": 1000})
    assert page.goto("/work-items/board/bug/?finished=1").ok
    shot(page, "work-item-board-finished")
    page.set_viewport_size({"width": 1440, "height": 900})
    assert page.goto("/work-items/queues/triage/").ok
    shot(page, "work-item-queue-triage")
    dev = new_page(width=1440, height=900)
    sign_in(dev, "dev3")
    assert dev.goto("/work-items/queues/mine/").ok
    shot(dev, "work-item-queue-mine")
    pm = new_page(width=1440, height=900)
    sign_in(pm, "pm")
    assert pm.goto("/work-items/queues/decisions/").ok
    shot(pm, "work-item-queue-decisions")
    pm.locator("#queue").get_by_role("link", name=re.compile(r"^FR-")).first.click()
    pm.locator('#actions [data-action="approve"] summary').click()
    shot(pm, "work-item-feature-approve")
