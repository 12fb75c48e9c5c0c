"""Every write to incidents: declaring one, its workflow (states and roles), notes, the
post-incident review and its action items, and the alerts of its group on the timeline."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q

from casebridge.accounts.models import Role, User
from casebridge.audit.services import audit_changes, audit_record
from casebridge.cases.models import Case
from casebridge.core import clock, events, keys
from casebridge.core.errors import PermissionDenied, Reason, TransitionRefused, ValidationFailed
from casebridge.core.text import plural
from casebridge.incidents import policies
from casebridge.incidents.events import IncidentDeclared
from casebridge.incidents.models import (
    PRIORITY_OF_SEVERITY,
    ActionItem,
    ActionKind,
    EntryKind,
    Incident,
    IncidentState,
    Review,
    Severity,
    TimelineEntry,
)
from casebridge.incidents.timeline import entry_add
from casebridge.incidents.workflow import INCIDENT_WORKFLOW, STAFF
from casebridge.integrations.notifications import notify
from casebridge.integrations.outbox import outbox_enqueue
from casebridge.monitoring.models import AlertGroup, AlertStatus
from casebridge.workflows.engine import apply_transition

KEY_PREFIX = "INC"
NOTE_MAX = 20_000
PERSON_FIELDS = ("lead", "owner", "scribe", "comms", "participant", "guide", "review_lead")


def _staff(actor: Any) -> None:
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
def incident_declare(*, actor: Any, data: Declaration) -> Incident:
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
        declared_by=actor,
        declared_at=now,
    )
    audit_record(
        actor=actor,
        subject=incident,
        action="declared",
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
            actor=actor, subject=case, action="incident_declared", field="incident", new=key
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
    *, actor: Any, incident: Incident, action: str, data: Mapping[str, Any] | None = None
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
def incident_note_add(*, actor: Any, incident: Incident, body: str) -> TimelineEntry:
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
    audit_record(actor=actor, subject=incident, action="noted", data={"entry": entry.pk})
    return entry


def _staff_or_qa(actor: Any) -> None:
    if actor.is_external or not actor.has_role(*STAFF, Role.QA):
        raise PermissionDenied("Only the incident staff writes on its timeline")


# --- the post-incident review -------------------------------------------------------------------


def _review_editor(actor: Any, incident: Incident, review: Review) -> None:
    editors = {review.lead_id, incident.lead_id, incident.owner_id, incident.scribe_id}
    if actor.pk not in editors and not actor.has_role(Role.ADMIN):
        raise PermissionDenied(
            "The review is written by its lead, the incident's lead, owner or scribe"
        )


def _review_of(incident: Incident) -> Review:
    review = Review.objects.select_for_update().filter(incident=incident).first()
    if review is None or incident.state != IncidentState.IN_REVIEW:
        raise ValidationFailed(
            "The review is not open",
            fields={
                "review": f"{incident.key} is {incident.get_state_display().lower()}: the "
                "review is written while the incident is in review."
            },
        )
    return review


TEXT_FIELDS = ("summary", "root_cause", "impact", "went_well", "went_badly")
NUMBER_FIELDS = ("duration_minutes", "customers_affected")


@transaction.atomic
def review_update(*, actor: Any, incident: Incident, changes: Mapping[str, Any]) -> Review:
    """Write the review's fields; one audit event per changed field, one timeline entry."""
    review = _review_of(incident)
    _review_editor(actor, incident, review)
    errors: dict[str, str] = {}
    diff: dict[str, tuple[object, object]] = {}
    for name, value in changes.items():
        if name in TEXT_FIELDS:
            text = str(value or "").strip()
            if len(text) > NOTE_MAX:
                errors[name] = f"Keep it under {NOTE_MAX} characters."
            elif text != getattr(review, name):
                diff[name] = (getattr(review, name), text)
        elif name in NUMBER_FIELDS:
            number = None if value in (None, "") else value
            if number is not None and (not isinstance(number, int) or not 0 <= number <= 10**9):
                errors[name] = "Give a whole number, 0 or more."
            elif number != getattr(review, name):
                diff[name] = (getattr(review, name), number)
        else:
            errors[name] = "The review has no such field."
    if errors:
        raise ValidationFailed("The review was not saved", fields=errors)
    if not diff:
        return review
    for name, (_, new) in diff.items():
        setattr(review, name, new)
    review.save()
    audit_changes(actor=actor, subject=incident, action="review_updated", changes=diff)
    names = ", ".join(name.replace("_", " ") for name in diff)
    entry_add(incident=incident, kind=EntryKind.REVIEW, actor=actor, text=f"Review: wrote {names}")
    return review


