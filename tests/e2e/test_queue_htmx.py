"""The queue's filters swap the results in place (HTMX) and push the URL, so the address can be
shared and the back button works."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def test_filters_swap_the_table_and_push_the_url(e2e_world: factories.World, new_page: Any) -> None:
    world = e2e_world
    payments = factories.make_case(world, title="Refund stuck in pending")
    search = factories.make_case(
        world,
        title="Search is empty",
        service=world.services["search"],
        component=world.components["indexer"],
    )
    page = new_page()
    sign_in(page, "l2")
    rows = page.locator("#queue tbody tr")
    expect(rows).to_have_count(2)
    page.evaluate("window.__notReloaded = true")

    page.get_by_label("Service").select_option(label="Search")
    expect(page).to_have_url(re.compile(r"/cases/\?.*service=search"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(search.key)
    assert page.evaluate("window.__notReloaded") is True  # swapped, not reloaded

    page.locator("nav.tabs").get_by_role("link", name=re.compile(r"^New")).click()
    expect(page).to_have_url(re.compile(r"state=new"))
    expect(rows).to_have_count(1)
    page.get_by_role("link", name="Clear filters").click()
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(payments.key)
    assert page.evaluate("window.__notReloaded") is True
