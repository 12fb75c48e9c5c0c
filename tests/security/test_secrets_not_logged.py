"""Secrets never reach the logs: a run that creates and uses webhook secrets, integration tokens,
HMAC secrets, API tokens, IMAP and SMTP passwords and sign-in passwords (right and wrong) at
DEBUG level, then greps everything logged and printed for each of them."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client

from casebridge.accounts.services import token_create
from casebridge.integrations.mail.outgoing import mail_enqueue
from casebridge.integrations.mailin.imap import mailbox_poll_recorded
from casebridge.integrations.mailin.models import Mailbox
from casebridge.integrations.mailin.services import mailbox_add
from casebridge.integrations.models import OutboxMessage
from casebridge.integrations.relay import outbox_deliver_due
from casebridge.integrations.webhooks.services import webhook_destination_create
from casebridge.settings import _mailer
from tests import factories
from tests.monitoring.helpers import Sender, make_integration

pytestmark = pytest.mark.django_db
WRONG_PASSWORD = "hunter2-wrong-passphrase-XYZ"
IMAP_PASSWORD = "imap-Secret-Passphrase-42"
SMTP_PASSWORD = "smtp-Secret-Passphrase-42"


def test_no_secret_is_logged(
    world: factories.World, caplog: pytest.LogCaptureFixture, capfd: Any, settings: Any
) -> None:
    settings.WEBHOOK_ALLOW_LOOPBACK_HTTP = True
    caplog.set_level(logging.DEBUG)
    secrets: list[str] = []
    client = Client()

    hook_url = "https://hooks.example.com/services/T000/B000/webhookpathsecret42"
    _, signing = webhook_destination_create(
        actor=world["admin"], kind="generic", name="Ops hook", url=hook_url
    )
    secrets += [signing, "webhookpathsecret42"]

    bearer, bearer_secret = make_integration(world, slug="prom")
    signed, hmac_secret = make_integration(world, slug="signed", auth="hmac")
    secrets += [bearer_secret, hmac_secret]
    alert = {"version": "4", "status": "firing", "alerts": [], "groupKey": "g", "receiver": "r"}
    Sender(bearer, bearer_secret).post(alert)
    Sender(bearer, bearer_secret).post(alert, secret=bearer_secret + "-wrong")
    Sender(signed, hmac_secret).post(alert)

    _, api_secret = token_create(actor=None, user=world["l2"], name="ci", scope="read")
    secrets.append(api_secret)
    client.get("/api/v1/cases", HTTP_AUTHORIZATION=f"Bearer {api_secret}")
    client.get("/api/v1/cases", HTTP_AUTHORIZATION=f"Bearer {api_secret}x")

    client.post("/login/", {"username": "l2", "password": WRONG_PASSWORD})
    client.post("/login/", {"username": "l2", "password": "correct-horse-battery"})
    secrets += [WRONG_PASSWORD, "correct-horse-battery"]

    # E-mail in: an IMAP mailbox's password (sealed at rest) through a poll that fails to connect.
    mailbox = mailbox_add(
        actor=world["admin"],
        name="support",
        imap_url="imap://support@127.0.0.1:9/INBOX",
        password=IMAP_PASSWORD,
        service="payments",
    )
    assert mailbox_poll_recorded(mailbox) is None
    mailbox.refresh_from_db()
    assert mailbox.last_error and IMAP_PASSWORD not in mailbox.last_error
    with connection.cursor() as cursor:  # the column as stored: sealed, not the password
        cursor.execute(f"SELECT password FROM {Mailbox._meta.db_table} WHERE id = %s", [mailbox.pk])
        (stored,) = cursor.fetchone()
    assert stored and IMAP_PASSWORD not in str(stored)
    secrets.append(IMAP_PASSWORD)

    # E-mail out: the SMTP password of EMAIL_URL through a delivery that fails to connect.
    settings.MAILERS = {"default": _mailer(f"smtp://casebridge:{SMTP_PASSWORD}@127.0.0.1:9")}
    with transaction.atomic():
        mail_enqueue(
            to="alice@example.com",
            subject="Your case",
            template="invitation",
            context={
                "recipient_name": "Alice",
                "inviter": "Ops",
                "organisation": "",
                "link": "https://casebridge.example/x",
                "valid_days": 3,
                "username": "alice",
            },
            message_id="<secret-test@casebridge.example>",
        )
    outbox_deliver_due(limit=10)
    errors = list(
        OutboxMessage.objects.filter(topic="mail.send").values_list("last_error", flat=True)
    )
    assert errors and all(SMTP_PASSWORD not in e for e in errors)
    secrets.append(SMTP_PASSWORD)

    out, err = capfd.readouterr()
    logged = "\n".join(
        [caplog.text, out, err, *(json.dumps(r.__dict__, default=str) for r in caplog.records)]
    )
    assert "security.signed_in" in logged  # the run was logged at all
    for secret in secrets:
        assert secret not in logged, f"a secret reached the logs: {secret[:6]}..."
