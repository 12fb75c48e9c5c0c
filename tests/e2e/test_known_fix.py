"""A known fix, in Chromium: three earlier cases had the same error in their logs, and a known
resolution carries that log signature. L2 opens a new case whose log shows the error: while it is
typed the form shows the earlier cases and the fix; on the case page the workbench shows the
earlier cases and suggests the fix because of the signature; the log file is parsed in the
background (its signatures appear); L2 applies the fix and the case resolves as known_fix."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.utils import timezone
from playwright.sync_api import expect

from casebridge.cases.attachments import attachment_add
from casebridge.cases.models import Case
from casebridge.knowledge.services import KnownResolutionInput, known_resolution_create
from casebridge.occurrences.models import LogSource
from casebridge.occurrences.recurring import recurring_detect
from casebridge.occurrences.services import log_source_parse, occurrences_refresh_stats
from tests import factories
from tests.e2e.conftest import SHOTS, sign_in

pytestmark = pytest.mark.e2e
SCREENSHOTS = bool(os.environ.get("CASEBRIDGE_SCREENSHOTS"))


def _shot(page: Any, name: str, *, full_page: bool = False) -> None:
    """Images of the panels to judge the design (CASEBRIDGE_SCREENSHOTS=1), in $CASEBRIDGE_SHOTS."""
    if SCREENSHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


ERROR = "ERROR [gw-pool-2] c.e.pay.GatewayClient: PKIX path building failed for host {host}"


def _log(day: int, host: str) -> str:
    stamp = f"2026-03-{day:02d} 10:00"
    return "\n".join(
        [
            f"{stamp}:01,120 INFO  [http-7] c.e.pay.Checkout: POST /v2/charge 8812{day}",
            f"{stamp}:31,125 {ERROR.format(host=host)}",
            f"{stamp}:31,126 WARN  [http-7] c.e.pay.Checkout: returning 502 to client",
        ]
    )


def _history(world: factories.World) -> tuple[list[Case], str]:
    earlier = []
    titles = ("Card payments fail at checkout", "502 at the payment step", "Cannot pay by card")
    for day, title in enumerate(titles, start=1):
        with time_machine.travel(timezone.now() - timedelta(days=10 - 3 * day), tick=False):
            case = factories.make_case(world, title=title, description="Customers cannot pay.")
            attachment = attachment_add(
                actor=world["l2"],
                case=case,
                upload=ContentFile(_log(day, f"gw-{day}.bank.example").encode()),
                filename="gateway.log",
            )
        log_source_parse(source_id=LogSource.objects.get(attachment=attachment).pk)
        earlier.append(case)
    for i in range(40):  # other cases, so that term statistics mean something
        factories.make_case(world, title=f"Avatar upload question {i}", description="avatar")
    fix = known_resolution_create(
        actor=world["l2"],
        data=KnownResolutionInput(
            title="Reload the payment gateway trust store",
            symptoms="Card payments fail; the gateway log shows PKIX errors.",
            steps="1. Run `paygw truststore reload`.\n2. Retry one payment.",
            fix_kind="configuration_change",
            services=[world.services["payments"]],
            log_lines=ERROR.format(host="gw-9.bank.example"),
        ),
    )
    occurrences_refresh_stats()
    return earlier, fix.key


def test_known_fix_from_a_matching_log_signature(
    e2e_world: factories.World, new_page: Any, settings: Any, tmp_path: Path
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    earlier, fix_key = _history(e2e_world)

    l2 = new_page()
    sign_in(l2, "l2")
    l2.get_by_role("link", name="New case").first.click()
    l2.get_by_label("Title").fill("Customer cannot pay with a card")
    l2.get_by_label("Service").select_option(label="Payments")
    l2.get_by_label("Description").fill(
        "Since this morning card payments fail.\n" + _log(9, "gw-4.bank.example")
    )
    # While it is typed, the draft panel shows the earlier cases and the known fix.
    draft = l2.locator("#draft-results")
    expect(draft.locator('[data-testid="draft-fix"]')).to_contain_text(fix_key)
    expect(draft.locator('[data-testid="draft-case"]').first).to_be_visible()
    expect(draft).to_contain_text("same log signature")
    l2.get_by_label("Organisation").select_option(label="Acme Retail")
    _shot(l2, "known-fix-draft")
    l2.get_by_role("button", name="Create case").click()
    expect(l2.locator(".flash")).to_contain_text("created")
    key = l2.locator(".case-key").inner_text().strip()

    # The workbench: the fix first, suggested because of the log signature; the earlier cases.
    fix = l2.locator('[data-testid="suggested-fix"]').first
    expect(fix).to_have_attribute("data-key", fix_key)
    expect(fix).to_contain_text("log signature match")
    earlier_hits = l2.locator('[data-testid="earlier-case"]')
    for case in earlier:
        expect(earlier_hits.filter(has_text=case.key)).to_have_count(1)
    expect(earlier_hits.first).to_contain_text("same log signature")

    # The log file is parsed in the background; its signatures appear on the case.
    log_file = tmp_path / "gateway-today.log"
    log_file.write_text(_log(9, "gw-5.bank.example") + "\n")
    l2.locator("#attachments input[type=file]").set_input_files(str(log_file))
    l2.locator("#attachments").get_by_role("button", name="Upload").click()
    expect(l2.locator(".flash")).to_contain_text("attached")
    source = l2.locator('[data-testid="log-source"]', has_text="gateway-today.log")
    expect(source).to_have_attribute("data-state", "done")
    first = l2.locator('[data-testid="case-signature"]').first
    expect(first).to_contain_text("PKIX path building failed for host")
    expect(first).to_contain_text("3 other cases")

    if SCREENSHOTS:
        recurring_detect()  # the four cases now recur: the queue, service and cluster pages
        l2.reload()
        expect(l2.locator(".occ-recurring")).to_be_visible()
        _shot(l2, "known-fix-case", full_page=True)
        for name, url in (("queue-recurring", "/cases/"), ("service", "/services/payments/")):
            l2.goto(url)
            l2.wait_for_load_state("networkidle")
            _shot(l2, name, full_page=True)
        l2.goto("/recurring/")
        l2.locator("td.key a").first.click()
        _shot(l2, "cluster", full_page=True)
        l2.goto(f"/cases/{key}/")

    # L2 applies the fix: one action, with what was done.
    fix = l2.locator('[data-testid="suggested-fix"]').first
    fix.get_by_text("Apply this fix").click()
    fix.get_by_label("What was done").fill("Reloaded the trust store on gw-4, payment retried")
    fix.get_by_role("button", name="Resolve as known fix").click()
    expect(l2.locator(".flash")).to_contain_text(re.compile("resolved"))
    expect(l2.locator(".case-meta .state")).to_have_text("Resolved")
    expect(l2.locator(".outcome")).to_contain_text(fix_key)
    case = Case.objects.get(key=key)
    assert (case.state, case.resolution, case.known_resolution.key) == (
        "resolved",
        "known_fix",
        fix_key,
    )
    assert case.action_taken == "Reloaded the trust store on gw-4, payment retried"
