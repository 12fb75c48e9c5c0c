"""An incident in Chromium, each step by its own person in their own browser context: L2 declares
it from the case page (the health panel's form); the lead (an L3 developer) tries to hand the
lead to an L2 developer and sees the refusal with its reason beside the field, then names a
scribe, a communications contact and an L1 participant with a guide; L2's open room receives
the lead's note live (the timeline polls for new entries, no reload); the lead mitigates,
resolves and starts the review; the post-incident review is written, its action items become
work items with owners, the page shows what keeps the incident open until then, and it closes.

``CASEBRIDGE_SCREENSHOTS=1`` also saves the pages on the way to $CASEBRIDGE_SHOTS (/tmp/shots).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import SHOTS, sign_in

pytestmark = pytest.mark.e2e

Fill = Callable[[Any], None]


def shot(page: Any, name: str) -> None:
    if os.environ.get("CASEBRIDGE_SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def act(page: Any, action: str, fill: Fill | None = None) -> Any:
    """In the room, take ``action``: a button, or a popover form (``fill`` fills it), and wait
    for the page that answers."""
    control = page.locator(f'details[data-action="{action}"], form[data-action="{action}"]')
    if control.evaluate("e => e.tagName") == "DETAILS":
        if control.get_attribute("open") is None:  # a refused form comes back open
            control.locator("summary").click()
        if fill is not None:
            fill(control)
    with page.expect_navigation():
        control.locator("button[type=submit]").click()
    return control


def test_incident_room(e2e_world: factories.World, new_page: Any) -> None:
    world = e2e_world
    case = factories.make_case(world, title="Checkout times out for every card payment")

    # 1. L2 declares an incident from the case page, in the health panel of its service.
    l2 = new_page()
    sign_in(l2, "l2")
    l2.goto(f"/cases/{case.key}/")
    panel = l2.get_by_test_id("case-health")
    expect(panel).to_contain_text("Health of Payments")
    shot(l2, "case-health")
    declare = l2.locator('details[data-action="declare"]')
    declare.locator("summary").click()
    expect(declare.get_by_label("Title")).to_have_value(case.title)
    declare.get_by_label("Title").fill("Checkout down for card payments")
    declare.get_by_label("Severity").select_option("sev2")
    declare.get_by_label("Lead").select_option("dev3")
    with l2.expect_navigation():
        declare.get_by_role("button", name="Declare", exact=True).click()
    expect(l2.get_by_role("heading", level=1)).to_have_text("Checkout down for card payments")
    expect(l2.get_by_test_id("incident-state")).to_have_text("Active")
    timeline = l2.locator("#timeline-entries")
    expect(timeline).to_contain_text(f"Declared SEV-2 (major) from {case.key}")
    key = re.sub(r"^.*/incidents/([^/]+)/$", r"\1", l2.url)
    assert key.startswith("INC-")

    # 2. The lead tries to hand the lead to an L2 developer: refused, the reason beside the field.
    lead = new_page()
    sign_in(lead, "dev3")
    lead.goto(f"/incidents/{key}/")
    act(lead, "assign_lead", lambda f: f.get_by_label("Lead").select_option("dev2"))
    refusal = lead.locator("#refusal")
    expect(refusal).to_contain_text("Change the lead: not done")
    expect(refusal).to_contain_text("An incident's lead is an L3+ developer (dev2 (L2) is not)")
    opened = lead.locator('details[data-action="assign_lead"]')
    expect(opened).to_have_attribute("open", "")
    expect(opened.locator(".field-lead .field-error")).to_contain_text("L3+ developer")
    expect(lead.get_by_test_id("role-lead")).to_contain_text("dev3")
    shot(lead, "incident-lead-refused")
    lead.keyboard.press("Escape")  # closes the popover that was reopened with the refusal
    expect(opened).not_to_have_attribute("open", "")

    # ... then names a scribe, a communications contact from support and an L1 participant,
    # who needs a guide from the incident.
    act(lead, "assign_scribe", lambda f: f.get_by_label("Scribe").select_option("dev2"))
    expect(lead.get_by_test_id("role-scribe")).to_contain_text("dev2")
    act(
        lead,
        "assign_comms",
        lambda f: f.get_by_label("Communications contact").select_option("l2"),
    )
    expect(lead.get_by_test_id("role-comms")).to_contain_text("l2")
    act(lead, "add_participant", lambda f: f.get_by_label("Participant").select_option("dev1"))
    expect(lead.locator("#refusal")).to_contain_text("participates under guidance")

    def guided(form: Any) -> None:
        form.get_by_label("Participant").select_option("dev1")
        form.get_by_label("Guide").select_option("dev3")

    act(lead, "add_participant", guided)
    expect(lead.get_by_test_id("participants")).to_contain_text("guided by dev3")

    # 3. L2's room, open since the declaration, receives the role changes and a note live.
    expect(timeline).to_contain_text("Scribe: dev2 (L2)")
    expect(timeline).to_contain_text("dev1 (L1) joined, guided by dev3 (L3)")
    lead.get_by_label("Add a note to the timeline").fill("Rolled checkout back to 4.2.0")
    lead.get_by_role("button", name="Add note").click()
    expect(lead.locator("#timeline-entries")).to_contain_text("Rolled checkout back to 4.2.0")
    expect(lead.get_by_label("Add a note to the timeline")).to_have_value("")
    expect(timeline.locator('[data-kind="note"]')).to_contain_text("Rolled checkout back to 4.2.0")
    entries = timeline.locator("li.ev")
    ids = entries.evaluate_all("els => els.map(e => e.dataset.entry)")
    assert len(ids) == len(set(ids)), ids  # polling appends each entry once
    shot(l2, "incident-room")

    # The service's page shows its health: an incident is open.
    lead.get_by_role("link", name="Payments").first.click()
    expect(lead.get_by_test_id("health-status").first).to_have_text("Incident")
    expect(lead.get_by_test_id("open-incident")).to_contain_text(key)
    shot(lead, "service-health")
    lead.goto(f"/incidents/{key}/")

    # 4. The lead mitigates, resolves and starts the review (led by an L3+ developer).
    act(lead, "mitigate", lambda f: f.get_by_label("Note").fill("Rollback restored card payments"))
    expect(lead.get_by_test_id("incident-state")).to_have_text("Mitigated")
    act(lead, "resolve", lambda f: f.get_by_label("Note").fill("Connection pool resized"))
    expect(lead.get_by_test_id("incident-state")).to_have_text("Resolved")
    act(lead, "start_review", lambda f: f.get_by_label("Review lead").select_option("dev3"))
    expect(lead.get_by_test_id("incident-state")).to_have_text("In review")
    expect(timeline).to_contain_text("Resolved → In review: review led by dev3 (L3)")

    # 5. The review: written, with action items that become work items once they have owners.
    lead.get_by_role("button", name="Write the review").click()
    checklist = lead.get_by_test_id("closing-reasons")
    expect(checklist).to_contain_text("State the root cause in the review")
    expect(lead.get_by_role("button", name="Close the incident")).to_have_count(0)
    lead.get_by_label("Summary").fill("Card payments failed for 40 minutes during the sale")
    lead.get_by_label("Root cause").fill("The payment connection pool was sized for a quiet day")
    lead.get_by_label("Impact", exact=True).fill("Every card payment timed out")
    lead.get_by_label("Duration (minutes)").fill("40")
    lead.get_by_label("Customers affected").fill("1200")
    lead.get_by_label("What went well").fill("The rollback took five minutes")
    lead.get_by_label("What went badly").fill("The first alert came after twenty minutes")
    with lead.expect_navigation():
        lead.get_by_role("button", name="Save the review").click()
    expect(lead.locator(".flash")).to_contain_text("is saved")
    expect(checklist).to_have_count(0)

    items = lead.locator("#action-items")
    items.get_by_label("Action item").fill("Size the pool from load tests")
    with lead.expect_navigation():
        items.get_by_role("button", name="Add the action item").click()
    expect(lead.get_by_test_id("closing-reasons")).to_contain_text(
        "Action item 'Size the pool from load tests' has no owner"
    )
    expect(lead.get_by_role("button", name="Close the incident")).to_have_count(0)
    shot(lead, "incident-review-open-item")
    owner_form = lead.locator("form.owner-form")
    owner_form.get_by_label("Owner").select_option("dev2")
    with lead.expect_navigation():
        owner_form.get_by_role("button", name="Give it this owner").click()
    items = lead.locator("#action-items")
    expect(items.get_by_test_id("action-item-work-item")).to_have_text(re.compile(r"^IMP-\d+$"))
    items.get_by_label("Action item").fill("Alert on pool saturation before requests time out")
    items.get_by_label("Becomes").select_option("bug")
    items.locator(".item-form").get_by_label("Owner").select_option("dev3")
    with lead.expect_navigation():
        items.get_by_role("button", name="Add the action item").click()
    filed = lead.get_by_test_id("action-item-work-item")
    expect(filed).to_have_count(2)
    expect(filed.nth(1)).to_have_text(re.compile(r"^BUG-\d+$"))
    expect(lead.get_by_test_id("closing-ready")).to_be_visible()
    shot(lead, "incident-review-ready")

    # 6. It closes; L2's room sees it on the timeline.
    with lead.expect_navigation():
        lead.get_by_role("button", name="Close the incident").click()
    expect(lead.get_by_test_id("incident-state")).to_have_text("Closed")
    expect(lead.locator("#note-form")).to_have_count(0)
    expect(timeline).to_contain_text("In review → Closed")
