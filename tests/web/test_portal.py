"""The customer portal: only the viewer's organisation, never an internal note or file."""

from __future__ import annotations

import io
import re

import pytest

from casebridge.cases.attachments import attachment_add
from casebridge.cases.models import Case
from casebridge.cases.services import case_transition, comment_add
from tests import factories
from tests.web.conftest import field_error, html, offered_actions

pytestmark = pytest.mark.django_db

SECRET = "Internal: Acme is on the legacy plan"


@pytest.fixture
def two_orgs(world):
    mine = factories.make_case(world, by="cust_a", title="Our invoices show the wrong VAT")
    theirs = factories.make_case(world, by="cust_b", title="Borealis wire transfers are late")
    comment_add(actor=world["l2"], case=mine, body=SECRET, internal=True)
    comment_add(actor=world["l2"], case=mine, body="We are looking into it.")
    attachment_add(
        actor=world["l2"],
        case=mine,
        upload=io.BytesIO(b"notes"),
        filename="account-notes.txt",
        internal=True,
    )
    attachment_add(
        actor=world["l2"],
        case=mine,
        upload=io.BytesIO(b"public"),
        filename="screenshot.txt",
        internal=False,
    )
    return mine, theirs


def _listed(page: str) -> list[str]:
    return re.findall(r'<td class="key"><a href="/portal/cases/(CB-\d+)/"', page)


def test_portal_lists_only_the_organisations_cases(browser_as, two_orgs):
    mine, theirs = two_orgs
    assert _listed(html(browser_as("cust_a").get("/portal/?show=all"))) == [mine.key]
    assert _listed(html(browser_as("cust_b").get("/portal/?show=all"))) == [theirs.key]
    assert _listed(html(browser_as("partner").get("/portal/?show=all"))) == [mine.key]


def test_another_organisations_case_is_404_everywhere(browser_as, two_orgs):
    _mine, theirs = two_orgs
    client = browser_as("cust_a")
    attachment = theirs.attachments.first()
    for url in (
        f"/portal/cases/{theirs.key}/",
        f"/cases/{theirs.key}/",
        f"/cases/{theirs.key}/escalate/",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert theirs.title not in html(response)
        assert "Nothing here" in html(response)
    assert (
        attachment is None
        or client.get(f"/cases/{theirs.key}/attachments/{attachment.pk}/").status_code == 404
    )
    assert client.post(f"/cases/{theirs.key}/comments/", {"body": "hi"}).status_code == 404
    assert client.post(f"/cases/{theirs.key}/actions/close/").status_code == 404


def test_internal_comments_and_files_never_reach_the_customer(browser_as, two_orgs):
    mine, _ = two_orgs
    client = browser_as("cust_a")
    assert client.get(f"/cases/{mine.key}/").url == f"/portal/cases/{mine.key}/"
    page = html(client.get(f"/portal/cases/{mine.key}/"))
    assert "We are looking into it." in page
    assert SECRET not in page
    assert "Internal note" not in page and "internal-tag" not in page
    assert "screenshot.txt" in page and "account-notes.txt" not in page
    assert "added an internal note" not in page  # nor in the timeline
    assert 'name="internal"' not in page  # no way to write internal notes either
    hidden = mine.attachments.get(internal=True)
    assert client.get(f"/cases/{mine.key}/attachments/{hidden.pk}/").status_code == 404


def test_a_customer_cannot_post_an_internal_note(world, browser_as, two_orgs):
    mine, _ = two_orgs
    browser_as("cust_a").post(f"/cases/{mine.key}/comments/", {"body": "hi", "internal": "on"})
    assert mine.comments.order_by("-id").first().internal is False


def test_portal_new_case(browser_as, world):
    client = browser_as("cust_a")
    page = html(client.get("/portal/new/"))
    assert 'name="organisation"' not in page and 'name="reporter"' not in page
    response = client.post(
        "/portal/new/",
        {
            "title": "Cannot download invoices",
            "service": "payments",
            "component": "",
            "environment": "production",
            "impact": "medium",
            "description": "404 on the link",
        },
    )
    case = Case.objects.get()
    assert response.url == f"/portal/cases/{case.key}/"
    assert (case.source, case.organisation, case.reporter) == (
        "portal",
        world.orgs["a"],
        world["cust_a"],
    )


def test_partner_chooses_an_organisation_they_serve(browser_as):
    client = browser_as("partner")
    page = html(client.get("/portal/new/"))
    assert '<option value="acme">' in page and "borealis" not in page
    response = client.post(
        "/portal/new/",
        {
            "title": "Card refused",
            "service": "payments",
            "environment": "production",
            "impact": "low",
        },
    )
    assert response.status_code == 422
    assert field_error(html(response), "organisation") == "This field is required."


def test_customer_actions_are_those_the_workflow_allows(world, browser_as, two_orgs):
    mine, _ = two_orgs
    client = browser_as("cust_a")
    assert offered_actions(html(client.get(f"/portal/cases/{mine.key}/"))) == (set(), set())
    l2 = world["l2"]
    mine = case_transition(actor=l2, case=mine, action="take")
    mine = case_transition(
        actor=l2,
        case=mine,
        action="resolve",
        data={"resolution": "no_fault", "note": "Works as designed"},
    )
    page = html(client.get(f"/portal/cases/{mine.key}/"))
    assert offered_actions(page) == ({"close", "reopen"}, set())
    assert "Confirm the fix" in page and "We believe this is fixed." in page
    refused = client.post(f"/cases/{mine.key}/actions/reopen/", {"reopen-reason": ""})
    assert refused.status_code == 409
    assert field_error(html(refused), "reason") == "Say why the case is reopened"
    response = client.post(f"/cases/{mine.key}/actions/close/")
    assert response.url == f"/portal/cases/{mine.key}/"
    mine.refresh_from_db()
    assert mine.state == "closed"


def test_a_reply_answers_a_question(world, browser_as, two_orgs):
    mine, _ = two_orgs
    mine = case_transition(actor=world["l2"], case=mine, action="take")
    mine = case_transition(
        actor=world["l2"],
        case=mine,
        action="request_info",
        data={"question": "Which invoice number?"},
    )
    client = browser_as("cust_a")
    assert "We need information from you" in html(client.get(f"/portal/cases/{mine.key}/"))
    client.post(f"/cases/{mine.key}/comments/", {"body": "INV-2231"})
    mine.refresh_from_db()
    assert mine.state == "investigating"


def test_staff_are_sent_to_their_pages(browser_as, two_orgs):
    mine, _ = two_orgs
    client = browser_as("l2")
    assert client.get("/portal/").url == "/cases/"
    assert client.get("/portal/new/").url == "/cases/new/"
    assert client.get(f"/portal/cases/{mine.key}/").url == f"/cases/{mine.key}/"


def test_empty_portal(browser_as):
    assert "Nothing in progress" in html(browser_as("cust_a").get("/portal/"))
