"""Content-Security-Policy in a real browser: the main pages of every kind of person, on the demo
data set, raise no CSP violation and no script error, and HTMX and Chart.js still work."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e]

DEMO_PASSWORD = "casebridge-demo"


@pytest.fixture
def demo(transactional_db: None) -> None:
    from casebridge.demo.build import load_demo

    load_demo(cases=24, seed=7)


def watch(page: Any) -> list[str]:
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: (
            problems.append(msg.text)
            if "Content Security Policy" in msg.text or msg.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    return problems


def links(page: Any, prefix: str, limit: int = 2) -> list[str]:
    hrefs = page.eval_on_selector_all(
        f"main a[href^='{prefix}']:not([download])", "els => els.map(e => e.getAttribute('href'))"
    )
    seen: list[str] = []
    for href in hrefs:
        is_export = ".csv" in href  # a download, not a page
        if href not in seen and href.rstrip("/") != prefix.rstrip("/") and not is_export:
            seen.append(href)
    return seen[:limit]


def visit(page: Any, url: str, problems: list[str]) -> None:
    response = page.goto(url)
    assert response is not None and response.status < 400, f"{url}: {response and response.status}"
    page.wait_for_load_state("networkidle")
    assert not problems, f"{url}: {problems}"


@pytest.mark.usefixtures("demo")
def test_main_pages_raise_no_csp_violation(new_page: Any) -> None:
    pages = {
        "dana": ["/cases/", "/cases/new/", "/knowledge/", "/incidents/", "/signatures/"],
        "rita": ["/sprints/", "/work-items/", "/work-items/board/", "/reports/flow/"],
        "admin": [
            "/settings/webhooks/",
            "/settings/outbox/",
            "/settings/azure-devops/",
            "/settings/security/sso/",
            "/settings/security/events/",
            "/settings/security/two-factor/",
        ],
        "alice": ["/portal/", "/portal/new/"],
    }
    anonymous = new_page()
    problems = watch(anonymous)
    visit(anonymous, "/login/", problems)
    visit(anonymous, "/accounts/password/reset/", problems)
    for username, urls in pages.items():
        page = new_page()
        problems = watch(page)
        sign_in(page, username, DEMO_PASSWORD)
        for url in urls:
            visit(page, url, problems)
            # and the first thing the list shows (a case, a work item, a sprint board...)
            for link in links(page, url.replace("/new/", "/").replace("board/", ""), 1):
                visit(page, link, problems)
    # Chart.js drew (a canvas has pixels) and HTMX swapped (the queue filter) under the policy.
    page = new_page()
    problems = watch(page)
    sign_in(page, "rita", DEMO_PASSWORD)
    visit(page, "/reports/flow/", problems)
    drawn = page.eval_on_selector(
        "canvas[data-chart]",
        "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " return d.some(v => v !== 0); }",
    )
    assert drawn
    page = new_page()
    problems = watch(page)
    sign_in(page, "dana", DEMO_PASSWORD)
    visit(page, "/cases/", problems)
    assert page.evaluate("typeof window.htmx") == "object"
    assert not problems
