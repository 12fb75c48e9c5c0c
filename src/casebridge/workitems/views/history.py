"""A work item's audit events told as a timeline: one entry per workflow action, with the
fields it changed ("Rita · Triage · New → Triaged · priority: critical")."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from casebridge.audit.actions import AuditAction
from casebridge.audit.models import AuditEvent
from casebridge.workflows.engine import Workflow
from casebridge.workitems.models import WorkItem

#: What a changed field is called on the timeline; fields not listed are told by their name.
FIELD_LABELS = {
    "requested_reviewer": "review asked of",
    "reviewed_by": "reviewed by",
    "release_version": "release",
    "deployed_environment": "deployed to",
    "pm_decision": "PM decision",
    "rte_decision": "RTE decision",
    "cases": "cases moved",
    "test": "test",
}
#: Bookkeeping the status change already tells (a decision's reason is the action's reason).
QUIET = frozenset({"reopen_count", "pm_decision_reason", "rte_decision_reason", "decision_reason"})
LONG = 160


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    at: datetime
    actor: str
    title: str
    old_state: str = ""
    new_state: str = ""
    reason: str = ""
    changes: list[Change] = field(default_factory=list)
    kind: str = "change"  # created | state | stay | change


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= LONG else text[: LONG - 1] + "…"


def _label(workflow: Workflow[WorkItem], status: str) -> str:
    try:
        return workflow.state(status).label
    except KeyError:
        return status.replace("_", " ")


def _change(event: AuditEvent) -> Change:
    label = FIELD_LABELS.get(event.field, event.field.replace("_", " "))
    return Change(label=label, old=_short(event.old), new=_short(event.new))


def history(workflow: Workflow[WorkItem], events: Iterable[AuditEvent]) -> list[HistoryEntry]:
    """Entries oldest first. A transition's field changes join its entry (same action, same
    actor, right after it); other events stand alone."""
    entries: list[HistoryEntry] = []
    current: HistoryEntry | None = None
    current_key: tuple[str, int | None] | None = None
    for event in events:
        actor = event.actor.display_name if event.actor is not None else "Casebridge"
        key = (event.action, event.actor_id)
        if event.field == "status":
            transition = workflow.transition(event.action)
            stays = event.old == event.new
            current = HistoryEntry(
                at=event.at,
                actor=actor,
                title=transition.label if transition else event.action.replace("_", " "),
                old_state="" if stays else _label(workflow, event.old),
                new_state="" if stays else _label(workflow, event.new),
                reason=event.reason,
                kind="stay" if stays else "state",
            )
            current_key = key
            entries.append(current)
        elif event.action == AuditAction.CREATED:
            entries.append(
                HistoryEntry(
                    at=event.at,
                    actor=actor,
                    title=f"created the {workflow.label.lower()}",
                    kind="created",
                )
            )
            current = None
        elif event.field in QUIET:
            continue
        elif current is not None and key == current_key and event.field:
            current.changes.append(_change(event))
        else:
            entries.append(
                HistoryEntry(
                    at=event.at,
                    actor=actor,
                    title=event.action.replace("_", " "),
                    reason=event.reason,
                    changes=[_change(event)] if event.field else [],
                )
            )
            current = None
    return entries
