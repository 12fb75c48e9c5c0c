"""The escalation path, in Chromium: L1 logs a case for a caller of the chosen organisation, L2
takes it, the gate refuses a bug without its documentation and names every missing item at once,
L2 completes it and a log file, escalates, the case page shows the work item and the timeline,
and the work item's page the case's description and a link to the log."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e

LOG = """\
2024-05-01 10:00:01,120 INFO  gateway  POST /v2/charge order=88121
2024-05-01 10:00:31,125 ERROR gateway  upstream timed out after 30000 ms host=pay-3
2024-05-01 10:00:31,126 WARN  gateway  returning 502 to client order=88121
"""


def test_escalation_path(e2e_world: factories.World, new_page: Any, tmp_path: Path) -> None:
    # An L1 agent logs the case.
    l1 = new_page()
    sign_in(l1, "l1")
    l1.get_by_role("link", name="New case").first.click()
    l1.get_by_label("Title").fill("Checkout fails with 502 for card payments")
    l1.get_by_label("Service").select_option(label="Payments")
    component = l1.get_by_label("Component")
    expect(component.locator("option")).to_have_count(3)  # "not sure" + the two of Payments
    component.select_option(label="Checkout API")
    l1.get_by_label("Environment").select_option(label="Production")
    l1.get_by_label("Impact").select_option("high")
    l1.get_by_label("Version").fill("4.2.1")
    l1.get_by_label("Description").fill("Customers see a 502 at the last step of checkout.")
    l1.get_by_label("Organisation").select_option(label="Acme Retail")
    # The caller is one of Acme's people: the reporter select offers only them (issue 10).
    reporter = l1.get_by_label("Reporter")
    expect(reporter.locator("option")).to_have_count(2)  # "Me" + Acme's one customer
    reporter.select_option("cust_a")
    l1.get_by_role("button", name="Create case").click()
    expect(l1.locator(".flash")).to_contain_text("created")
    key = l1.locator(".case-key").inner_text().strip()
    assert re.fullmatch(r"CB-\d+", key)

    # An L2 engineer, in another browser context, finds it in the queue and takes it.
    l2 = new_page()
    sign_in(l2, "l2")
    expect(l2).to_have_url(re.compile(r"/cases/$"))
    l2.get_by_role("link", name=key, exact=True).click()
    l2.get_by_role("button", name="Take", exact=True).click()
    expect(l2.locator(".case-meta .state")).to_have_text("Investigating")

    # Escalating as a bug without steps to reproduce: every missing item, at once.
    l2.get_by_role("button", name="Escalate to development").click()  # a link styled as one
    expect(l2).to_have_url(re.compile(rf"/cases/{key}/escalate/$"))
    l2.get_by_label("Bug", exact=True).check()
    l2.get_by_role("button", name="Escalate to development").click()
    expect(l2.locator(".form-errors")).to_contain_text("4 items to complete")
    missing = {
        "steps_to_reproduce": "Give the steps to reproduce",
        "expected_result": "Say what should happen",
        "actual_result": "Say what happens instead",
        "log_excerpt": "Paste a log excerpt or attach a log file",
    }
    for field, message in missing.items():
        expect(l2.locator(f".field-{field} .field-error")).to_contain_text(message)
    checklist = l2.locator("#checklist")
    expect(checklist.locator("li.missing")).to_have_count(4)
    expect(checklist.locator("li.done")).to_have_count(4)  # description, service, version, env

    # The engineer adds them; the checklist follows as they type.
    l2.get_by_label("Steps to reproduce").fill("1. Add any item\n2. Pay with a Visa card")
    l2.get_by_label("Expected result").fill("The payment succeeds")
    l2.get_by_label("Actual result").fill("HTTP 502 after 30 s")
    expect(checklist.locator("li.missing")).to_have_count(1)
    expect(checklist.locator("li.missing")).to_contain_text("Log excerpt or log attachment")

    # ... and a log file, which satisfies the log requirement.
    log = tmp_path / "gateway.log"
    log.write_text(LOG)
    l2.locator("#evidence input[type=file]").set_input_files(str(log))
    l2.get_by_role("button", name="Upload file").click()
    expect(l2.locator("#evidence")).to_contain_text("gateway.log")
    expect(l2.locator("#evidence .badge.log")).to_have_count(1)
    expect(checklist.locator("li.missing")).to_have_count(0)
    expect(checklist).to_contain_text("Ready to escalate")

    l2.get_by_role("button", name="Escalate to development").click()

    # The case page shows the work item link and the timeline.
    expect(l2).to_have_url(re.compile(rf"/cases/{key}/$"))
    expect(l2.locator(".case-meta .state")).to_have_text("Escalated")
    link = l2.get_by_test_id("work-item-link")
    expect(link).to_have_text(re.compile(r"^BUG-\d+$"))
    timeline = l2.locator("#timeline")
    for sentence in (
        "opened the case",
        "took the case",
        "state: New → Investigating",
        "attached gateway.log",
        "created work item",
        "state: Investigating → Escalated",
        "escalated it to development as",
    ):
        expect(timeline).to_contain_text(sentence)
    bug = link.inner_text()
    link.click()
    expect(l2.get_by_role("heading", level=1)).to_have_text(
        "Checkout fails with 502 for card payments"
    )
    expect(l2.locator("main")).to_contain_text("Pay with a Visa card")
    # Everything the gate demanded reached development: the case's description, where it
    # happens and a link to the log file (issue 10).
    docs = l2.locator("#documentation")
    expect(docs).to_contain_text("Customers see a 502 at the last step of checkout.")
    expect(docs).to_contain_text("version 4.2.1")
    expect(docs.get_by_role("link", name="gateway.log")).to_be_visible()
    expect(l2.locator("#cases").get_by_role("link", name=key, exact=True)).to_be_visible()
    assert bug.startswith("BUG-")
