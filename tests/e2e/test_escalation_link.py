"""'Link to an existing work item' in the browser (issue 12): L2 types words of a title, the
type-ahead offers the open work item, a click fills the field and the checklist ticks; the
similar work items beside the checklist offer the same item."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e]


def test_l2_links_a_case_to_an_open_work_item_by_typing(new_page: Any, e2e_world: Any) -> None:
    from casebridge.cases.services import case_transition
    from tests import factories
    from tests.web.work_items import new_item

    world = e2e_world
    item = new_item(world, title="Refund webhook sent twice for one partial refund")
    case = case_transition(
        actor=world["l2"],
        case=factories.make_case(world, title="Refund webhook arrives twice"),
        action="take",
    )
    page = new_page()
    sign_in(page, "l2")
    page.goto(f"/cases/{case.key}/escalate/")
    expect(page.locator("#similar-items")).to_be_visible()  # loaded beside the checklist
    page.get_by_label("Link to an existing work item").check()
    page.get_by_role("combobox", name="Work item").fill("refund webhook")
    pick = page.get_by_role("button", name=f"Use {item.key}")
    expect(pick).to_be_visible()
    expect(page.locator("#work-item-options option")).to_have_count(1)
    pick.click()
    expect(page.get_by_role("combobox", name="Work item")).to_have_value(item.key)
    expect(page.locator("#checklist .checks li.done")).to_contain_text(item.key)
    page.get_by_role("button", name="Escalate to development").click()
    expect(page.locator(".flash")).to_contain_text(f"it now follows {item.key}")
