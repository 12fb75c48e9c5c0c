"""The incident's timeline: entries written in the transaction of the change they tell."""

from __future__ import annotations

from casebridge.accounts.models import User, user_or_none
from casebridge.core import clock
from casebridge.core.actors import Actor
from casebridge.incidents.models import EntryKind, Incident, IncidentState, Severity, TimelineEntry
from casebridge.workflows.engine import Context


def _person(user: object) -> str:
    if user is None:
        return "nobody"
    return (
        f"{user.display_name} ({user.level})"
        if isinstance(user, User) and user.level
        else str(user)
    )


def entry_add(
    *, incident: Incident, kind: str, text: str, actor: Actor | None = None
) -> TimelineEntry:
    return TimelineEntry.objects.create(
        incident=incident,
        at=clock.now(),
        kind=kind,
        actor=user_or_none(actor),
        text=text,
    )


def _state_label(state: str) -> str:
    return str(IncidentState(state).label)


def transition_entry(ctx: Context[Incident], action: str, old: str, new: str) -> None:
    """One entry per applied transition of the incident workflow (its ``after`` hook)."""
    incident: Incident = ctx.subject
    data = ctx.data
    kind, text = EntryKind.ROLE, ""
    if old != new:
        kind = EntryKind.STATE
        text = f"{_state_label(old)} → {_state_label(new)}"
        detail = str(data.get("note") or data.get("reason") or "").strip()
        if action == "start_review":
            detail = f"review led by {_person(data.get('review_lead'))}"
        text = f"{text}: {detail}" if detail else text
    elif action == "assign_lead":
        text = f"Lead: {_person(incident.lead)}"
    elif action == "assign_owner":
        text = f"Accountable owner: {_person(incident.owner)}"
    elif action == "assign_scribe":
        text = f"Scribe: {_person(incident.scribe)}"
    elif action == "assign_comms":
        text = f"Communications contact: {_person(incident.comms)}"
    elif action == "add_participant":
        guide = data.get("guide")
        text = f"{_person(data['participant'])} joined" + (
            f", guided by {_person(guide)}" if guide else ""
        )
    elif action == "remove_participant":
        text = f"{_person(data['participant'])} left"
    elif action == "change_severity":
        kind = EntryKind.SEVERITY
        text = f"Severity: {Severity(incident.severity).label}"
    entry_add(incident=incident, kind=kind, text=text or action, actor=ctx.actor)
