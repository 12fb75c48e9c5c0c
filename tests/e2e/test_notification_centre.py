"""The notification bell in the header loads its unread count, marking one read (HTMX) lowers
it without a reload, and the Watch button on a case page toggles in place."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from playwright.sync_api import expect

from casebridge.integrations.notifications import notify
from tests import factories
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def test_the_bell_counts_and_marking_read_lowers_it(
    e2e_world: factories.World, new_page: Any
) -> None:
    world = e2e_world
    case = factories.make_case(world)
    with transaction.atomic():
        for text in ("First news", "Second news"):
            notify(
                users=[world["l2"]], subject_key=case.key, message=text, url=f"/cases/{case.key}/"
            )
    page = new_page()
    sign_in(page, "l2")
    bell = page.locator("#notification-bell .bell-count")
    expect(bell).to_have_text("2")
    page.locator("#notification-bell").click()
    expect(page.locator("#notifications li")).to_have_count(2)
    page.evaluate("window.__notReloaded = true")
    page.locator("#notifications li").first.get_by_role("button", name="Mark read").click()
    expect(bell).to_have_text("1")
    assert page.evaluate("window.__notReloaded") is True

    page.goto(f"/cases/{case.key}/")
    watch = page.locator("[data-action=watch]")
    expect(watch).to_have_text("Watch")
    watch.click()
    expect(page.locator("[data-action=watch]")).to_contain_text("Watching")
