"""Password reset by e-mail through Django's standard e-mail sending (a real SMTP server on
loopback): the link sets a new password, which must pass the validators; unknown addresses get
the same answer and no mail."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from tests import factories

pytestmark = pytest.mark.django_db


def test_reset_by_email(world: factories.World, smtp_server: Any, settings: Any) -> None:
    settings.MAILERS = {"default": smtp_server.mailer}
    client = Client()
    page = client.get("/login/")
    assert b"/accounts/password/reset/" in page.content
    sent = client.post("/accounts/password/reset/", {"email": "l2@example.com"})
    assert sent.status_code == 302
    [message] = smtp_server.wait_for(1)
    assert message.rcpt_tos == ["l2@example.com"]
    link = re.search(r"https?://[^\s]+/accounts/password/reset/key/[^\s]+", message.text)
    assert link is not None
    path = link.group(0).split("//", 1)[1].split("/", 1)[1]
    form = client.get("/" + path, follow=True)
    assert form.status_code == 200
    action = form.redirect_chain[-1][0] if form.redirect_chain else "/" + path
    weak = client.post(action, {"password1": "12345678", "password2": "12345678"})
    assert weak.status_code == 200 and b"too common" in weak.content.lower()
    done = client.post(
        action, {"password1": "quiet-harbour-72-lamp", "password2": "quiet-harbour-72-lamp"}
    )
    assert done.status_code == 302
    world["l2"].refresh_from_db()
    assert world["l2"].check_password("quiet-harbour-72-lamp")


def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    world: factories.World, smtp_server: Any, settings: Any
) -> None:
    settings.MAILERS = {"default": smtp_server.mailer}
    settings.ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
    response = Client().post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert smtp_server.messages == []
