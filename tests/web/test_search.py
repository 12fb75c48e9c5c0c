"""The global search (by key straight to the object, by words over what the viewer may see) and
the L2 queue's text filter and sort by impact."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from casebridge.knowledge.services import KnownResolutionInput, known_resolution_create
from casebridge.workitems.services import work_item_create
from tests import factories
from tests.web.conftest import html

pytestmark = pytest.mark.django_db


def test_a_key_opens_its_object_if_the_viewer_may_see_it(
    world: factories.World, browser_as: Callable[[str], Client]
) -> None:
    case = factories.make_case(world, by="cust_a")
    item = work_item_create(actor=world["l2"], category="bug", title="Ledger drift", docs={})
    l2 = browser_as("l2")
    assert l2.get("/search/", {"q": case.key.lower()}).url == f"/cases/{case.key}/"
    assert l2.get("/search/", {"q": f" {item.key} "}).url == f"/work-items/{item.key}/"
    assert browser_as("cust_a").get("/search/", {"q": case.key}).url == f"/portal/cases/{case.key}/"
    # Another organisation's case, or the internal side: no jump, nothing found.
    for who, key in (("cust_b", case.key), ("cust_a", item.key)):
        page = browser_as(who).get("/search/", {"q": key})
        assert page.status_code == 200 and "Nothing found" in html(page)


def test_words_search_cases_work_items_and_known_fixes_with_visibility(
    world: factories.World, browser_as: Callable[[str], Client]
) -> None:
    mine = factories.make_case(world, by="cust_a", title="Invoice export truncated")
    theirs = factories.make_case(world, by="cust_b", title="Invoice totals wrong")
    item = work_item_create(actor=world["l2"], category="bug", title="Invoice rounding", docs={})
    known = known_resolution_create(
        actor=world["l2"],
        data=KnownResolutionInput(
            title="Rebuild the invoice cache",
            symptoms="Stale invoices",
            steps="Run it",
            fix_kind="workaround",
        ),
    )
    staff = html(browser_as("l2").get("/search/", {"q": "invoice"}))
    for key in (mine.key, theirs.key, item.key, known.key):
        assert key in staff
    customer = html(browser_as("cust_a").get("/search/", {"q": "invoice"}))
    assert mine.key in customer
    for key in (theirs.key, item.key, known.key):
        assert key not in customer


def test_header_has_the_search_box_with_its_shortcut(browser_as: Callable[[str], Client]) -> None:
    page = html(browser_as("l1").get("/knowledge/"))
    assert 'id="global-search"' in page and 'aria-keyshortcuts="/"' in page


def test_queue_text_filter_and_impact_sort(
    world: factories.World, browser_as: Callable[[str], Client]
) -> None:
    low = factories.make_case(world, title="Logo blurry on invoices", impact="low")
    critical = factories.make_case(world, title="Checkout down", impact="critical")
    medium = factories.make_case(world, title="Search slow", impact="medium")
    l2 = browser_as("l2")
    found = html(l2.get("/cases/", {"q": "blurry"}))
    assert low.key in found and critical.key not in found
    assert critical.key in html(l2.get("/cases/", {"q": critical.key}))
    page = html(l2.get("/cases/", {"sort": "impact"}))
    order = [page.index(c.key) for c in (critical, medium, low)]
    assert order == sorted(order)
