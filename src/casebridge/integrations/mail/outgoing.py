"""E-mail out: written in the change's transaction, sent by the outbox relay after the commit.

``mail_enqueue`` renders a message from its templates (``integrations/mail/<name>.txt`` and
``.html``) and adds it to the outbox (topic ``mail.send``, destination ``mail:smtp``, so that one
failing mail server opens one circuit). Its Message-ID is its idempotency key: the same
Message-ID enqueued twice is one message, and a message sent again after a crash carries the
same Message-ID, so the receiving mail system can drop the copy.

A message about a case is threaded: ``In-Reply-To`` and ``References`` name the case's thread
root (``addresses.thread_root_id``), its ``Reply-To`` is the case's reply address, and its
subject is the case's (``[CB-12] title``) so every client files it in one conversation.
Automatic messages carry ``Auto-Submitted: auto-generated`` (RFC 3834) so that vacation
responders stay quiet.

``mail_deliver`` (the outbox handler) sends through Django's mailer (``EMAIL_URL``). SMTP
answers decide what happens next: a 4xx is temporary (``RetryLater``), a 5xx permanent
(``PermanentFailure``: a dead letter an admin sees); a lost connection is retried.
"""

from __future__ import annotations

import smtplib
import uuid
from collections.abc import Mapping
from typing import TypedDict

import structlog
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from casebridge.integrations.mail import addresses
from casebridge.integrations.models import OutboxMessage
from casebridge.integrations.outbox import PermanentFailure, RetryLater, outbox_enqueue_once

log = structlog.get_logger("casebridge.mail")

TOPIC = "mail.send"
DESTINATION = "mail:smtp"
_NAMESPACE = uuid.UUID("6f1d2b2e-6b8e-4c55-9a43-3c1f0e7d9b41")
SUBJECT_MAX = 200


class MailPayload(TypedDict):
    """The outbox payload of one e-mail (topic ``mail.send``)."""

    to: str
    subject: str
    text: str
    html: str
    headers: dict[str, str]


def idempotency_key(message_id: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, message_id)


def case_subject(case: addresses.MailedCase) -> str:
    """The subject of every message of a case: the same one, so clients keep one thread."""
    return f"[{case.key}] {case.title}"[:SUBJECT_MAX]


def standalone_message_id(kind: str, unique: str) -> str:
    """The Message-ID of a message about no case (an invitation, a digest)."""
    return f"<{kind}.{unique}@{addresses.mail_domain()}>"


def mail_enqueue(
    *,
    to: str,
    subject: str,
    template: str,
    context: Mapping[str, object],
    message_id: str,
    case: addresses.MailedCase | None = None,
    automatic: bool = True,
) -> bool:
    """Add one e-mail to the outbox, inside the change's transaction; returns whether it was
    added (False: a message with this Message-ID exists already)."""
    ctx = {"base_url": settings.BASE_URL, "subject": subject, **context}
    headers: dict[str, str] = {"Message-ID": message_id}
    if case is not None:
        root = addresses.thread_root_id(case)
        headers["In-Reply-To"] = root
        headers["References"] = root
        headers["Reply-To"] = addresses.reply_address(case)
    if automatic:
        headers["Auto-Submitted"] = "auto-generated"
        headers["X-Auto-Response-Suppress"] = "All"
    payload: MailPayload = {
        "to": to,
        "subject": " ".join(subject.split())[:SUBJECT_MAX],
        "text": render_to_string(f"integrations/mail/{template}.txt", ctx),
        "html": render_to_string(f"integrations/mail/{template}.html", ctx),
        "headers": headers,
    }
    return outbox_enqueue_once(
        idempotency_key=idempotency_key(message_id),
        topic=TOPIC,
        key=((case.key if case is not None else "") or template)[:64],
        payload=payload,
        destination=DESTINATION,
    )


def message_of(payload: MailPayload) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["text"],
        from_email=settings.MAIL_FROM,
        to=[payload["to"]],
        headers=dict(payload.get("headers") or {}),
    )
    if payload.get("html"):
        message.attach_alternative(payload["html"], "text/html")
    return message


def _refusal(code: int, text: str) -> Exception:
    reason = f"SMTP {code}: {text}"[:500]
    if 400 <= code < 500:
        return RetryLater(reason)
    return PermanentFailure(reason)


def _text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def mail_deliver(outbox_message: OutboxMessage) -> None:
    """The outbox handler of ``mail.send``: hand the message to the mail server once."""
    payload: MailPayload = outbox_message.payload
    message = message_of(payload)
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        code = max(codes) if codes else 550
        raise _refusal(code, "recipient refused") from exc
    except smtplib.SMTPAuthenticationError as exc:
        # Our configuration, not the message: retried (and the circuit opens) until fixed.
        raise RetryLater(f"SMTP {exc.smtp_code}: authentication failed") from exc
    except smtplib.SMTPResponseException as exc:
        raise _refusal(exc.smtp_code, _text(exc.smtp_error)) from exc
    log.info("mail_sent", message_id=payload["headers"].get("Message-ID"), key=outbox_message.key)
