"""Declaring an incident, its workflow (states and roles), notes, and the alerts of its group on
the timeline."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from casebridge.accounts.models import Role, User, as_user
from casebridge.audit.actions import AuditAction
from casebridge.audit.services import audit_record
from casebridge.cases.models import Case
from casebridge.core import clock, events, keys
from casebridge.core.actors import Actor
from casebridge.core.errors import PermissionDenied, Reason, ValidationFailed
from casebridge.core.text import plural
from casebridge.incidents import policies
from casebridge.incidents.events import IncidentDeclared
from casebridge.incidents.models import (
    PRIORITY_OF_SEVERITY,
    EntryKind,
    Incident,
    IncidentState,
    Severity,
    TimelineEntry,
)
from casebridge.incidents.timeline import entry_add
from casebridge.incidents.workflow import INCIDENT_WORKFLOW, STAFF
from casebridge.integrations.models import NotificationKind
from casebridge.integrations.notifications import notify
from casebridge.integrations.outbox import outbox_enqueue
from casebridge.monitoring.events import AlertGroupChanged
from casebridge.monitoring.models import AlertGroup, AlertStatus
from casebridge.workflows.engine import apply_transition

KEY_PREFIX = "INC"
NOTE_MAX = 20_000
PERSON_FIELDS = ("lead", "owner", "scribe", "comms", "participant", "guide", "review_lead")


def _staff(actor: Actor) -> None:
    if actor.is_external or not actor.has_role(*STAFF):
        raise PermissionDenied("Only developers, L2 engineers, DevOps and admins run incidents")


def _open_incident_for(case: Case | None, group: AlertGroup | None) -> Incident | None:
    links = Q(pk__in=[])
    if case is not None:
        links |= Q(case=case)
    if group is not None:
        links |= Q(alert_group=group)
    return Incident.objects.filter(links).exclude(state=IncidentState.CLOSED).first()


@dataclass(frozen=True)
class Declaration:
    title: str
    severity: str
    lead: User | None
    owner: User | None = None
    case: Case | None = None
    group: AlertGroup | None = None
    summary: str = ""


def _declaration_errors(data: Declaration) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not 3 <= len(data.title.strip()) <= 200:
        errors["title"] = "Give a title of 3 to 200 characters."
    if data.severity not in Severity.values:
        errors["severity"] = "Use sev1, sev2 or sev3."
    if len(data.summary) > NOTE_MAX:
        errors["summary"] = f"Keep the summary under {NOTE_MAX} characters."
    if data.case is None and data.group is None:
        errors["case"] = "Declare an incident from a case or an alert group."
    reasons = [*policies.lead_reasons(data.lead)]
    if data.severity in Severity.values:
        reasons += policies.owner_reasons(data.severity, data.owner)
    for reason in reasons:
        errors.setdefault(reason.field or "lead", reason.message)
    existing = _open_incident_for(data.case, data.group)
    if existing is not None:
        errors["case"] = f"{existing.key} is already open for it."
    return errors


@transaction.atomic
def incident_declare(*, actor: Actor, data: Declaration) -> Incident:
    """Declare an incident from a case or an alert group (policy 6 on its lead and owner)."""
    _staff(actor)
    errors = _declaration_errors(data)
    if errors:
        raise ValidationFailed("The incident could not be declared", fields=errors)
    group, case = data.group, data.case
    if case is None and group is not None:
        case = group.case
    if group is None and case is not None:
        group = case.alert_groups.order_by("-id").first()
    service = case.service if case is not None else group.service  # type: ignore[union-attr]
    assert data.lead is not None  # _declaration_errors names a missing lead
    key, number = keys.next_key(KEY_PREFIX)
    now = clock.now()
    incident = Incident.objects.create(
        key=key,
        number=number,
        title=data.title.strip(),
        summary=data.summary.strip(),
        severity=data.severity,
        priority=PRIORITY_OF_SEVERITY[Severity(data.severity)],
        service=service,
        case=case,
        alert_group=group,
        lead=data.lead,
        owner=data.owner,
        declared_by=as_user(actor),
        declared_at=now,
    )
    audit_record(
        actor=actor,
        subject=incident,
        action=AuditAction.DECLARED,
        new=incident.state,
        data={"severity": incident.severity, "case": getattr(case, "key", None)},
    )
    source = " and ".join(x.key for x in (case, group) if x is not None)
    entry_add(
        incident=incident,
        kind=EntryKind.DECLARED,
        actor=actor,
        text=f"Declared {Severity(data.severity).label} from {source}; lead "
        f"{data.lead.display_name if data.lead else '—'}",
    )
    if group is not None:
        since = f"{group.starts_at:%H:%M:%S %Z}"
        entry_add(
            incident=incident,
            kind=EntryKind.ALERT,
            text=f"Alert {group.key} {group.status} since {since}: {group.title} "
            f"(seen {plural(group.count, 'time')})",
        )
    if case is not None:
        audit_record(
            actor=actor,
            subject=case,
            action=AuditAction.INCIDENT_DECLARED,
            field="incident",
            new=key,
        )
    outbox_enqueue(
        topic="incident.declared", key=key, payload={"key": key, "severity": data.severity}
    )
    events.publish(
        IncidentDeclared(
            key=key,
            incident_id=incident.pk,
            severity=incident.severity,
            case_key=case.key if case is not None else "",
            alert_group_key=group.key if group is not None else "",
            lead_id=events.actor_id(data.lead),
            owner_id=events.actor_id(data.owner),
            actor_id=events.actor_id(actor),
        )
    )
    notify(
        users=[data.lead, data.owner],
        subject_key=key,
        message=f"{key} ({Severity(data.severity).label}): {incident.title} — you are in command",
        url=f"/incidents/{key}/",
        kind=NotificationKind.INCIDENT,
    )
    return incident


def _person(value: object, field: str, reasons: list[Reason]) -> object:
    if value is None or value == "" or isinstance(value, User):
        return value or None
    user = (
        User.objects.prefetch_related("role_grants")
        .filter(username=str(value), is_active=True)
        .first()
    )
    if user is None:
        reasons.append(Reason("not_found", f"No user '{value}'", field))
    return user


def incident_transition(
    *, actor: Actor, incident: Incident, action: str, data: Mapping[str, object] | None = None
) -> Incident:
    """Apply one action of the incident workflow (a state change or a role change).

    People may be given as users or usernames; an unknown one is listed with the workflow's own
    reasons."""
    values = dict(data or {})
    reasons: list[Reason] = []
    for name in PERSON_FIELDS:
        if name in values:
            values[name] = _person(values[name], name, reasons)
    result = apply_transition(
        workflow=INCIDENT_WORKFLOW,
        subject=incident,
        actor=actor,
        action=action,
        data=values,
        reason=str(values.get("note") or values.get("reason") or ""),
        extra_reasons=reasons,
    )
    assert isinstance(result, Incident)
    return result


@transaction.atomic
def incident_note_add(*, actor: Actor, incident: Incident, body: str) -> TimelineEntry:
    _staff_or_qa(actor)
    body = body.strip()
    if not body or len(body) > NOTE_MAX:
        raise ValidationFailed(
            "The note could not be added", fields={"body": f"Write 1 to {NOTE_MAX} characters."}
        )
    if incident.state == IncidentState.CLOSED:
        raise ValidationFailed(
            "The incident is closed", fields={"body": f"{incident.key} is closed."}
        )
    entry = entry_add(incident=incident, kind=EntryKind.NOTE, text=body, actor=actor)
    audit_record(actor=actor, subject=incident, action=AuditAction.NOTED, data={"entry": entry.pk})
    return entry


def _staff_or_qa(actor: Actor) -> None:
    if actor.is_external or not actor.has_role(*STAFF, Role.QA):
        raise PermissionDenied("Only the incident staff writes on its timeline")


def incident_alert_recorded(event: AlertGroupChanged) -> int:
    """Tell the open incidents of an alert group (its own, or of the same alert) what it did
    since the last catch-up: the in-transaction subscriber of ``AlertGroupChanged``, in the
    worker's transaction. Returns how many entries were written."""
    if event.change != "synced" or event.status == event.from_status:
        return 0
    open_incidents = Incident.objects.exclude(state=IncidentState.CLOSED)
    if not open_incidents.exists():  # a storm's hundred groups at 3 a.m.: one cheap query each
        return 0
    links = Q(alert_group_id=event.group_id)
    if event.integration_id is not None:  # an incident of an earlier group of the same alert
        links = Q(
            alert_group__integration_id=event.integration_id,
            alert_group__fingerprint=event.fingerprint,
        )
    if event.case_id is not None:
        links |= Q(case_id=event.case_id)
    incidents = open_incidents.filter(links)
    text = {
        AlertStatus.FIRING: f"Alert {event.key} fired: {event.title}",
        AlertStatus.ACKNOWLEDGED: f"Alert {event.key} acknowledged at the source",
        AlertStatus.RESOLVED: f"Alert {event.key} resolved at the source: {event.title}",
    }[AlertStatus(event.status)]
    written = 0
    for incident in incidents.distinct():
        entry_add(incident=incident, kind=EntryKind.ALERT, text=text)
        written += 1
    return written
