"""The global search in Chromium: "/" focuses the header's box, a key opens its case, words list
what the viewer may see; the L2 queue filters by text."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def test_slash_focuses_search_and_a_key_opens_the_case(
    e2e_world: factories.World, new_page: Any
) -> None:
    case = factories.make_case(e2e_world, by="l1", title="Payroll export hangs")
    other = factories.make_case(e2e_world, by="l1", title="Badge printer offline")
    page = new_page()
    sign_in(page, "l2")
    page.locator("main").click()
    page.keyboard.press("/")
    expect(page.locator("#global-search")).to_be_focused()
    page.keyboard.type(case.key.lower())
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/cases/{case.key}/$"))

    page.keyboard.press("/")
    page.keyboard.type("payroll")
    page.keyboard.press("Enter")
    expect(page.locator("#search-results")).to_contain_text(case.key)
    expect(page.locator("#search-results")).not_to_contain_text(other.key)

    page.goto("/cases/")
    page.get_by_label("Find in the queue").fill("badge")
    page.get_by_label("Find in the queue").press("Enter")
    expect(page.locator("#queue")).to_contain_text(other.key)
    expect(page.locator("#queue")).not_to_contain_text(case.key)
