"""The one polite answer an unknown sender gets (through the outbox, after the commit).

It is marked ``Auto-Submitted: auto-replied`` (RFC 3834) and threads onto the sender's message;
its Message-ID is derived from the outbox message, so a retried delivery is the same message.
"""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage

from casebridge.integrations.mail.addresses import mail_domain, support_address
from casebridge.integrations.mailin.intake import UNKNOWN_SENDER_TOPIC
from casebridge.integrations.models import OutboxMessage
from casebridge.integrations.outbox import PermanentFailure, register

BODY = """Hello,

Thank you for writing to {support}. We could not open a support case from your message,
because {address} is not the address of anyone we support.

If you are a customer, please write from the address of your account, or sign in at
{base_url}/ and open a case there. If you think this is a mistake, ask your organisation's
administrator to add your address.

This is an automatic answer; you will get it at most once a day.
"""


def unknown_sender_reply(message: OutboxMessage) -> None:
    payload = message.payload
    to = str(payload.get("to") or "")
    if not to:
        raise PermanentFailure("no address to answer")
    subject = str(payload.get("subject") or "").strip()
    in_reply_to = str(payload.get("in_reply_to") or "").strip()
    headers = {
        "Auto-Submitted": "auto-replied",
        "X-Auto-Response-Suppress": "All",
        "Precedence": "auto_reply",
        "Message-ID": f"<mailin-reply.{message.idempotency_key}@{mail_domain()}>",
    }
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
        headers["References"] = in_reply_to
    email = EmailMessage(
        subject=f"Re: {subject}" if subject else "Your message to support",
        body=BODY.format(support=support_address(), address=to, base_url=settings.BASE_URL),
        from_email=support_address(),
        to=[to],
        headers=headers,
    )
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentFailure(f"the recipient was refused: {exc}") from exc


def register_handlers() -> None:
    register(UNKNOWN_SENDER_TOPIC, unknown_sender_reply)
