"""Phones and accessibility (issue 12), on the demo data set, in Chromium.

* At 390x844 (a phone) no main page of any role scrolls sideways: the document is exactly as wide
  as the viewport (collapsing menu, stacked columns, tables as cards).
* axe-core (the npm package, pinned in tests/e2e/axe, injected as an init script so the pages keep
  their Content-Security-Policy) finds no serious or critical violation on the same pages, on a
  phone and on a desktop.
* The menu button folds the navigation away on a phone, says so with aria-expanded, and is not
  there on a desktop.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e]

DEMO_PASSWORD = "casebridge-demo"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => `${v.id} (${v.impact}): ` +
      v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | "));
}"""
# Elements sticking out of the viewport: named in the failure message, to find the culprit.
WIDEST = """() => [...document.querySelectorAll("body *")]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(-5).map(e => e.tagName.toLowerCase() + "." + [...e.classList].join("."))"""


@pytest.fixture
def demo_pages(transactional_db: None) -> dict[str, list[str]]:
    """The demo data set and, per demo person, the main pages of their role."""
    from casebridge.accounts.models import Team, User
    from casebridge.cases.models import Case
    from casebridge.demo.build import load_demo
    from casebridge.sprints.models import Sprint
    from casebridge.workitems.models import WorkItem

    load_demo(cases=24, seed=7)
    open_case = Case.objects.filter(state__in=["new", "investigating"]).order_by("pk").first()
    alice = User.objects.get(username="alice")
    portal_case = Case.objects.filter(organisation=alice.organisation).order_by("pk").first()
    item = WorkItem.objects.order_by("pk").first()
    team = Team.objects.filter(sprints__isnull=False).order_by("pk").first()
    assert open_case and portal_case and item and team
    sprint = Sprint.objects.filter(team=team).order_by("-start").first()
    assert sprint
    return {
        "liam": ["/cases/new/"],  # L1: the intake form and their recent cases
        "dana": ["/cases/", f"/cases/{open_case.key}/", f"/cases/{open_case.key}/escalate/"],
        "rita": [
            "/work-items/queues/triage/",
            "/sprints/",
            f"/sprints/{team.slug}/plan/",
            f"/sprints/{sprint.pk}/",
            f"/sprints/{team.slug}/backlog/",
        ],
        "paul": ["/work-items/queues/decisions/"],
        "sofia": ["/work-items/queues/mine/", f"/work-items/{item.key}/"],
        "quinn": ["/work-items/queues/testing/"],
        "dev_ops": ["/work-items/queues/devops/"],
        "admin": ["/settings/", "/settings/audit/"],
        "alice": ["/portal/", f"/portal/cases/{portal_case.key}/"],
        "glory": ["/portal/"],
    }


def _open(browser: Any, live_server: Any, axe: Path, viewport: dict[str, int]) -> Any:
    context = browser.new_context(base_url=live_server.url, viewport=viewport)
    context.set_default_timeout(15_000)
    context.add_init_script(path=str(axe))
    return context


def _visit(page: Any, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status < 400, f"{url}: {response and response.status}"
    page.wait_for_load_state("networkidle")  # the HTMX panels (similar cases, health) are in


def test_main_pages_fit_a_phone_and_pass_axe(
    browser: Any, live_server: Any, axe_script: Path, demo_pages: dict[str, list[str]]
) -> None:
    sideways: list[str] = []
    violations: list[str] = []
    visited = 0
    for username, urls in demo_pages.items():
        for viewport in (PHONE, DESKTOP):
            context = _open(browser, live_server, axe_script, viewport)
            page = context.new_page()
            sign_in(page, username, DEMO_PASSWORD)
            for url in urls:
                _visit(page, url)
                visited += 1
                where = f"{username} {url} at {viewport['width']}px"
                if viewport is PHONE:
                    width = page.evaluate("document.documentElement.scrollWidth")
                    if width != PHONE["width"]:
                        sideways.append(f"{where}: {width}px wide {page.evaluate(WIDEST)}")
                violations += [f"{where}: {v}" for v in page.evaluate(AXE_RUN)]
            context.close()
    assert visited == 2 * sum(len(urls) for urls in demo_pages.values())
    assert not sideways, "\n".join(sideways)
    assert not violations, "\n".join(violations)


def test_the_menu_folds_away_on_a_phone(
    browser: Any, live_server: Any, axe_script: Path, e2e_world: Any
) -> None:
    context = _open(browser, live_server, axe_script, PHONE)
    page = context.new_page()
    sign_in(page, "l2")
    page.goto("/cases/")
    menu = page.get_by_role("button", name="Menu")
    queue = page.get_by_role("navigation", name="Main").get_by_role("link", name="Queue")
    search = page.get_by_role("searchbox", name="Search by key or words")
    expect(menu).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(queue).to_be_hidden()
    expect(search).to_be_hidden()

    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(queue).to_be_visible()
    expect(search).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") == PHONE["width"]
    assert page.evaluate(AXE_RUN) == []

    page.keyboard.press("Escape")  # closes it and gives the focus back to the button
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(queue).to_be_hidden()
    expect(menu).to_be_focused()
    menu.press("Enter")
    expect(queue).to_be_visible()
    queue.click()
    page.wait_for_url("**/cases/")
    context.close()

    # A desktop shows the links and the search box; the button is not there.
    context = _open(browser, live_server, axe_script, DESKTOP)
    page = context.new_page()
    sign_in(page, "l2")
    page.goto("/cases/")
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Queue")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    context.close()


def test_tables_read_as_cards_on_a_phone(
    browser: Any, live_server: Any, axe_script: Path, e2e_world: Any
) -> None:
    from tests import factories

    case = factories.make_case(e2e_world, title="Checkout fails on the last step")
    context = _open(browser, live_server, axe_script, PHONE)
    page = context.new_page()
    sign_in(page, "l2")
    page.goto("/cases/?state=all")
    row = page.locator("table.grid-table tbody tr", has_text=case.key)
    expect(row).to_be_visible()
    # each cell is labelled with its column's heading, and the row is one block (a card)
    title = row.locator("td[data-label='Title']")
    expect(title).to_contain_text("Checkout fails on the last step")
    assert title.evaluate("td => getComputedStyle(td).display") == "block"
    assert page.locator("table.grid-table thead").evaluate("t => getComputedStyle(t).display") == (
        "none"
    )
    context.close()
