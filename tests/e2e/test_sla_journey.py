"""An SLA in a real browser: an administrator creates a 24x7 calendar and a policy for critical
cases; a critical case shows its first-response clock on the queue; the owner hears the warning;
the dashboard's compliance figure changes when the clock breaches; asking the reporter pauses
the resolution clock. Time moves with time-machine (the live server runs in this process)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from casebridge.cases.services import case_transition
from casebridge.integrations.relay import outbox_deliver_due
from casebridge.sla.services import sla_tick
from tests import factories
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def _compliance(page: Any) -> str:
    page.goto("/reports/support/?period=day")
    row = page.get_by_test_id("kpi-compliance").locator("tbody tr").last
    return str(row.inner_text())


def test_policy_clock_on_the_queue_warning_breach_and_pause(
    e2e_world: factories.World, new_page: Any
) -> None:
    world = e2e_world
    t0 = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=1)
    admin = new_page()
    sign_in(admin, "admin")
    admin.goto("/settings/sla/calendars/new/")
    admin.get_by_label("Name").fill("Around the clock")
    admin.get_by_label("24x7 (every minute counts)").check()
    admin.get_by_role("button", name="Save").click()
    expect(admin.get_by_text("Around the clock").first).to_be_visible()
    admin.goto("/settings/sla/policies/new/")
    admin.get_by_label("Name").fill("Critical cases")
    admin.locator("input[name=impacts][value=critical]").check()
    admin.get_by_label("Counts in the calendar").select_option("around-the-clock")
    admin.get_by_label("First response (business minutes)").fill("60")
    admin.get_by_label("Resolution (business minutes)").fill("480")
    admin.get_by_role("button", name="Save").click()
    expect(admin.get_by_test_id("sla-policies")).to_contain_text("Critical cases")

    with time_machine.travel(t0, tick=True):
        case = factories.make_case(world, impact="critical", title="Payments down for all")
        case = case_transition(actor=world["l2"], case=case, action="take")
        sla_tick()
        l2 = new_page()
        sign_in(l2, "l2")
        l2.goto("/cases/?sort=breach")
        row = l2.locator("tr", has_text="Payments down for all")
        expect(row.locator(".sla")).to_contain_text("On track")
        before = _compliance(l2)

    with time_machine.travel(t0 + timedelta(minutes=46), tick=True):
        sla_tick()  # 75% of the hour: the warning
        outbox_deliver_due()  # the worker tells the owner
        l2.goto("/cases/?sort=breach")
        expect(l2.locator("tr", has_text="Payments down for all").locator(".sla")).to_contain_text(
            "At risk"
        )
        l2.locator("#notification-bell").click()
        expect(l2.locator("#notifications")).to_contain_text("first response target is close")

    with time_machine.travel(t0 + timedelta(minutes=62), tick=True):
        sla_tick()  # the hour passed: breached
        after = _compliance(l2)
        assert after != before
        assert "0.0" in after  # all clocks of the period: none met, one breached

    with time_machine.travel(t0 + timedelta(minutes=70), tick=True):
        case_transition(actor=world["l2"], case=case, action="request_info",
                        data={"question": "Which region?"})  # fmt: skip
        sla_tick()
        l2.goto(f"/cases/{case.key}/")
        clocks = l2.get_by_test_id("sla-clocks")
        expect(clocks).to_contain_text("Paused")
        l2.goto("/cases/?state=waiting_on_reporter")
        expect(l2.locator("tr", has_text="Payments down for all").locator(".sla")).to_contain_text(
            "Paused"
        )
