"""E-mail out through the outbox to a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from casebridge.integrations.mail import addresses
from casebridge.integrations.mail.outgoing import case_subject, mail_enqueue
from casebridge.integrations.models import OutboxMessage, OutboxState
from casebridge.integrations.relay import outbox_deliver_due
from casebridge.settings import _mailer
from tests import factories
from tests.servers.smtp import SmtpServer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def smtp(smtp_server: SmtpServer, settings: Any) -> SmtpServer:
    settings.MAILERS = {"default": smtp_server.mailer}
    settings.SUPPORT_ADDRESS = "support@help.example.com"
    settings.MAIL_FROM = "Acme Support <support@help.example.com>"
    return smtp_server


def _enqueue(case: Any, event: str, **context: Any) -> bool:
    with transaction.atomic():
        return mail_enqueue(
            to="cust_a@example.com",
            subject=case_subject(case),
            template="case_update",
            context={
                "recipient_name": "Alice",
                "headline": context.pop("headline", "Case received"),
                "case_key": case.key,
                "case_title": case.title,
                "status": "Received",
                "link": f"http://testserver/portal/cases/{case.key}/",
                **context,
            },
            message_id=addresses.message_id_for(case, event),
            case=case,
        )


def test_case_messages_share_one_thread_with_reply_to_and_auto_submitted(
    smtp: SmtpServer,
) -> None:
    world = factories.build_world()
    case = factories.make_case(world)
    OutboxMessage.objects.all().delete()
    _enqueue(case, "received")
    _enqueue(case, "comment-1", headline="Our team wrote to you", body="Try <b>again</b> now.")
    assert outbox_deliver_due() == 2

    first, second = smtp.wait_for(2)
    root = addresses.thread_root_id(case)
    for received in (first, second):
        assert received.mail_from == "support@help.example.com"
        assert received.rcpt_tos == ["cust_a@example.com"]
        assert received["Subject"] == f"[{case.key}] {case.title}"
        assert received["In-Reply-To"] == root
        assert received["References"] == root
        assert received["Reply-To"] == addresses.reply_address(case)
        assert received["Auto-Submitted"] == "auto-generated"
        assert addresses.case_key_from_message_id(received["Message-ID"]) == case.key
    assert first["Message-ID"] != second["Message-ID"]
    assert "Case received" in first.text and "Reply to this e-mail" in first.text
    assert "Try <b>again</b> now." in second.text  # the text part is not escaped
    html = second.html
    assert html is not None and "Try &lt;b&gt;again&lt;/b&gt; now." in html
    states = set(OutboxMessage.objects.values_list("state", flat=True))
    assert states == {OutboxState.DELIVERED}


def test_the_same_message_id_is_sent_once(smtp: SmtpServer) -> None:
    world = factories.build_world()
    case = factories.make_case(world)
    OutboxMessage.objects.all().delete()
    assert _enqueue(case, "received") is True
    assert _enqueue(case, "received") is False
    outbox_deliver_due()
    assert len(smtp.wait_for(1)) == 1
    assert OutboxMessage.objects.filter(topic="mail.send").count() == 1


def test_a_4xx_is_retried_and_a_5xx_is_a_dead_letter(smtp: SmtpServer) -> None:
    world = factories.build_world()
    case = factories.make_case(world)
    OutboxMessage.objects.all().delete()
    _enqueue(case, "received")
    smtp.fail_next(1, "451 4.3.0 Try again later")
    outbox_deliver_due()
    message = OutboxMessage.objects.get(topic="mail.send")
    assert message.state == OutboxState.PENDING and message.attempts == 1
    assert "451" in message.last_error

    _enqueue(case, "comment-9")
    smtp.fail_next(1, "550 5.1.1 No such user")
    outbox_deliver_due()
    dead = OutboxMessage.objects.get(topic="mail.send", state=OutboxState.DEAD)
    assert "550" in dead.last_error


@pytest.mark.parametrize(
    ("url", "backend", "options"),
    [
        ("console://", "console", {}),
        ("smtp://mail.example.com:25", "smtp", {"host": "mail.example.com", "use_tls": False}),
        ("smtp+tls://u:p%40ss@mail.example.com:587", "smtp", {"use_tls": True, "password": "p@ss"}),
        ("smtps://mail.example.com", "smtp", {"use_ssl": True, "use_tls": False, "port": 465}),
    ],
)
def test_email_url_configures_the_mailer(url: str, backend: str, options: dict[str, Any]) -> None:
    mailer = _mailer(url)
    assert backend in mailer["BACKEND"]
    for name, value in options.items():
        assert mailer["OPTIONS"][name] == value


def test_an_unknown_email_url_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="EMAIL_URL"):
        _mailer("ftp://mail.example.com")
