"""``casebridge mail list|retry|process`` and ``casebridge mailbox domain`` (the operator)."""

from __future__ import annotations

import contextlib
import io
import json

import pytest
from django.core.management import call_command

from casebridge.integrations.mailin.intake import MAX_ATTEMPTS
from casebridge.integrations.mailin.models import InboundMail, MailDomain, MailState
from casebridge.integrations.mailin.services import mailbox_add
from casebridge.integrations.mailin.store import mail_store
from tests.factories import World
from tests.integrations.mailin.messages import raw_mail

pytestmark = pytest.mark.django_db


def cli(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        call_command(*args, stdout=out)
    return out.getvalue()


def test_list_retry_and_process_stored_mail(world: World) -> None:
    mailbox = mailbox_add(actor=None, name="support", service="payments")
    mail = mail_store(raw=raw_mail(subject="Broken one"), mailbox=mailbox, via="pipe").mail
    InboundMail.objects.filter(pk=mail.pk).update(
        state=MailState.FAILED, attempts=MAX_ATTEMPTS, error="RuntimeError: parser exploded"
    )
    poison = json.loads(cli("mail", "list", "--state", "poison", "--json"))
    assert [(r["id"], r["state"], r["mailbox"]) for r in poison] == [(mail.pk, "poison", "support")]
    text = cli("mail", "list", "--mailbox", "support", "--limit", "5")
    assert "Broken one" in text and "parser exploded" in text
    assert f"message {mail.pk} will be processed again" in cli("mail", "retry", str(mail.pk))
    assert json.loads(cli("mail", "process", "--json")) == {"processed": 1}
    mail.refresh_from_db()
    assert mail.state == MailState.DONE and mail.case is not None


def test_an_organisations_domain_set_listed_and_removed(world: World) -> None:
    listed = json.loads(
        cli("mailbox", "domain", "acme.example", "--org", "acme", "--enrol", "--json")
    )
    assert listed == [{"domain": "acme.example", "organisation": "acme", "enrol_senders": True}]
    assert "unknown senders become reporters" in cli("mailbox", "domain")
    assert "removed e-mail domain acme.example" in cli(
        "mailbox", "domain", "acme.example", "--remove"
    )
    assert not MailDomain.objects.exists()
