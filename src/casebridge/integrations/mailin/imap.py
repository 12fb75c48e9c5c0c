"""The IMAP poller: new messages of a mailbox's folder into the store, each read once.

A poll logs in, selects the folder and compares its ``UIDVALIDITY`` with the one recorded: the
same, it asks for the UIDs above the watermark (``last_uid``); changed (the folder was recreated),
it starts again from the first UID, and the store's Message-ID check keeps what it had already
stored from being stored twice. For each batch it fetches the sizes, then the messages within
``MAIL_MAX_BYTES`` (``BODY.PEEK``: fetching sets no flag) and only the headers of larger ones
(recorded as too large), stores them (each committed), moves the watermark, and only then marks
them on the server: moved to the mailbox's processed folder, or flagged ``\\Seen``. A crash between
two of these steps reads a message again at worst, which the store turns into nothing.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from dataclasses import dataclass

import structlog
from django.conf import settings
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from casebridge.core import clock
from casebridge.integrations.mailin.models import Mailbox
from casebridge.integrations.mailin.store import mail_store, mail_store_too_large

log = structlog.get_logger("casebridge.mailin")

FETCH_BATCH = 50
TIMEOUT_SECONDS = 30
#: What a poll can fail with that is the server's or the network's fault, not ours.
IMAP_ERRORS: tuple[type[BaseException], ...] = (
    IMAPClientError,
    OSError,
    socket.timeout,
    ssl.SSLError,
)


@dataclass
class PollResult:
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    too_large: int = 0


def connect(mailbox: Mailbox) -> IMAPClient:
    """A logged-in client. ``imaps://`` is TLS from the start; ``imap://`` upgrades with
    STARTTLS when the server offers it. Certificates are verified against the system's CAs."""
    context = ssl.create_default_context() if mailbox.tls else None
    client = IMAPClient(
        mailbox.host,
        port=mailbox.port,
        ssl=mailbox.tls,
        ssl_context=context,
        timeout=TIMEOUT_SECONDS,
    )
    try:
        if not mailbox.tls and client.has_capability("STARTTLS"):
            client.starttls(ssl.create_default_context())  # never a password in the clear
        client.login(mailbox.username, str(mailbox.password))
    except BaseException:
        _close(client)
        raise
    return client


def _close(client: IMAPClient) -> None:
    try:
        client.logout()
    except IMAP_ERRORS:
        with contextlib.suppress(*IMAP_ERRORS):
            client.shutdown()


def folder_check(mailbox: Mailbox) -> int:
    """Log in and select the folder (creating the processed folder if missing): its UIDVALIDITY."""
    client = connect(mailbox)
    try:
        info = client.select_folder(mailbox.folder, readonly=True)
        if mailbox.processed_folder and not client.folder_exists(mailbox.processed_folder):
            client.create_folder(mailbox.processed_folder)
        return int(info[b"UIDVALIDITY"])
    finally:
        _close(client)


def _mark(client: IMAPClient, mailbox: Mailbox, uids: list[int]) -> None:
    if not uids:
        return
    if not mailbox.processed_folder:
        client.add_flags(uids, [b"\\Seen"], silent=True)
        return
    if client.has_capability("MOVE"):
        client.move(uids, mailbox.processed_folder)
        return
    client.copy(uids, mailbox.processed_folder)
    client.delete_messages(uids, silent=True)
    if client.has_capability("UIDPLUS"):
        client.uid_expunge(uids)
    else:
        client.expunge()


def _watermark(mailbox: Mailbox, validity: int, last_uid: int) -> None:
    mailbox.uidvalidity = validity
    mailbox.last_uid = last_uid
    Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=validity, last_uid=last_uid)


def _bytes(value: object) -> bytes:
    """A fetched message part (bytes), or nothing."""
    if not value:
        return b""
    if not isinstance(value, bytes | bytearray | memoryview):
        raise TypeError(f"IMAP gave {type(value).__name__}, not bytes")
    return bytes(value)


