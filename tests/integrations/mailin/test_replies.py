"""The polite answer to an unknown sender reaches them through the outbox and a real SMTP
server, marked as automatic and threaded onto their message."""

from __future__ import annotations

from typing import Any

import pytest

from casebridge.integrations.mailin.intake import mail_process_due
from casebridge.integrations.mailin.services import mailbox_add
from casebridge.integrations.mailin.store import mail_store
from casebridge.integrations.models import OutboxMessage, OutboxState
from casebridge.integrations.relay import outbox_deliver_due
from tests.factories import World
from tests.integrations.mailin.messages import raw_mail
from tests.servers.smtp import SmtpServer

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_unknown_sender_gets_one_automatic_answer(
    world: World, smtp_server: SmtpServer, settings: Any
) -> None:
    settings.MAILERS = {"default": smtp_server.mailer}
    mailbox = mailbox_add(actor=None, name="support", service="payments")
    raw = raw_mail(sender="Sam <sam@elsewhere.example>", message_id="<sam-1@elsewhere.example>")
    mail_store(raw=raw, mailbox=mailbox, via="pipe")
    mail_process_due()
    assert outbox_deliver_due() == 1
    [message] = smtp_server.wait_for(1)
    assert message.rcpt_tos == ["sam@elsewhere.example"]
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["In-Reply-To"] == "<sam-1@elsewhere.example>"
    assert message["Subject"] == "Re: Checkout is down"
    assert "not the address of anyone we support" in message.text.replace("\n", " ")
    assert OutboxMessage.objects.get().state == OutboxState.DELIVERED
