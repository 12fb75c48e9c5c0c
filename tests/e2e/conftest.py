"""Browser tests: Playwright (sync API) driving Debian's Chromium against pytest-django's live
server. Nothing is installed at run time: the browser is /usr/bin/chromium (apt), never
``playwright install``. See README.md in this folder."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run inside one
# unless told it is safe. It is: the loop only drives the browser, the ORM runs synchronously.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CASEBRIDGE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PASSWORD = "correct-horse-battery"  # tests/factories.py gives every person this password
#: axe-core's browser bundle: `npm ci --prefix tests/e2e/axe` installs it (.ci/run does).
AXE_SCRIPT = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = Path(os.environ.get("CASEBRIDGE_SHOTS", "/tmp/shots"))


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        message = f"{CHROMIUM} is missing: apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI must run the browser tests, never skip them
        pytest.skip(message)
    from playwright.sync_api import expect, sync_playwright

    # A loaded CI machine may take a while to answer; assertions retry until this timeout.
    expect.set_options(timeout=10_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def e2e_world(transactional_db: None) -> Any:
    """The factories' world, committed, so the live server's thread sees it."""
    from tests import factories

    return factories.build_world()


@pytest.fixture
def new_page(browser: Any, live_server: Any) -> Iterator[Callable[..., Any]]:
    """``new_page()`` opens a fresh browser context (its own cookies) on the live server."""
    contexts: list[Any] = []

    def make(*, width: int = 1400, height: int = 900) -> Any:
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": width, "height": height}
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
    _wait_for_requests_in_flight()


def _wait_for_requests_in_flight(timeout: float = 15.0) -> None:
    """Let the live server finish the requests a closed page left behind (an htmx poll, a
    beacon): the test database is flushed next, and on PostgreSQL a TRUNCATE racing a request's
    transaction is a deadlock. The server's request threads are daemon threads named after
    ``process_request_thread``; they end when their connection closes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = [
            thread
            for thread in threading.enumerate()
            if "process_request_thread" in thread.name and thread.is_alive()
        ]
        if not busy:
            return
        busy[0].join(timeout=max(0.0, deadline - time.monotonic()))


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """The path of axe.min.js, for ``context.add_init_script(path=...)`` (an init script is not
    subject to the pages' Content-Security-Policy, so the pages are tested as served)."""
    if not AXE_SCRIPT.exists():
        message = f"{AXE_SCRIPT} is missing: npm ci --prefix tests/e2e/axe"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return AXE_SCRIPT


def sign_in(page: Any, username: str, password: str = PASSWORD) -> None:
    """Through the real login form."""
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)
