"""Audit events told as sentences a person reads on the case page ("Dana took the case")."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from casebridge.audit.actions import AuditAction
from casebridge.audit.models import AuditEvent
from casebridge.cases.models import CaseState, Resolution, Source

#: Field changes too small to tell (the state event already says it).
QUIET_FIELDS = frozenset({"reopen_count"})


@dataclass(frozen=True)
class Entry:
    at: datetime
    actor: str
    text: str
    kind: str  # created | state | owner | comment | file | resolution | work_item | change
    reason: str = ""
    link_key: str = ""
    link_kind: str = ""  # work_item | known_resolution | case
    after: str = ""  # text after the link
    detail: str = ""
    internal: bool = False


def _label(choices: type[CaseState] | type[Resolution] | type[Source], value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value.replace("_", " ")


def _words(value: str) -> str:
    return value.replace("_", " ").capitalize() if value else "—"


def _short(text: str, limit: int = 140) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


Teller = Callable[[AuditEvent, Entry], Entry | None]


def _owner(event: AuditEvent, base: Entry) -> Entry:
    username = event.actor.username if event.actor is not None else ""
    if event.new and event.new == username:
        return replace(base, text="took the case", kind="owner")
    if not event.new:
        return replace(base, text="released the case", kind="owner")
    return replace(base, text=f"assigned the case to {event.new}", kind="owner")


def _resolution(event: AuditEvent, base: Entry) -> Entry:
    text = f"resolution: {_label(Resolution, event.new)}" if event.new else "cleared the resolution"
    return replace(base, text=text, kind="resolution")


def _linked(text: str, link_kind: str, kind: str = "resolution") -> Teller:
    def tell(event: AuditEvent, base: Entry) -> Entry | None:
        if not event.new:
            return None
        return replace(base, text=text, kind=kind, link_key=event.new, link_kind=link_kind)

    return tell


def _noted(text: str) -> Teller:
    def tell(event: AuditEvent, base: Entry) -> Entry | None:
        if not event.new:
            return None
        return replace(base, text=text, kind="resolution", detail=_short(event.new))

    return tell


def _work_item(event: AuditEvent, base: Entry) -> Entry | None:
    if not event.new:
        return None
    verb = "escalated it to development as" if not event.old else "linked it to"
    return replace(base, text=verb, kind="work_item", link_key=event.new, link_kind="work_item")


def _state(event: AuditEvent, base: Entry) -> Entry:
    old, new = _label(CaseState, event.old), _label(CaseState, event.new)
    return replace(base, text=f"state: {old} → {new}", kind="state", reason=event.reason)


#: A changed field of a case, told by what it means.
FIELDS: dict[str, Teller] = {
    "state": _state,
    "owner": _owner,
    "resolution": _resolution,
    "known_resolution": _linked("applied known resolution", "known_resolution"),
    "duplicate_of": _linked("marked it a duplicate of", "case"),
    "action_taken": _noted("recorded the action taken"),
    "resolution_note": _noted("added a resolution note"),
    "work_item": _work_item,
}


def _created(event: AuditEvent, base: Entry) -> Entry:
    source = _label(Source, str((event.data or {}).get("source", "")))
    return replace(base, text="opened the case", kind="created", detail=f"via {source}")


def _commented(event: AuditEvent, base: Entry) -> Entry | None:
    if (event.data or {}).get("asked"):
        return None  # the question of "request_info": told by that step
    internal = bool((event.data or {}).get("internal"))
    text = "added an internal note" if internal else "commented"
    return replace(base, text=text, kind="comment", internal=internal)


def _attached(event: AuditEvent, base: Entry) -> Entry:
    return replace(base, text=f"attached {event.new}", kind="file", internal=not event.public)


def _progress(event: AuditEvent, base: Entry) -> Entry:
    return replace(
        base,
        text="moved",
        kind="work_item",
        reason=event.reason,
        link_key=str((event.data or {}).get("work_item", "")),
        link_kind="work_item",
        after=f"from {_words(event.old)} to {_words(event.new)}",
    )


def _relinked(event: AuditEvent, base: Entry) -> Entry:
    return replace(
        base,
        text=f"moved the case from {event.old} to",
        kind="work_item",
        reason=event.reason,
        link_key=event.new,
        link_kind="work_item",
    )


def _related(event: AuditEvent, base: Entry) -> Entry:
    if event.action == AuditAction.RELATED:
        return replace(base, text="marked it related to", link_key=event.new, link_kind="case")
    return replace(base, text="removed the related link to", link_key=event.old, link_kind="case")


def _incident_resolved(event: AuditEvent, base: Entry) -> Entry:
    """The incident declared from the case was resolved while development holds the case."""
    item = str((event.data or {}).get("work_item") or "")
    left = f"{item} is still open" if item else "development still holds it"
    return replace(
        base,
        text=f"{event.new} was resolved; the case stays open: {left}",
        kind="state",
        reason=event.reason,
    )


#: Case events told by their action rather than a field.
ACTIONS: dict[str, Teller] = {
    AuditAction.RELATED: _related,
    AuditAction.UNRELATED: _related,
    AuditAction.CREATED: _created,
    AuditAction.COMMENTED: _commented,
    AuditAction.ATTACHED: _attached,
    AuditAction.WORK_ITEM_PROGRESS: _progress,
    AuditAction.RELINKED: _relinked,
    AuditAction.INCIDENT_RESOLVED: _incident_resolved,
}


def _of_work_item(event: AuditEvent, base: Entry) -> Entry | None:
    """The followed work item's own events; its status is told on the case as progress."""
    if event.action == AuditAction.CREATED:
        return replace(
            base,
            text="created work item",
            kind="work_item",
            link_key=event.subject_key,
            link_kind="work_item",
        )
    if event.field == "status":
        return None
    what = (event.field or event.action).replace("_", " ")
    change = f" {event.old or '—'} → {event.new or '—'}" if event.field else ""
    return replace(
        base, text=f"on {event.subject_key}: {what}{change}", kind="work_item", reason=event.reason
    )


def _changed(event: AuditEvent, base: Entry) -> Entry:
    label = event.field.replace("_", " ")
    text = f"changed {label}: {event.old or '—'} → {event.new or '—'}"
    return replace(base, text=text, kind="change", reason=event.reason)


def describe(event: AuditEvent) -> Entry | None:
    """One sentence for one event, or None for bookkeeping nobody needs to read."""
    if event.field in QUIET_FIELDS:
        return None
    actor = event.actor.display_name if event.actor is not None else "Casebridge"
    base = Entry(at=event.at, actor=actor, text="", kind="change")
    if event.subject_type == "work_item":
        return _of_work_item(event, base)
    teller = ACTIONS.get(event.action) or FIELDS.get(event.field) or _changed
    return teller(event, base)


def entries(events: Iterable[AuditEvent]) -> list[Entry]:
    return [entry for entry in map(describe, events) if entry is not None]
