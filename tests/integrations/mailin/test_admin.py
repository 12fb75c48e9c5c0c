"""What administrators see of e-mail in: /api/v1/mailboxes, /api/v1/mail-domains,
/api/v1/mail-in and the page /settings/mailboxes/, with the retry of a poison message."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from casebridge.integrations.mailin.intake import MAX_ATTEMPTS
from casebridge.integrations.mailin.models import InboundMail, Mailbox, MailState
from casebridge.integrations.mailin.services import mailbox_add
from casebridge.integrations.mailin.store import mail_store
from tests.factories import World
from tests.integrations.mailin.messages import raw_mail

pytestmark = pytest.mark.django_db


def poison(
    mailbox: Mailbox | None = None, error: str = "RuntimeError: parser exploded"
) -> InboundMail:
    mail = mail_store(raw=raw_mail(subject="Broken one"), mailbox=mailbox, via="pipe").mail
    InboundMail.objects.filter(pk=mail.pk).update(
        state=MailState.FAILED, attempts=MAX_ATTEMPTS, error=error
    )
    return InboundMail.objects.get(pk=mail.pk)


def test_api_adds_lists_and_removes_a_mailbox_without_ever_showing_the_password(
    api: Any, world: World
) -> None:
    admin = api("admin")
    created = admin.post(
        "/mailboxes",
        {
            "name": "support",
            "imap_url": "imaps://support@mail.example.com/INBOX",
            "password": "s3cret-imap-password",
            "service": "payments",
            "organisation": "acme",
            "processed_folder": "Done",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["imap_url"] == "imaps://support@mail.example.com:993/INBOX"
    assert body["password_set"] is True and body["organisation"] == "acme"
    assert "s3cret" not in created.content.decode()
    listed = admin.get("/mailboxes")
    assert [m["name"] for m in listed.json()] == ["support"]
    assert "s3cret" not in listed.content.decode()
    assert admin.post("/mailboxes/support/remove").json() == {"removed": "support"}
    assert admin.get("/mailboxes/support").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Bad Name"}, "name"),
        ({"name": "x", "imap_url": "http://mail.example.com"}, "imap_url"),
        ({"name": "x", "imap_url": "imaps://mail.example.com"}, "imap_url"),
        ({"name": "x", "imap_url": "imaps://u@mail.example.com"}, "password"),
        ({"name": "x", "organisation": "nope"}, "organisation"),
        ({"name": "x", "folder": "IN\x00BOX"}, "folder"),
        ({"name": "x", "service": "nope"}, "service"),
        ({"name": "x", "environment": "moon"}, "environment"),
    ],
)
def test_api_refuses_bad_mailboxes_naming_the_field(
    api: Any, world: World, body: dict[str, Any], field: str
) -> None:
    response = api("admin").post("/mailboxes", body)
    assert response.status_code == 422, response.content
    assert field in response.json()["fields"]


def test_only_admins_manage_mail_in(api: Any, world: World) -> None:
    for username in ("l2", "cust_a"):
        assert api(username).get("/mailboxes").status_code == 403
        assert api(username).get("/mail-in/messages").status_code == 403
        assert (
            api(username)
            .post("/mail-domains", {"domain": "a.example", "organisation": "acme"})
            .status_code
            == 403
        )


def test_api_sets_a_domain_and_retries_a_poison_message(api: Any, world: World) -> None:
    admin = api("admin")
    domain = admin.post(
        "/mail-domains", {"domain": "Acme.Example", "organisation": "acme", "enrol_senders": True}
    )
    assert domain.json() == {
        "domain": "acme.example",
        "organisation": "acme",
        "enrol_senders": True,
    }
    assert admin.post("/mail-domains", {"domain": "not a domain", "organisation": "acme"}).json()[
        "fields"
    ] == {"domain": "Give a domain like acme.example."}
    mail = poison()
    listed = admin.get("/mail-in/messages", state="poison").json()
    assert [(m["id"], m["poison"]) for m in listed] == [(mail.pk, True)]
    assert admin.get("/mail-in/messages", limit=0).status_code == 422
    retried = admin.post(f"/mail-in/messages/{mail.pk}/retry").json()
    assert (retried["state"], retried["attempts"], retried["poison"]) == ("pending", 0, False)
    again = admin.post(f"/mail-in/messages/{mail.pk}/retry")
    assert again.status_code == 409 and "mail" in again.json()["fields"]
    assert admin.get("/mail-in/messages/999999").status_code == 404


def test_the_page_lists_mailboxes_and_poison_mail_and_retries_it(world: World) -> None:
    mailbox = mailbox_add(actor=None, name="support", service="payments")
    mail = poison(mailbox, error="RuntimeError: parser exploded")
    for username in ("l2", "cust_a"):
        client = Client()
        client.force_login(world[username])
        assert client.get("/settings/mailboxes/").status_code == 404
    admin = Client()
    admin.force_login(world["admin"])
    page = admin.get("/settings/mailboxes/").content.decode()
    assert 'id="mailboxes"' in page and "casebridge mail ingest --mailbox support" in page
    assert f'id="mail-{mail.pk}"' in page and "poison" in page and "parser exploded" in page
    done = admin.post(f"/settings/mailboxes/messages/{mail.pk}/retry/", follow=True)
    assert "will be processed again" in done.content.decode()
    assert InboundMail.objects.get(pk=mail.pk).state == MailState.PENDING
    waiting = admin.get("/settings/mailboxes/", {"state": "pending"}).content.decode()
    assert f'id="mail-{mail.pk}"' in waiting