def _file(actor: Any, incident: Incident, item: ActionItem) -> None:
    """The action item becomes a work item (an improvement or a bug) of the incident's service."""
    from casebridge.workitems.services import work_item_create

    origin = f"Action item of the post-incident review of {incident.key}: {incident.title}."
    detail = item.description or item.title
    docs = (
        {
            "rationale": origin,
            "expected_benefit": detail,
            "area": "reliability",
            "description": detail,
        }
        if item.kind == ActionKind.IMPROVEMENT
        else {"description": f"{detail}\n\n{origin}"}
    )
    work_item = work_item_create(
        actor=actor,
        category=item.kind,
        title=item.title,
        docs=docs,
        service=incident.service,
        environment=incident.case.environment if incident.case else "production",
    )
    item.work_item = work_item
    notify(
        users=[item.owner],
        subject_key=work_item.key,
        message=f"You own {work_item.key} ({item.title}), an action item of {incident.key}",
        url=f"/work-items/{work_item.key}/",
    )


def _owner_errors(owner: Any) -> dict[str, str]:
    if owner is not None and (owner.is_external or not owner.has_role(*STAFF, Role.QA, Role.RTE)):
        return {"owner": f"{owner} cannot own development work."}
    return {}


@transaction.atomic
def action_item_add(
    *,
    actor: Any,
    incident: Incident,
    title: str,
    kind: str = ActionKind.IMPROVEMENT,
    description: str = "",
    owner: User | None = None,
) -> ActionItem:
    """Add an action item to the review; with an owner it becomes a work item at once."""
    review = _review_of(incident)
    _review_editor(actor, incident, review)
    errors = _owner_errors(owner)
    if not 3 <= len(title.strip()) <= 200:
        errors["title"] = "Give a title of 3 to 200 characters."
    if kind not in ActionKind.values:
        errors["kind"] = "Use improvement or bug."
    if len(description) > NOTE_MAX:
        errors["description"] = f"Keep it under {NOTE_MAX} characters."
    if errors:
        raise ValidationFailed("The action item was not added", fields=errors)
    item = ActionItem(
        incident=incident,
        title=title.strip(),
        kind=kind,
        description=description.strip(),
        owner=owner,
        created_by=actor,
        created_at=clock.now(),
    )
    if owner is not None:
        _file(actor, incident, item)
    item.save()
    audit_record(actor=actor, subject=incident, action="action_item_added", new=item.title)
    filed = (
        f" → {item.work_item.key}, owned by {owner.display_name}"
        if item.work_item and owner
        else ""
    )
    entry_add(
        incident=incident,
        kind=EntryKind.ACTION_ITEM,
        actor=actor,
        text=f"Action item: {item.title}{filed}",
    )
    return item


@transaction.atomic
def action_item_assign(*, actor: Any, item: ActionItem, owner: User) -> ActionItem:
    """Give an action item its owner; an unfiled one becomes a work item then."""
    item = (
        ActionItem.objects.select_for_update(of=("self",))
        .select_related("incident")
        .get(pk=item.pk)
    )
    incident = item.incident
    review = _review_of(incident)
    _review_editor(actor, incident, review)
    errors = _owner_errors(owner)
    if errors:
        raise ValidationFailed("The owner was not set", fields=errors)
    if item.owner_id == owner.pk:
        return item
    old, item.owner = item.owner, owner
    if item.work_item_id is None:
        _file(actor, incident, item)
    item.save()
    audit_changes(
        actor=actor,
        subject=incident,
        action="action_item_assigned",
        changes={"owner": (old, owner)},
    )
    entry_add(
        incident=incident,
        kind=EntryKind.ACTION_ITEM,
        actor=actor,
        text=f"Action item {item.title}: owner {owner.display_name}"
        + (f" ({item.work_item.key})" if item.work_item else ""),
    )
    return item


# --- alerts on the timeline ---------------------------------------------------------------------


def incident_alert_recorded(group: AlertGroup) -> int:
    """Tell the open incidents of ``group`` (its own, or of the same alert) what it did since the
    last catch-up; called in the worker's transaction. Returns how many entries were written."""
    if group.status == group.synced_status:
        return 0
    groups = [group.pk]
    if group.integration_id is not None:
        same = AlertGroup.objects.filter(
            integration_id=group.integration_id, fingerprint=group.fingerprint
        )
        groups = list(same.order_by("-id").values_list("id", flat=True)[:20])
    links = Q(alert_group_id__in=groups)
    if group.case_id is not None:
        links |= Q(case_id=group.case_id)
    incidents = Incident.objects.filter(links).exclude(state=IncidentState.CLOSED)
    text = {
        AlertStatus.FIRING: f"Alert {group.key} fired: {group.title}",
        AlertStatus.ACKNOWLEDGED: f"Alert {group.key} acknowledged at the source",
        AlertStatus.RESOLVED: f"Alert {group.key} resolved at the source: {group.title}",
    }[AlertStatus(group.status)]
    written = 0
    for incident in incidents.distinct():
        entry_add(incident=incident, kind=EntryKind.ALERT, text=text)
        written += 1
    return written


def refused(action: str, field: str, message: str) -> TransitionRefused:
    return TransitionRefused(action, [Reason("invalid", message, field)])
