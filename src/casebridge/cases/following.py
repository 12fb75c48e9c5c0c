"""Cases follow the work item they are linked to (progress on their timeline, and the outcome)
and the incident declared from them. The work-item reactions are in-transaction subscribers
(``CasesConfig.ready``); the incident workflow calls ``case_follow_incident``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import connection

from casebridge.accounts.models import User
from casebridge.accounts.selectors import actor_get
from casebridge.audit.actions import AuditAction
from casebridge.audit.models import AuditEvent
from casebridge.audit.services import audit_record
from casebridge.cases.events import CaseRelinked
from casebridge.cases.milestones import RESTORED, progress_text
from casebridge.cases.models import OPEN_STATES, Case, CaseState, Resolution, Watcher
from casebridge.cases.services import case_transition
from casebridge.cases.workflow import link_work_item
from casebridge.core import events
from casebridge.core.actors import SYSTEM
from casebridge.integrations.notifications import notify
from casebridge.workflows.engine import StateGroup
from casebridge.workitems.definitions import workflow_for
from casebridge.workitems.events import WorkItemSuperseded, WorkItemTransitioned
from casebridge.workitems.models import WorkItem

if TYPE_CHECKING:  # incidents sit above cases: its subscriber hands its incident in
    from casebridge.incidents.models import Incident


def _outcome(action: str, group: StateGroup) -> str:
    if group == StateGroup.DONE:
        return "fixed"
    if action in ("needs_info", "reject"):
        return "returned"
    if action == "provide_info":
        return "resumed"
    return ""


def cases_relink(event: WorkItemSuperseded) -> None:
    """Move every case of a superseded work item to the one that supersedes it (a duplicate,
    or a re-categorised item). An in-transaction subscriber."""
    source = WorkItem.objects.get(pk=event.work_item_id)
    target = WorkItem.objects.get(pk=event.by_id)
    actor = actor_get(event.actor_id)
    for case in Case.objects.select_for_update().filter(work_item=source).order_by("id"):
        link_work_item(case, target)
        case.save(update_fields=["work_item", "updated_at"])
        audit_record(
            actor=actor,
            subject=case,
            action=AuditAction.RELINKED,
            field="work_item",
            old=source.key,
            new=target.key,
            public=True,
        )
        events.publish(
            CaseRelinked(
                key=case.key,
                case_id=case.pk,
                organisation_id=case.organisation_id,
                from_work_item_key=source.key,
                to_work_item_key=target.key,
                actor_id=events.actor_id(actor),
            )
        )


def _audience(case: Case) -> list[User | None]:
    watchers = [w.user for w in Watcher.objects.filter(case=case).select_related("user")]
    return [case.reporter, case.owner, *watchers]


def _notify(case: Case, *, staff: str, customers: str) -> None:
    """Tell the case's people: staff in development's words, customers (and partners) the
    milestone in theirs, and nothing when the step is no milestone for them."""
    for external, message in ((False, staff), (True, customers)):
        if not message:
            continue
        notify(
            users=[u for u in _audience(case) if u is not None and u.is_external is external],
            subject_key=case.key,
            message=message if not external else f"{case.key}: {message}",
            url=f"/portal/cases/{case.key}/" if external else f"/cases/{case.key}/",
        )


def _has_cases(work_item_id: int) -> bool:
    """Whether any case is linked to the work item: a statement built once and a lookup by the
    indexed link, for the many transitions of items no case is linked to."""
    table = connection.ops.quote_name(Case._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {table} WHERE work_item_id = %s LIMIT 1", [work_item_id])  # noqa: S608
        return cursor.fetchone() is not None


def cases_follow(event: WorkItemTransitioned) -> None:
    """Record a work item's new status on each linked case, notify, and carry the outcome over
    (``fixed``, ``returned`` to L2, ``resumed``). An in-transaction subscriber: the cases agree
    with their item when the transition commits.

    An action that keeps the status (an assignment, a recorded release) is internal detail, not
    progress for the reporter.
    """
    if event.from_state == event.to_state or not _has_cases(event.work_item_id):
        return
    cases = list(
        Case.objects.filter(work_item_id=event.work_item_id).select_related("reporter", "owner")
    )
    if not cases:
        return
    item = WorkItem.objects.get(pk=event.work_item_id)
    actor = actor_get(event.actor_id)
    action, old, new, reason = event.action, event.from_state, event.to_state, event.reason
    state = workflow_for(item.category).state(new)
    label, outcome = state.label, _outcome(action, state.group)
    version = item.release_version
    for case in cases:
        # Public: the customer reads it as a milestone (cases.milestones), in their words and
        # without the item's people. The reason is development's internal word (an RTE's
        # question, a reviewer's remark): staff read it on the work item's own event.
        audit_record(
            actor=actor,
            subject=case,
            action=AuditAction.WORK_ITEM_PROGRESS,
            field="work_item_status",
            old=old,
            new=new,
            data={"work_item": item.key, "action": action, "version": version},
            public=True,
        )
        detail = f" ({reason})" if reason and outcome == "returned" else ""
        _notify(
            case,
            staff=f"{case.key}: {item.key} is now {label.lower()}{detail}",
            customers=progress_text(new, version),
        )
        if outcome == "fixed" and case.state == CaseState.ESCALATED:
            note = f"Fixed by {item.key}" + (f" in {version}" if version else "")
            case_transition(
                actor=SYSTEM,
                case=case,
                action="fix",
                data={"note": note, "version": item.release_version},
            )
        elif outcome == "returned" and case.state == CaseState.ESCALATED:
            case_transition(
                actor=SYSTEM, case=case, action="return_to_l2", data={"reason": reason or label}
            )
        elif outcome == "resumed" and case.state == CaseState.INVESTIGATING:
            case_transition(actor=SYSTEM, case=case, action="resume_escalation", data={})


def _held_by_development(case: Case) -> bool:
    """An escalation holds the case: it is escalated, or its work item is still open (L2 was
    asked for information and the item waits for the answer)."""
    item = case.work_item
    return case.state == CaseState.ESCALATED or (item is not None and item.closed_at is None)


def case_follow_incident(*, incident: Incident, action: str, note: str) -> None:
    """The case an incident was declared from follows it (the incident workflow's ``after``).

    * resolved: the case resolves with the incident's note (resolution ``incident``), unless an
      escalation holds it; then its timeline says the service is restored and what is left for
      development;
    * closed: the same, for a case still open that this incident never resolved (a case the
      reporter reopened after the incident was resolved stays with L2);
    * active again: a case the incident resolved reopens.
    """
    if incident.case_id is None:
        return
    case = Case.objects.select_related("work_item", "reporter", "owner").get(pk=incident.case_id)
    working = case.state in OPEN_STATES
    if action == "reopen":
        if case.state == CaseState.RESOLVED and case.resolution == Resolution.INCIDENT:
            reason = f"{incident.key} is active again" + (f": {note}" if note else "")
            case_transition(actor=SYSTEM, case=case, action="reopen", data={"reason": reason})
        return
    if action not in ("resolve", "close") or not (working or case.state == CaseState.ESCALATED):
        return
    if action == "close" and _resolved_by(case, incident):
        return
    if _held_by_development(case):
        _tell_what_is_left(case, incident, note)
        return
    case_transition(
        actor=SYSTEM,
        case=case,
        action="resolve_with_incident",
        data={"note": note, "reason": f"{incident.key} resolved: {note}"},
    )


def _resolved_by(case: Case, incident: Incident) -> bool:
    return AuditEvent.objects.filter(
        subject_type=case.audit_type,
        subject_key=case.key,
        action__in=("resolve_with_incident", AuditAction.INCIDENT_RESOLVED),
        at__gte=incident.declared_at,
    ).exists()


def _tell_what_is_left(case: Case, incident: Incident, note: str) -> None:
    item = case.work_item
    audit_record(
        actor=SYSTEM,
        subject=case,
        action=AuditAction.INCIDENT_RESOLVED,
        field="incident",
        new=incident.key,
        reason=note,
        data={"incident": incident.key, "work_item": item.key if item else ""},
        public=True,
    )
    left = f"{item.key} is still open" if item else "development still holds it"
    _notify(
        case,
        staff=f"{case.key}: {incident.key} is resolved; the case stays open: {left}",
        customers=RESTORED,
    )
