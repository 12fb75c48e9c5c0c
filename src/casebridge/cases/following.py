"""Cases follow the work item they are linked to: progress on their timeline, and the outcome."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from casebridge.audit.services import audit_record
from casebridge.cases.milestones import RESTORED, progress_text
from casebridge.cases.models import OPEN_STATES, Case, CaseState, Resolution, Watcher
from casebridge.core.actors import SYSTEM, Actor
from casebridge.integrations.notifications import notify

if TYPE_CHECKING:
    from casebridge.incidents.models import Incident
    from casebridge.workitems.models import WorkItem


def cases_relink(*, actor: Actor, source: WorkItem, target: WorkItem) -> list[str]:
    """Move every case of ``source`` to ``target`` (a duplicate, or a re-categorised item)."""
    moved = []
    for case in Case.objects.select_for_update().filter(work_item=source).order_by("id"):
        case.work_item = target
        case.save(update_fields=["work_item", "updated_at"])
        audit_record(
            actor=actor,
            subject=case,
            action="relinked",
            field="work_item",
            old=source.key,
            new=target.key,
            public=True,
        )
        moved.append(case.key)
    return moved


def _audience(case: Case) -> list[Any]:
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


def cases_follow(
    *,
    actor: Actor,
    item: WorkItem,
    action: str,
    old: str,
    new: str,
    label: str,
    outcome: str,
    reason: str,
) -> None:
    """Record the item's new status on each linked case, notify, and carry the outcome over.

    ``outcome`` is "fixed", "returned" (back to L2), "resumed" (escalated again) or "".
    """
    from casebridge.cases.services import case_transition

    version = item.release_version
    for case in Case.objects.filter(work_item=item).select_related("reporter", "owner"):
        # Public: the customer reads it as a milestone (cases.milestones), in their words and
        # without the item's people. The reason is development's internal word (an RTE's
        # question, a reviewer's remark): staff read it on the work item's own event.
        audit_record(
            actor=actor,
            subject=case,
            action="work_item_progress",
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
    from casebridge.cases.services import case_transition

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
    from casebridge.audit.models import AuditEvent

    return AuditEvent.objects.filter(
        subject_type=case.audit_type,
        subject_key=case.key,
        action__in=("resolve_with_incident", "incident_resolved"),
        at__gte=incident.declared_at,
    ).exists()


def _tell_what_is_left(case: Case, incident: Incident, note: str) -> None:
    item = case.work_item
    audit_record(
        actor=SYSTEM,
        subject=case,
        action="incident_resolved",
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
