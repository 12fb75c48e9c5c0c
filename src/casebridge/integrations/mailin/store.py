"""The door of e-mail in: bound the message, store it byte for byte, answer.

Both doors (the IMAP poller and ``casebridge mail ingest``) call ``mail_store`` and nothing else
before the message is safe in the database; everything else happens in the worker (``intake``).
The same Message-ID stored twice is one row: the second store finds the first (``duplicate``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction

from casebridge.core import clock
from casebridge.core.errors import PayloadTooLarge, ValidationFailed
from casebridge.core.retention import retention_cutoff, update_in_batches
from casebridge.integrations.mailin.models import InboundMail, Mailbox, MailState, Outcome
from casebridge.integrations.mailin.parsing import header, header_parse, message_key, sender_of


@dataclass(frozen=True)
class Stored:
    mail: InboundMail
    duplicate: bool


def too_large(size: int) -> PayloadTooLarge:
    limit = settings.MAIL_MAX_BYTES
    return PayloadTooLarge(
        f"The message is larger than the limit of {limit / 1048576:g} MiB (got {size} bytes)",
        fields={"message": f"At most {limit} bytes (CASEBRIDGE_MAIL_MAX_BYTES)."},
    )


def _insert(
    raw: bytes, *, mailbox: Mailbox | None, via: str, uid: int | None, **extra: object
) -> Stored:
    try:
        headers = header_parse(raw)
        message_id = header(headers, "Message-ID")[:998]
        _, sender = sender_of(headers)
        subject = header(headers, "Subject")[:255]
    except Exception:  # noqa: BLE001 - unreadable headers: stored all the same, by its bytes
        message_id = sender = subject = ""
    key = message_key(message_id, raw)
    now = clock.now()
    fields = {
        "mailbox": mailbox,
        "message_key": key,
        "message_id": message_id,
        "sender": sender[:320],
        "subject": subject,
        "raw": raw,
        "size": len(raw),
        "via": via,
        "imap_uid": uid,
        "received_at": now,
        "available_at": now,
        **extra,
    }
    try:
        with transaction.atomic():
            mail = InboundMail.objects.create(**fields)
    except IntegrityError:
        existing = InboundMail.objects.filter(message_key=key).first()
        if existing is None:
            raise
        return Stored(existing, duplicate=True)
    return Stored(mail, duplicate=False)


def mail_store(
    *, raw: bytes, mailbox: Mailbox | None, via: str, imap_uid: int | None = None
) -> Stored:
    """Store one RFC 5322 message durably (committed when this returns), or refuse it having
    stored nothing: larger than ``MAIL_MAX_BYTES``, or empty."""
    if len(raw) > settings.MAIL_MAX_BYTES:
        raise too_large(len(raw))
    if not raw.strip():
        raise ValidationFailed("The message is empty", fields={"message": "No bytes were read."})
    return _insert(raw, mailbox=mailbox, via=via, uid=imap_uid)


def mail_store_too_large(
    *, head: bytes, size: int, mailbox: Mailbox | None, via: str, imap_uid: int | None = None
) -> Stored:
    """Record a message too large to read (its headers only), so that admins see it."""
    return _insert(
        head,
        mailbox=mailbox,
        via=via,
        uid=imap_uid,
        size=size,
        state=MailState.IGNORED,
        outcome=Outcome.TOO_LARGE,
        error=str(too_large(size)),
        processed_at=clock.now(),
    )


def mail_prune() -> int:
    """Drop the bytes of processed e-mail older than the retention. The row stays (its
    Message-ID keeps a late duplicate from opening a case; its case and comment are kept)."""
    cutoff = retention_cutoff()
    if cutoff is None:
        return 0
    return update_in_batches(
        InboundMail.objects.filter(
            state__in=[MailState.DONE, MailState.IGNORED], processed_at__lt=cutoff, size__gt=0
        ),
        {"raw": b"", "size": 0},
    )
