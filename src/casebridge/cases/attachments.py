"""Attachments: size-limited, type-sniffed from their bytes, stored through Django's storage."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO

import puremagic
from django.conf import settings
from django.core.files.base import File
from django.db import transaction

from casebridge.accounts.models import User, as_user
from casebridge.audit.actions import AuditAction
from casebridge.audit.services import audit_record
from casebridge.cases.events import AttachmentAdded
from casebridge.cases.models import Attachment, Case, Comment
from casebridge.cases.services import CaseInput, case_create, case_transition, comment_add
from casebridge.core import clock, events
from casebridge.core.actors import Actor
from casebridge.core.errors import PayloadTooLarge, ValidationFailed

SNIFF_BYTES = 8192
LOG_EXTENSIONS = {".log", ".txt", ".out", ".err", ".trace"}
LOG_LINE = re.compile(
    rb"(\d{4}-\d{2}-\d{2}|\d{2}:\d{2}:\d{2}|\b(?:INFO|WARN|WARNING|ERROR|DEBUG|FATAL|TRACE)\b)"
)
#: Types a browser may be told; everything else is served as application/octet-stream.
SAFE_TYPES = {
    "text/plain",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "application/zip",
    "application/x-gzip",
    "application/gzip",
    "application/json",
}


def clean_filename(name: str) -> str:
    """The last path part, without control characters, at most 200 characters."""
    base = PurePath(name.replace("\\", "/")).name
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip(" .")
    return base[-200:] or "attachment"


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3  # a character cut at the sniffing boundary
    return True


def sniff(head: bytes, filename: str) -> tuple[str, bool]:
    """The content type from the first bytes, and whether the file is a log."""
    try:
        content_type = puremagic.from_string(head, mime=True) or ""
    except puremagic.PureError:
        content_type = ""
    if not content_type and _looks_like_text(head):
        content_type = "text/plain"
    content_type = content_type or "application/octet-stream"
    is_log = content_type == "text/plain" and (
        PurePath(filename).suffix.lower() in LOG_EXTENSIONS
        or sum(1 for line in head.splitlines()[:10] if LOG_LINE.search(line)) >= 3
    )
    return content_type, is_log


def download_type(attachment: Attachment) -> str:
    return (
        attachment.content_type
        if attachment.content_type in SAFE_TYPES
        else "application/octet-stream"
    )


def _digest(upload: IO[bytes]) -> tuple[str, int, bytes]:
    sha, size, head = hashlib.sha256(), 0, b""
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1 << 20), b""):
        if not head:
            head = chunk[:SNIFF_BYTES]
        sha.update(chunk)
        size += len(chunk)
        if size > settings.ATTACHMENT_MAX_BYTES:
            raise PayloadTooLarge.for_file(settings.ATTACHMENT_MAX_BYTES)
    upload.seek(0)
    return sha.hexdigest(), size, head


def attachment_add(
    *, actor: Actor, case: Case, upload: IO[bytes], filename: str, internal: bool | None = None
) -> Attachment:
    """Store an uploaded file on the case. ``upload`` is any binary file object.

    ``internal`` None is the uploader's default: a file from support staff is internal (a log
    full of host names is not for the customer's eyes unless staff say so); a customer's or
    partner's is public.
    """
    if internal is None:
        internal = not actor.is_external
    if internal and actor.is_external:
        raise ValidationFailed(
            "Customers cannot add internal files",
            fields={"internal": "Only support staff can add internal attachments."},
        )
    sha256, size, head = _digest(upload)
    if size == 0:
        raise ValidationFailed("Empty file", fields={"file": "The file is empty."})
    name = clean_filename(filename)
    content_type, is_log = sniff(head, name)
    attachment = Attachment(
        case=case,
        filename=name,
        content_type=content_type,
        size=size,
        sha256=sha256,
        is_log=is_log,
        internal=internal,
        uploaded_by=as_user(actor),
        created_at=clock.now(),
    )
    attachment.file.save(name, File(upload), save=False)
    try:
        with transaction.atomic():
            attachment.save()
            audit_record(
                actor=actor,
                subject=case,
                action=AuditAction.ATTACHED,
                new=name,
                data={"attachment": attachment.pk, "size": size, "type": content_type},
                public=not internal,
            )
            events.publish(
                AttachmentAdded(
                    key=case.key,
                    case_id=case.pk,
                    organisation_id=case.organisation_id,
                    attachment_id=attachment.pk,
                    filename=name,
                    is_log=is_log,
                    internal=internal,
                    actor_id=events.actor_id(actor),
                )
            )
    except BaseException:
        attachment.file.delete(save=False)  # nothing half-written: no orphan file
        raise
    return attachment


@dataclass(frozen=True)
class Upload:
    """A file to attach together with another change: ``internal`` as in ``attachment_add``."""

    file: IO[bytes]
    filename: str
    internal: bool | None = None


@contextmanager
def _all_or_nothing() -> Iterator[list[Attachment]]:
    """One transaction; the files stored in it are deleted again if it rolls back."""
    stored: list[Attachment] = []
    try:
        with transaction.atomic():
            yield stored
    except BaseException:
        for attachment in stored:
            attachment.file.delete(save=False)
        raise


def _attach_all(
    actor: Actor, case: Case, uploads: Sequence[Upload], into: list[Attachment]
) -> None:
    for upload in uploads:
        into.append(
            attachment_add(
                actor=actor,
                case=case,
                upload=upload.file,
                filename=upload.filename,
                internal=upload.internal,
            )
        )


def case_create_with_files(
    *, actor: User, data: CaseInput, uploads: Sequence[Upload], channel: str = "web"
) -> Case:
    """Open a case with its attachments, all or nothing: a file refused (empty, too large)
    leaves no case and no file behind."""
    with _all_or_nothing() as stored:
        case = case_create(actor=actor, data=data, channel=channel)
        _attach_all(actor, case, uploads, stored)
    return case


def comment_add_with_files(
    *, actor: User, case: Case, body: str, uploads: Sequence[Upload], internal: bool = False
) -> Comment:
    """Add a comment with its attachments (a reply by e-mail), all or nothing."""
    with _all_or_nothing() as stored:
        comment = comment_add(actor=actor, case=case, body=body, internal=internal)
        _attach_all(actor, case, uploads, stored)
    return comment


def case_escalate_with_files(
    *, actor: Actor, case: Case, data: Mapping[str, object], uploads: Sequence[Upload]
) -> Case:
    """Attach log files and escalate, all or nothing: the files count as the gate's log
    evidence, and a refused escalation leaves none of them on the case."""
    with _all_or_nothing() as stored:
        _attach_all(actor, case, uploads, stored)
        return case_transition(actor=actor, case=case, action="escalate", data=data)
