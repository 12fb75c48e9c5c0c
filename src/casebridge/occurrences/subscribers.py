"""How the occurrence index and the recurring detection react to events (registered in
``OccurrencesConfig.ready``).

All of them run in the change's transaction: a case, work item or known fix is findable the
moment its change commits (the duplicate panel, search and the benchmarks rely on it), and a
log attachment's row and task are queued with the attachment. Work that may lag (parsing a file,
detection after pasted lines) is a task enqueued when the change commits.
"""

from __future__ import annotations

from casebridge.accounts.selectors import actor_get
from casebridge.cases.events import (
    AttachmentAdded,
    CaseCreated,
    CaseEscalated,
    CaseUpdated,
)
from casebridge.cases.models import Attachment, Case
from casebridge.core import events
from casebridge.core.tasks import enqueue_with_change
from casebridge.knowledge.events import KnownResolutionChanged
from casebridge.knowledge.models import KnownResolution
from casebridge.occurrences.events import LogSignaturesRecorded, LogSourceQueued
from casebridge.occurrences.recurring import recurring_detect_for_case
from casebridge.occurrences.services import (
    known_fix_signatures_set,
    log_attachment_queue,
    occurrence_index_case,
    occurrence_index_known_resolution,
    occurrence_index_work_item,
    signatures_record_text,
)
from casebridge.occurrences.tasks import detect_recurring_for_case, parse_log_source
from casebridge.workitems.events import WorkItemCreated
from casebridge.workitems.models import WorkItem


def _case(case_id: int) -> Case:
    return Case.objects.select_related("service", "component").get(pk=case_id)


def index_new_case(event: CaseCreated) -> None:
    """Index a new case and record the log lines of its description (the case as intake wrote
    it, with its service and component, when intake passed it along: no read back)."""
    case = events.written_object(Case, event.case_id) or _case(event.case_id)
    occurrence_index_case(case, new=True)
    signatures_record_text(
        case=case, kind="description", text=case.description, seen_at=case.created_at, new=True
    )


def index_updated_case(event: CaseUpdated) -> None:
    case = _case(event.case_id)
    occurrence_index_case(case)
    if "description" in event.fields:
        signatures_record_text(case=case, kind="description", text=case.description)


def record_escalation_log(event: CaseEscalated) -> None:
    """The log excerpt typed with an escalation that filed a new work item."""
    if not event.new_work_item:
        return
    case = _case(event.case_id)
    signatures_record_text(
        case=case,
        kind="escalation",
        ref=f"escalation:{event.work_item_key}",
        text=event.log_excerpt,
    )


def queue_log_attachment(event: AttachmentAdded) -> None:
    if event.is_log:
        log_attachment_queue(attachment=Attachment.objects.get(pk=event.attachment_id))


def index_new_work_item(event: WorkItemCreated) -> None:
    occurrence_index_work_item(WorkItem.objects.get(pk=event.work_item_id))


def parse_when_queued(event: LogSourceQueued) -> None:
    """The parse task, enqueued with the change (``core.tasks``)."""
    enqueue_with_change(parse_log_source, event.source_id)


def detect_recurring(event: LogSignaturesRecorded) -> None:
    """A parsed log file: detection now (the worker parsed it, nobody waits); pasted lines:
    the detection task, enqueued with the change."""
    if event.parsed:
        case = Case.objects.filter(pk=event.case_id).first()
        if case is not None:
            recurring_detect_for_case(case=case)
        return
    enqueue_with_change(detect_recurring_for_case, event.case_id)


def known_fix_signatures(event: KnownResolutionChanged) -> None:
    """Set the signatures a known fix carries as its change asked, and re-index it when it is
    new or anything changed (an unknown signature refuses the whole change)."""
    resolution = KnownResolution.objects.get(pk=event.resolution_id)
    changed = known_fix_signatures_set(
        actor=actor_get(event.actor_id),
        resolution=resolution,
        ids=event.signature_ids,
        log_lines=event.log_lines,
    )
    if event.change == "created" or event.fields or changed:
        occurrence_index_known_resolution(resolution)
