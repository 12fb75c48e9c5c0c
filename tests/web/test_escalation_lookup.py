"""'Link to an existing work item' in the escalation flow (issue 12): a type-ahead over open work
items (by key or title, staff only), the similar work items beside the checklist, and a warning
when the most similar one is already closed (a regression?)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from casebridge.cases.services import case_transition
from casebridge.occurrences.services import occurrences_refresh_stats
from tests import factories
from tests.web.conftest import html
from tests.web.work_items import BrowserAs, bug_in, new_item

pytestmark = pytest.mark.django_db


def matches(page: str) -> list[str]:
    return re.findall(r'<li data-match="([A-Z]+-\d+)">', page)


def test_the_type_ahead_offers_open_items_by_key_and_title(
    world: factories.World, browser_as: BrowserAs
) -> None:
    checkout = new_item(world, title="Checkout returns 502 for Visa cards")
    refunds = new_item(world, title="Refund webhook sent twice")
    closed = bug_in(world, "closed", title="Checkout button hidden on Safari")
    l2 = browser_as("l2")
    url = reverse("workitems:lookup")

    by_title = html(l2.get(url, {"work_item": "checkout"}, HTTP_HX_REQUEST="true"))
    assert matches(by_title) == [checkout.key]  # the closed one is not offered
    assert f'<option value="{checkout.key}">' in by_title
    assert closed.key not in by_title

    by_key = html(l2.get(url, {"q": refunds.key.lower()}))
    assert matches(by_key) == [refunds.key]
    assert "No open work item matches" in html(l2.get(url, {"q": "nothing like it"}))
    assert matches(html(l2.get(url, {"q": ""}))) == []


def test_the_type_ahead_is_for_staff_only(world: factories.World, browser_as: BrowserAs) -> None:
    new_item(world, title="Checkout returns 502 for Visa cards")
    for outsider in ("cust_a", "partner"):
        answer = browser_as(outsider).get(reverse("workitems:lookup"), {"q": "checkout"})
        assert answer.status_code == 404


def test_the_escalation_form_wires_the_type_ahead_and_the_similar_items(
    world: factories.World, browser_as: BrowserAs
) -> None:
    case = case_transition(actor=world["l2"], case=factories.make_case(world), action="take")
    page = html(browser_as("l2").get(f"/cases/{case.key}/escalate/"))
    assert 'list="work-item-options"' in page
    assert f'hx-get="{reverse("workitems:lookup")}"' in page
    assert f'hx-get="/cases/{case.key}/occurrences/similar-items/"' in page


def _filler(world: factories.World) -> None:
    """Unrelated cases, so that document frequencies are informative (tests/occurrences)."""
    for i in range(20):
        factories.make_case(
            world,
            title=f"Unrelated question number {i}",
            description="how do I change my avatar",
            service=world.services["search"],
            component=world.components["indexer"],
        )


def test_similar_items_warn_when_the_most_similar_is_closed(
    world: factories.World, browser_as: BrowserAs
) -> None:
    _filler(world)
    title = "Checkout returns 502 for Visa cards after the 3DS step"
    closed = bug_in(world, "closed", title=title)
    case = case_transition(
        actor=world["l2"], case=factories.make_case(world, title=title), action="take"
    )
    occurrences_refresh_stats()
    panel = html(browser_as("l2").get(f"/cases/{case.key}/occurrences/similar-items/"))
    assert f'data-key="{closed.key}"' in panel
    assert 'data-testid="regression-warning"' in panel
    assert f'The most similar work item, <a href="/work-items/{closed.key}/">{closed.key}</a>' in (
        panel
    )
    assert f'data-pick="{closed.key}"' not in panel  # a finished item is not offered to link

    assert browser_as("cust_a").get(
        f"/cases/{case.key}/occurrences/similar-items/"
    ).status_code == (404)


def test_similar_open_items_are_offered_for_linking_without_a_warning(
    world: factories.World, browser_as: BrowserAs
) -> None:
    _filler(world)
    title = "Refund webhook sent twice for one partial refund"
    item = new_item(world, title=title)
    case = case_transition(
        actor=world["l2"], case=factories.make_case(world, title=title), action="take"
    )
    occurrences_refresh_stats()
    panel = html(browser_as("l2").get(f"/cases/{case.key}/occurrences/similar-items/"))
    assert f'data-key="{item.key}"' in panel
    assert "regression-warning" not in panel
    assert (
        f'data-pick="{item.key}" data-pick-into="id_work_item" data-pick-category="link"' in panel
    )