def _store_batch(client: IMAPClient, mailbox: Mailbox, uids: list[int], result: PollResult) -> None:
    limit = settings.MAIL_MAX_BYTES
    sizes = client.fetch(uids, ["RFC822.SIZE"])
    small = [u for u in uids if int(sizes.get(u, {}).get(b"RFC822.SIZE", 0)) <= limit]
    large = [u for u in uids if u not in small and u in sizes]
    bodies: dict[int, dict[bytes, object]] = client.fetch(small, ["BODY.PEEK[]"]) if small else {}
    heads: dict[int, dict[bytes, object]] = (
        client.fetch(large, ["BODY.PEEK[HEADER]"]) if large else {}
    )
    for uid in uids:
        if uid in bodies:
            raw = _bytes(bodies[uid].get(b"BODY[]"))
            if not raw.strip():
                continue
            stored = mail_store(raw=raw, mailbox=mailbox, via="imap", imap_uid=uid)
        elif uid in heads:
            result.too_large += 1
            stored = mail_store_too_large(
                head=_bytes(heads[uid].get(b"BODY[HEADER]")),
                size=int(sizes[uid][b"RFC822.SIZE"]),
                mailbox=mailbox,
                via="imap",
                imap_uid=uid,
            )
        else:
            continue  # expunged meanwhile
        result.fetched += 1
        result.duplicates += stored.duplicate
        result.stored += not stored.duplicate


def mailbox_poll(mailbox: Mailbox) -> PollResult:
    """Store the folder's new messages and mark them on the server; raises IMAP_ERRORS."""
    result = PollResult()
    client = connect(mailbox)
    try:
        info = client.select_folder(mailbox.folder)
        validity = int(info[b"UIDVALIDITY"])
        last = mailbox.last_uid if mailbox.uidvalidity == validity else 0
        if mailbox.uidvalidity is not None and mailbox.uidvalidity != validity:
            log.warning("mailbox_uidvalidity_changed", mailbox=mailbox.name)
        if mailbox.processed_folder and not client.folder_exists(mailbox.processed_folder):
            client.create_folder(mailbox.processed_folder)
        uids = sorted(u for u in client.search(["UID", f"{last + 1}:*"]) if u > last)
        for start in range(0, len(uids), FETCH_BATCH):
            batch = uids[start : start + FETCH_BATCH]
            _store_batch(client, mailbox, batch, result)
            _watermark(mailbox, validity, batch[-1])
            _mark(client, mailbox, batch)
        if not uids and mailbox.uidvalidity != validity:
            _watermark(mailbox, validity, last)
    finally:
        _close(client)
    return result


def mailbox_poll_recorded(mailbox: Mailbox) -> PollResult | None:
    """Poll and record the outcome on the mailbox (``last_polled_at``, ``last_error``: never the
    password); None when the poll failed."""
    error = ""
    result: PollResult | None = None
    try:
        result = mailbox_poll(mailbox)
    except Exception as exc:  # noqa: BLE001 - recorded; one mailbox never stops the worker
        error = f"{type(exc).__name__}: {exc}"[:2000]
        log.warning("mailbox_poll_failed", mailbox=mailbox.name, error=error[:200])
    mailbox.last_polled_at = clock.now()
    mailbox.last_error = error
    Mailbox.objects.filter(pk=mailbox.pk).update(
        last_polled_at=mailbox.last_polled_at, last_error=error
    )
    if result is not None and result.fetched:
        log.info("mailbox_polled", mailbox=mailbox.name, **vars(result))
    return result


def mailboxes_poll() -> int:
    """Poll every enabled IMAP mailbox once; returns how many messages were newly stored."""
    stored = 0
    for mailbox in Mailbox.objects.filter(enabled=True).exclude(host=""):
        result = mailbox_poll_recorded(mailbox)
        stored += result.stored if result else 0
    return stored
