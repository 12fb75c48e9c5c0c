"""The worker's half of e-mail in: one stored message becomes a case, a comment, or nothing.

Each message is processed in its own transaction, claimed with ``SKIP LOCKED`` on PostgreSQL
(the IMMEDIATE transaction is the lock on SQLite) and marked done or ignored in it, so a crash
anywhere leaves it pending and it is processed again. A message that fails (an unexpected error)
is retried with backoff; after ``MAX_ATTEMPTS`` it stays failed, a poison message that admins see
on /settings/mailboxes/ and can retry.

The rules, in order:

1. noise creates nothing: ``Auto-Submitted`` (not ``no``), ``Precedence: bulk|junk|list``,
   ``X-Auto-Response-Suppress``, bounces (DSN reports, MAILER-DAEMON, an empty Return-Path), our
   own Message-IDs or address (``parsing.noise_of``);
2. a sender over ``MAIL_SENDER_PER_HOUR`` messages in the last hour: ignored;
3. the case it answers (``threads``): the reply address token of a recipient, then
   ``In-Reply-To`` and ``References`` (our Message-IDs, or an earlier message stored here), then
   a ``[CB-12]`` tag in the subject, only when the sender may see that case; the sender's new
   text (quotes and signature cut) becomes a public comment by the sender, with the attachments;
   a case waiting on its reporter goes back to L2 through the case workflow (``comment_add``);
4. a message answering a closed case opens a new case that names it (a follow-up), since nobody
   works on a closed case any more;
5. else a new case, reported by the user with the sender's address, or a new reporter of the
   organisation owning the sender's domain when it enrols senders (``MailDomain``, ``senders``);
6. else the sender is told once (``MAIL_UNKNOWN_REPLY_HOURS``) through the outbox, politely, that
   their address is not known.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet

from casebridge.accounts.models import User
from casebridge.cases.attachments import Upload, case_create_with_files, comment_add_with_files
from casebridge.cases.models import Case, CaseState, Comment, Source
from casebridge.cases.services import TEXT_MAX, TITLE_MAX, CaseInput
from casebridge.core import clock
from casebridge.core.errors import DomainError
from casebridge.core.text import plural
from casebridge.integrations.mailin.models import InboundMail, MailState, Outcome
from casebridge.integrations.mailin.parsing import (
    ParsedMail,
    clean_subject,
    full_parse,
    mail_parse,
    noise_of,
)
from casebridge.integrations.mailin.senders import enrol, known_sender, may_see
from casebridge.integrations.mailin.threads import answered_case
from casebridge.integrations.outbox import outbox_enqueue

log = structlog.get_logger("casebridge.mailin")

MAX_ATTEMPTS = 8
BATCH = 100
UNKNOWN_SENDER_TOPIC = "mailin.unknown_sender"


@dataclass
class Result:
    state: str
    outcome: str
    error: str = ""
    case: Case | None = None
    comment: Comment | None = None
    auto_replied: bool = False


def _ignored(outcome: str, why: str) -> Result:
    return Result(MailState.IGNORED, outcome, why)


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 5 * 2**attempts))


def due_mail(now: datetime) -> QuerySet[InboundMail]:
    return InboundMail.objects.filter(
        state__in=(MailState.PENDING, MailState.FAILED),
        available_at__lte=now,
        attempts__lt=MAX_ATTEMPTS,
    ).order_by("id")


def _locked(query: QuerySet[InboundMail]) -> QuerySet[InboundMail]:
    if connection.features.has_select_for_update_skip_locked:
        return query.select_for_update(skip_locked=True, of=("self",))
    return query


# --- what ---------------------------------------------------------------------------------------


def _uploads(parsed: ParsedMail) -> tuple[list[Upload], list[str]]:
    """The attachments to store, and a note for each one left out."""
    uploads: list[Upload] = []
    notes: list[str] = []
    limit = settings.ATTACHMENT_MAX_BYTES
    for item in parsed.attachments:
        if not item.data:
            continue
        if len(item.data) > limit:
            notes.append(f"{item.filename} (larger than {limit / 1048576:g} MiB)")
        elif len(uploads) >= settings.MAIL_MAX_ATTACHMENTS:
            notes.append(f"{item.filename} (more than {settings.MAIL_MAX_ATTACHMENTS} files)")
        else:
            uploads.append(
                Upload(file=io.BytesIO(item.data), filename=item.filename, internal=False)
            )
    return uploads, notes


def _text(parsed: ParsedMail, notes: list[str], empty: str) -> str:
    text = parsed.text.strip() or empty
    if notes:
        text += "\n\nNot attached: " + "; ".join(notes) + "."
    if len(text) > TEXT_MAX:
        text = text[: TEXT_MAX - 40].rstrip() + "\n\n[cut: the e-mail was longer]"
    return text


def _comment(mail: InboundMail, parsed: ParsedMail, case: Case, sender: User | None) -> Result:
    author = sender or enrol(parsed, case.organisation)
    if author is None or not may_see(author, case):
        return _ignored(
            Outcome.NOT_ALLOWED, f"{parsed.sender or 'The sender'} may not see {case.key}"
        )
    uploads, notes = _uploads(parsed)
    if not parsed.text.strip() and not uploads:
        return _ignored(Outcome.REFUSED, "The reply has no new text and no attachment")
    count = len(uploads)
    body = _text(parsed, notes, f"(sent {plural(count, 'attachment')} by e-mail)")
    comment = comment_add_with_files(actor=author, case=case, body=body, uploads=uploads)
    return Result(MailState.DONE, Outcome.COMMENTED, case=case, comment=comment)


def _title(parsed: ParsedMail) -> str:
    title = clean_subject(parsed.subject)
    if len(title) < 3:
        title = f"E-mail from {parsed.sender}"
    return title[:TITLE_MAX]


def _new_case(
    mail: InboundMail, parsed: ParsedMail, sender: User | None, follow_up: Case | None = None
) -> Result:
    """A new case; ``follow_up`` is the closed case the message answered (its service and
    environment are taken, and the new case names it when the reporter may see it)."""
    mailbox = mail.mailbox
    origin = follow_up if follow_up is not None else mailbox
    if origin is None:
        return _ignored(Outcome.REFUSED, "Its mailbox was removed: no service for a new case")
    only = mailbox.organisation if mailbox else None
    reporter = sender or enrol(parsed, only or (follow_up.organisation if follow_up else None))
    if reporter is None:
        return _unknown_sender(mail, parsed)
    if only is not None and reporter.is_external and reporter.organisation_id != only.pk:
        return _ignored(
            Outcome.NOT_ALLOWED, f"{parsed.sender} is not of this mailbox's organisation"
        )
    uploads, notes = _uploads(parsed)
    description = _text(parsed, notes, "(The e-mail had no text.)")
    if follow_up is not None and may_see(reporter, follow_up):
        description = f"Follow-up of {follow_up.key}, which is closed.\n\n{description}"
    data = CaseInput(
        title=_title(parsed),
        description=description[:TEXT_MAX],
        service=origin.service,
        environment=origin.environment,
        organisation=reporter.organisation if reporter.is_external else origin.organisation,
    )
    case = case_create_with_files(actor=reporter, data=data, uploads=uploads, channel=Source.EMAIL)
    return Result(MailState.DONE, Outcome.CASE_CREATED, case=case)


def _unknown_sender(mail: InboundMail, parsed: ParsedMail) -> Result:
    result = _ignored(Outcome.UNKNOWN_SENDER, f"No user has the address {parsed.sender}")
    since = clock.now() - timedelta(hours=settings.MAIL_UNKNOWN_REPLY_HOURS)
    told = InboundMail.objects.filter(
        sender=mail.sender, auto_replied=True, received_at__gte=since
    ).exists()
    if not told:
        outbox_enqueue(
            topic=UNKNOWN_SENDER_TOPIC,
            key=str(mail.pk),
            payload={
                "mail": mail.pk,
                "to": parsed.sender,
                "subject": parsed.subject,
                "in_reply_to": parsed.message_id,
            },
        )
        result.auto_replied = True
    return result


def _over_rate(mail: InboundMail) -> bool:
    if not mail.sender:
        return False
    since = mail.received_at - timedelta(hours=1)
    earlier = InboundMail.objects.filter(
        sender=mail.sender, received_at__gte=since, pk__lt=mail.pk
    ).exclude(outcome=Outcome.RATE_LIMITED)
    return earlier.count() >= int(settings.MAIL_SENDER_PER_HOUR)


def _process(mail: InboundMail) -> Result:
    message = full_parse(bytes(mail.raw))
    noise = noise_of(message)
    if noise is not None:
        return _ignored(*noise)
    if _over_rate(mail):
        limit = settings.MAIL_SENDER_PER_HOUR
        return _ignored(Outcome.RATE_LIMITED, f"More than {plural(limit, 'message')} an hour")
    parsed = mail_parse(message)
    sender = known_sender(parsed.sender)
    case = answered_case(mail, parsed, sender)
    try:
        if case is not None and case.state == CaseState.CLOSED:
            return _new_case(mail, parsed, sender, follow_up=case)
        if case is not None:
            return _comment(mail, parsed, case, sender)
        return _new_case(mail, parsed, sender)
    except DomainError as exc:
        fields = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
        return _ignored(Outcome.REFUSED, f"{exc.message}" + (f" ({fields})" if fields else ""))


# --- the worker ---------------------------------------------------------------------------------


def _record(mail: InboundMail, result: Result, now: datetime) -> None:
    mail.state = result.state
    mail.outcome = result.outcome
    mail.error = result.error[:2000]
    mail.case = result.case
    mail.comment = result.comment
    mail.auto_replied = result.auto_replied
    mail.processed_at = now
    mail.attempts += 1
    mail.save(
        update_fields=[
            "state",
            "outcome",
            "error",
            "case",
            "comment",
            "auto_replied",
            "processed_at",
            "attempts",
        ]
    )
    log.info(
        "mail_processed",
        mail=mail.pk,
        outcome=result.outcome,
        case=result.case.key if result.case else None,
    )


def _fail(pk: int, exc: BaseException, now: datetime) -> None:
    error = f"{type(exc).__name__}: {exc}"
    with transaction.atomic():
        mail = InboundMail.objects.filter(pk=pk).only("attempts").first()
        if mail is None:
            return
        attempts = mail.attempts + 1
        InboundMail.objects.filter(pk=pk).update(
            state=MailState.FAILED,
            attempts=attempts,
            available_at=now + _backoff(attempts),
            error=error[:2000],
        )
    log.warning("mail_failed", mail=pk, attempts=attempts, error=error[:200])


def mail_process_one(pk: int) -> bool:
    """Process one stored message if it is due; whether it was processed (or failed)."""
    now = clock.now()
    try:
        with transaction.atomic():
            mail = _locked(due_mail(now).filter(pk=pk)).select_related("mailbox").first()
            if mail is None:
                return False
            _record(mail, _process(mail), now)
    except Exception as exc:  # noqa: BLE001 - recorded, retried with backoff, then poison
        _fail(pk, exc, now)
    return True


def mail_process_due(*, limit: int = BATCH) -> int:
    """Process up to ``limit`` due messages, oldest first; returns how many were handled."""
    ids = list(due_mail(clock.now()).values_list("pk", flat=True)[:limit])
    return sum(1 for pk in ids if mail_process_one(pk))
