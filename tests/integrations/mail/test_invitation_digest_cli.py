"""Invitations by e-mail (a set-password link that works once), the daily digest, and the
notifications CLI."""

from __future__ import annotations

import json
import re
from contextlib import redirect_stdout
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import Client

from casebridge.accounts.invitations import user_invite
from casebridge.accounts.models import User
from casebridge.accounts.services import user_create
from casebridge.integrations.models import Notification, OutboxMessage
from casebridge.integrations.notifications import Channels, digests_send, notify, preferences_set
from casebridge.integrations.relay import outbox_deliver_due
from tests import factories
from tests.servers.smtp import SmtpServer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def smtp(smtp_server: SmtpServer, settings: Any) -> SmtpServer:
    settings.MAILERS = {"default": smtp_server.mailer}
    settings.SUPPORT_ADDRESS = "support@help.example.com"
    settings.BASE_URL = "http://testserver"
    return smtp_server


def test_an_invited_customer_chooses_a_password_once(
    smtp: SmtpServer, world: factories.World
) -> None:
    bea = user_create(
        actor=world["admin"],
        username="bea",
        email="bea@acme.example",
        roles=["reporter"],
        organisation=world.orgs["a"],
    )
    OutboxMessage.objects.all().delete()
    assert user_invite(actor=world["admin"], user=bea) == "bea@acme.example"
    outbox_deliver_due()
    [mail] = smtp.wait_for(1)
    assert (
        mail.rcpt_tos == ["bea@acme.example"] and mail["Subject"] == "You are invited to Casebridge"
    )
    assert "Acme Retail" in mail.text and "Your user name is bea" in mail.text
    assert mail["Auto-Submitted"] is None  # a person's invitation, not an automatic reply
    link = re.search(r"http://testserver(/set-password/\S+)", mail.text)
    assert link is not None

    client = Client()
    form = client.get(link.group(1), follow=True)
    assert "Choose your password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-long-new-passphrase-42", "new_password2": "a-long-new-passphrase-42"},
    )
    assert done.status_code == 302
    assert User.objects.get(pk=bea.pk).check_password("a-long-new-passphrase-42")
    again = Client().get(link.group(1), follow=True).content.decode()
    assert "does not work any more" in again


def test_only_an_admin_invites_and_an_address_is_needed(world: factories.World, api: Any) -> None:
    assert api("l2").post("/users/cust_a/invite").status_code == 403
    assert api("admin").post("/users/nobody/invite").status_code == 404
    answer = api("admin").post("/users/cust_a/invite")
    assert answer.status_code == 200 and answer.json()["sent_to"] == "cust_a@example.com"
    User.objects.filter(username="cust_b").update(email="")
    answer = api("admin").post("/users/cust_b/invite")
    assert answer.status_code == 422 and "email" in answer.json()["fields"]


def test_the_daily_digest_gathers_a_day_in_one_message(
    smtp: SmtpServer, world: factories.World, settings: Any
) -> None:
    settings.DIGEST_HOUR = 7
    dana = world["l2"]
    preferences_set(
        user=dana, choices={"watching": Channels(in_app=False, email=False, digest=True)}
    )
    with time_machine.travel("2026-12-01 15:00Z", tick=False), transaction.atomic():
        for i in range(3):
            notify(
                users=[dana],
                subject_key="CB-1",
                message=f"CB-1 changed {i}",
                kind="watching",
                url="/cases/CB-1/",
            )
    OutboxMessage.objects.all().delete()
    with time_machine.travel("2026-12-02 06:59Z", tick=False):
        assert digests_send() == 0  # before the hour: nothing
    with time_machine.travel("2026-12-02 07:05Z", tick=False):
        assert digests_send() == 1
        assert digests_send() == 0  # once a day
    outbox_deliver_due()
    [mail] = smtp.wait_for(1)
    assert mail.rcpt_tos == [dana.email] and "3 notifications" in mail["Subject"]
    assert all(f"CB-1 changed {i}" in mail.text for i in range(3))
    assert "http://testserver/cases/CB-1/" in mail.text
    assert not Notification.objects.filter(user=dana, digested_at__isnull=True).exists()


def _cli(*args: str) -> str:
    out = StringIO()
    with redirect_stdout(out):
        call_command(*args, stdout=out)
    return out.getvalue()


def test_the_cli_lists_marks_and_watches(world: factories.World) -> None:
    case = factories.make_case(world)
    with transaction.atomic():
        notify(users=[world["l2"]], subject_key=case.key, message="Look at this")
    listed = json.loads(_cli("notifications", "list", "--as", "l2", "--json"))
    assert [n["message"] for n in listed] == ["Look at this"] and not listed[0]["read"]
    assert "1 notification marked read" in _cli("notifications", "read", "--all", "--as", "l2")
    assert "watching " + case.key in _cli("notifications", "watch", "case", case.key, "--as", "l2")
    assert case.key in _cli("notifications", "watches", "--as", "l2")
    assert "not watching" in _cli("notifications", "unwatch", "case", case.key, "--as", "l2")
    with pytest.raises(CommandError, match="No case"):
        _cli("notifications", "watch", "case", case.key, "--as", "cust_b")
    with pytest.raises(CommandError, match="ids or --all"):
        _cli("notifications", "read", "--as", "l2")
    with pytest.raises(CommandError, match="administrator"):
        _cli("invite", "cust_a", "--as", "l2")
    assert "invitation for cust_a" in _cli("invite", "cust_a", "--as", "admin")
