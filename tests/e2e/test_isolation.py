"""Isolation, in Chromium: a customer of organisation A gets 404 for organisation B's case and
never sees an internal comment or file on their own."""

from __future__ import annotations

import io
from typing import Any

import pytest
from playwright.sync_api import expect

from casebridge.cases.attachments import attachment_add
from casebridge.cases.services import comment_add
from tests import factories
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e

SECRET = "Internal: Acme is on the legacy plan, do not offer the refund"


def test_customer_sees_only_their_organisation(e2e_world: factories.World, new_page: Any) -> None:
    world = e2e_world
    mine = factories.make_case(world, by="cust_a", title="Our invoices show the wrong VAT")
    theirs = factories.make_case(world, by="cust_b", title="Borealis wire transfers are late")
    comment_add(actor=world["l2"], case=mine, body=SECRET, internal=True)
    comment_add(actor=world["l2"], case=mine, body="We are looking into it.", internal=False)
    attachment_add(
        actor=world["l2"],
        case=mine,
        upload=io.BytesIO(b"customer notes, internal"),
        filename="account-notes.txt",
        internal=True,
    )
    hidden_file = mine.attachments.get().pk

    page = new_page()
    sign_in(page, "cust_a")
    expect(page).to_have_url(f"{page.url.split('/portal/')[0]}/portal/")

    # The portal lists the organisation's cases and nothing else.
    page.goto("/portal/?show=all")
    expect(page.get_by_role("link", name=mine.key, exact=True)).to_be_visible()
    expect(page.get_by_text(theirs.key)).to_have_count(0)
    expect(page.get_by_text(theirs.title)).to_have_count(0)

    # Another organisation's case does not exist for them, under any address.
    for path in (f"/portal/cases/{theirs.key}/", f"/cases/{theirs.key}/"):
        response = page.goto(path)
        assert response is not None and response.status == 404, path
        expect(page.get_by_role("heading", name="Nothing here")).to_be_visible()
        expect(page.get_by_text(theirs.title)).to_have_count(0)
    for path in ("/cases/", "/knowledge/", f"/cases/{mine.key}/attachments/{hidden_file}/"):
        response = page.goto(path)
        assert response is not None and response.status == 404, path

    # Their own case: the public comment, never the internal one nor the internal file.
    page.goto(f"/portal/cases/{mine.key}/")
    comments = page.locator("#comments .comment")
    expect(comments).to_have_count(1)
    expect(comments.first).to_contain_text("We are looking into it.")
    expect(page.get_by_text(SECRET)).to_have_count(0)
    expect(page.get_by_text("account-notes.txt")).to_have_count(0)
    expect(page.locator(".internal, .internal-tag")).to_have_count(0)
    assert SECRET not in page.content()
    assert "Internal note" not in page.content()
