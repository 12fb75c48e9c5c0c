"""Log signatures: the logs of a case (attachments parsed in the background, lines pasted into
a description or an escalation) recorded as signatures and per-case sightings, and the
signatures a known fix carries."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import structlog
from django.db import transaction
from django.db.models import Count, F, Max, Min, Q, Sum, Value
from django.db.models.functions import Greatest, Least

from casebridge.audit.actions import AuditAction
from casebridge.audit.services import audit_record
from casebridge.cases.models import Attachment, Case
from casebridge.core import clock, events
from casebridge.core.actors import Actor
from casebridge.core.errors import ValidationFailed
from casebridge.knowledge.models import KnownResolution
from casebridge.occurrences.events import LogSignaturesRecorded, LogSourceQueued
from casebridge.occurrences.logparse.digest import (
    LEVEL_RANK,
    Found,
    LogDigest,
    digest_text,
    iter_lines,
)
from casebridge.occurrences.models import (
    LogSource,
    ParseState,
    Signature,
    SignatureSighting,
    SourceKind,
    SourceSignature,
)
from casebridge.occurrences.services.index import occurrence_index_case
from casebridge.occurrences.signatures import signature_ids_for_case

log = structlog.get_logger("casebridge.occurrences")

# --- log signatures -----------------------------------------------------------------------------

PROGRESS_EVERY_SECONDS = 0.5
STALLED_AFTER = timedelta(minutes=15)


def log_attachment_queue(*, attachment: Attachment) -> LogSource | None:
    """Queue a log attachment for parsing: a ``LogSource`` row now, the task after commit.

    Called in the transaction that stores the attachment; files that are not logs are ignored.
    """
    if not attachment.is_log:
        return None
    source, _ = LogSource.objects.update_or_create(
        case_id=attachment.case_id,
        ref=f"attachment:{attachment.pk}",
        defaults={
            "kind": SourceKind.ATTACHMENT,
            "attachment": attachment,
            "label": attachment.filename,
            "state": ParseState.QUEUED,
            "bytes_total": attachment.size,
            "bytes_done": 0,
            "error": "",
            "seen_at": attachment.created_at,
        },
    )
    events.publish(LogSourceQueued(source_id=source.pk, case_id=source.case_id))
    return source


def log_source_parse(*, source_id: int, force: bool = False) -> LogSource | None:
    """Parse a queued log attachment into signatures (the background task's body).

    Streams the file from storage in chunks, saving the bytes read every half second, then
    records its signatures in one transaction. Safe to run twice: a parsed source is left as it
    is (unless ``force``), and recording replaces the source's previous counts.
    """
    source = LogSource.objects.select_related("attachment", "case").filter(pk=source_id).first()
    if source is None or source.attachment is None:
        return None
    if source.state == ParseState.DONE and not force:
        return source
    LogSource.objects.filter(pk=source.pk).update(
        state=ParseState.RUNNING,
        started_at=clock.now(),
        bytes_done=0,
        attempts=F("attempts") + 1,
        error="",
    )
    try:
        digest = LogDigest()
        with source.attachment.file.open("rb") as stream:
            digest.feed(iter_lines(stream, _progress(source.pk)))
        found = digest.finish()
        _record(source.pk, found, lines=digest.lines, templates=digest.templates)
    except Exception as exc:  # noqa: BLE001 - a broken file must not stay "running" forever
        log.warning("log_parse_failed", source=source.pk, error=str(exc))
        LogSource.objects.filter(pk=source.pk).update(
            state=ParseState.FAILED, error=str(exc)[:500], finished_at=clock.now()
        )
    else:
        with transaction.atomic():
            events.publish(
                LogSignaturesRecorded(source_id=source.pk, case_id=source.case_id, parsed=True)
            )
    return LogSource.objects.get(pk=source.pk)


def _progress(source_id: int) -> Callable[[int], None]:
    done = 0
    last = time.monotonic()

    def advance(count: int) -> None:
        nonlocal done, last
        done += count
        if time.monotonic() - last >= PROGRESS_EVERY_SECONDS:
            last = time.monotonic()
            LogSource.objects.filter(pk=source_id).update(bytes_done=done)

    return advance


def log_sources_requeue_stalled() -> int:
    """Enqueue again the parses whose task was lost (queued or running for too long)."""
    cutoff = clock.now() - STALLED_AFTER
    stalled = LogSource.objects.filter(
        Q(state=ParseState.QUEUED, seen_at__lt=cutoff)
        | Q(state=ParseState.RUNNING, started_at__lt=cutoff),
        attachment__isnull=False,
        attempts__lt=3,
    ).values_list("pk", "case_id")[:100]
    rows = list(stalled)
    for source_id, case_id in rows:
        with transaction.atomic():
            events.publish(LogSourceQueued(source_id=source_id, case_id=case_id))
    return len(rows)


def signatures_record_text(
    *,
    case: Case,
    kind: str,
    text: str,
    ref: str = "",
    seen_at: datetime | None = None,
    new: bool = False,
) -> LogSource | None:
    """Record the signatures of log lines pasted into a case's description or an escalation.

    Only lines that look like log lines count. Editing the text replaces what it contributed,
    and text without log lines removes an earlier contribution. ``new``: the case was created
    in this transaction and has no earlier contribution to look up.
    """
    ref = ref or kind
    found = digest_text(text or "")
    source = None if new else LogSource.objects.filter(case_id=case.pk, ref=ref).first()
    if not found and source is None:
        return None
    if source is None:
        labels = dict(SourceKind.choices)
        source = LogSource.objects.create(
            case_id=case.pk,
            ref=ref,
            kind=kind,
            label=str(labels.get(kind, kind)),
            state=ParseState.RUNNING,
            bytes_total=len(text.encode("utf-8")),
            seen_at=seen_at or clock.now(),
        )
    lines = sum(f.lines for f in found)
    _record(source.pk, found, lines=lines, templates=len(found))
    if found:
        with transaction.atomic(savepoint=False):
            events.publish(
                LogSignaturesRecorded(source_id=source.pk, case_id=case.pk, parsed=False)
            )
    return source


@transaction.atomic
def _record(source_id: int, found: list[Found], *, lines: int, templates: int) -> None:
    """Replace what one log contributed: its signatures' line counts and the case's sightings.

    Counts move by the difference to the previous contribution of this log, so recording the
    same log twice changes nothing.
    """
    source = (
        LogSource.objects.select_for_update(of=("self",)).select_related("case").get(pk=source_id)
    )
    case = source.case
    before = signature_ids_for_case(case)
    old = dict(SourceSignature.objects.filter(source=source).values_list("signature_id", "lines"))
    new = {f.id: f for f in found}
    _upsert_signatures(new, old, source.seen_at)
    SourceSignature.objects.filter(source=source).delete()
    SourceSignature.objects.bulk_create(
        SourceSignature(source=source, signature_id=f.id, lines=f.lines, notable=f.notable)
        for f in found
    )
    _refresh_sightings(case, sorted(old.keys() | new.keys()))
    source.state = ParseState.DONE
    source.bytes_done = source.bytes_total
    source.lines = lines
    source.templates = templates
    source.finished_at = clock.now()
    source.save()
    if signature_ids_for_case(case) != before:
        occurrence_index_case(case)


def _upsert_signatures(new: dict[str, Found], old: dict[str, int], seen_at: datetime) -> None:
    Signature.objects.bulk_create(
        [
            Signature(
                id=f.id, template=f.template, first_seen=seen_at, last_seen=seen_at, level=f.level
            )
            for _, f in sorted(new.items())
        ],
        ignore_conflicts=True,
    )
    levels = dict(Signature.objects.filter(pk__in=list(new)).values_list("pk", "level"))
    for sig_id in sorted(old.keys() | new.keys()):
        found = new.get(sig_id)
        delta = (found.lines if found else 0) - old.get(sig_id, 0)
        changes: dict[str, object] = {}
        if delta:
            changes["lines"] = F("lines") + delta
        if found is not None:
            changes["first_seen"] = Least("first_seen", Value(seen_at))
            changes["last_seen"] = Greatest("last_seen", Value(seen_at))
            if LEVEL_RANK.get(found.level, 0) > LEVEL_RANK.get(levels.get(sig_id, ""), 0):
                changes["level"] = found.level
        if changes and (delta or sig_id not in old or "level" in changes):
            Signature.objects.filter(pk=sig_id).update(**changes)


def _refresh_sightings(case: Case, signature_ids: list[str]) -> None:
    """Recompute the case's sightings of these signatures from its logs' contributions."""
    rows = (
        SourceSignature.objects.filter(source__case_id=case.pk, signature_id__in=signature_ids)
        .values("signature_id")
        .annotate(
            total=Sum("lines"),
            first=Min("source__seen_at"),
            last=Max("source__seen_at"),
            notables=Count("id", filter=Q(notable=True)),
        )
    )
    SignatureSighting.objects.filter(case_id=case.pk, signature_id__in=signature_ids).delete()
    SignatureSighting.objects.bulk_create(
        SignatureSighting(
            signature_id=row["signature_id"],
            case_id=case.pk,
            service_id=case.service_id,
            lines=row["total"] or 0,
            notable=row["notables"] > 0,
            first_seen=row["first"],
            last_seen=row["last"],
        )
        for row in rows
    )


def signatures_from_lines(text: str) -> list[Signature]:
    """Signatures for log lines a person typed (a known fix's symptoms): every non-empty line
    is parsed with the same parser as attachments, so it matches what logs produce."""
    found = digest_text(text, only_log_lines=False)
    now = clock.now()
    Signature.objects.bulk_create(
        [Signature(id=f.id, template=f.template, first_seen=now, last_seen=now) for f in found],
        ignore_conflicts=True,
    )
    by_id = Signature.objects.in_bulk([f.id for f in found])
    return [by_id[f.id] for f in found if f.id in by_id]


def known_fix_signatures_set(
    *, actor: Actor, resolution: KnownResolution, ids: Sequence[str] | None, log_lines: str = ""
) -> bool:
    """Set the signatures a known fix carries: ``ids`` (None keeps the current ones) plus one
    signature per typed log line. Audited as one change; returns whether anything changed."""
    current = set(resolution.signatures.values_list("id", flat=True))
    wanted = set(current) if ids is None else {str(i).strip() for i in ids if str(i).strip()}
    unknown = wanted - set(Signature.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    if unknown:
        raise ValidationFailed(
            "Unknown signatures",
            fields={"signatures": f"No signature {', '.join(sorted(unknown))}."},
        )
    wanted |= {s.pk for s in signatures_from_lines(log_lines)}
    if wanted == current:
        return False
    resolution.signatures.set(sorted(wanted))  # type: ignore[arg-type]  # str keys; stubs say int
    audit_record(
        actor=actor,
        subject=resolution,
        action=AuditAction.UPDATED,
        field="signatures",
        old=", ".join(sorted(current)),
        new=", ".join(sorted(wanted)),
    )
    return True
