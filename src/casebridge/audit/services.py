"""Writing audit events. Call these inside the transaction that makes the change."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from django.db import transaction

from casebridge.audit.models import AuditEvent
from casebridge.core import clock, tracing
from casebridge.core.actors import Actor
from casebridge.core.prepared import row_insert, rows_insert_returning


class Auditable(Protocol):
    audit_type: str

    @property
    def key(self) -> str: ...


def _text(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "key"):
        return str(value.key)
    return str(value)


def audit_record(
    *,
    actor: Actor | None,
    subject: Auditable,
    action: str,
    field: str = "",
    old: object = None,
    new: object = None,
    reason: str = "",
    data: Mapping[str, object] | None = None,
    public: bool = False,
) -> AuditEvent:
    """Record one event. Must run inside the transaction that makes the change."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must be called inside the transaction of the change")
    event = row_insert(
        audit_build(
            actor=actor,
            subject=subject,
            action=action,
            field=field,
            old=old,
            new=new,
            reason=reason,
            data=data,
            public=public,
        )
    )
    tracing.note_audit_event(event.pk)
    return event


def audit_build(
    *,
    actor: Actor | None,
    subject: Auditable,
    action: str,
    field: str = "",
    old: object = None,
    new: object = None,
    reason: str = "",
    data: Mapping[str, object] | None = None,
    public: bool = False,
) -> AuditEvent:
    """The event ``audit_record`` would write, not written yet: a change that records many
    events (a storm's joins) writes them together with ``audit_write``."""
    return _event(
        actor=actor,
        subject=subject,
        action=action,
        field=field,
        old=old,
        new=new,
        reason=reason,
        data=dict(data or {}),
        public=public,
    )


def audit_write(events: list[AuditEvent]) -> list[AuditEvent]:
    """Write events built by ``audit_build``, in one statement, in the order given."""
    if not events:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_write must be called inside the transaction of the change")
    written = rows_insert_returning(events)
    tracing.note_audit_event(written[-1].pk)
    return written


def _event(
    *,
    actor: Actor | None,
    subject: Auditable,
    action: str,
    field: str,
    old: object,
    new: object,
    reason: str,
    data: dict[str, object],
    public: bool,
) -> AuditEvent:
    return AuditEvent(
        at=clock.now(),
        actor_id=actor.pk if actor is not None else None,
        subject_type=subject.audit_type,
        subject_key=subject.key,
        action=action,
        field=field,
        old=_text(old),
        new=_text(new),
        reason=reason,
        data=data,
        public=public,
    )


def audit_transition(
    *,
    actor: Actor | None,
    subject: Auditable,
    action: str,
    field: str,
    old: object,
    new: object,
    reason: str,
    public: bool,
    changes: Mapping[str, tuple[object, object]],
) -> list[AuditEvent]:
    """A workflow transition's events, written in one statement: the status change (``field``
    from ``old`` to ``new``, marked ``{"transition": True}``), then one internal event per
    field of ``changes`` that really changed, as ``audit_record`` and ``audit_changes`` would
    write them one by one."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_transition must be called inside the transaction of the change")
    events = [
        _event(
            actor=actor,
            subject=subject,
            action=action,
            field=field,
            old=old,
            new=new,
            reason=reason,
            data={"transition": True},
            public=public,
        ),
        *(
            _event(
                actor=actor,
                subject=subject,
                action=action,
                field=name,
                old=before,
                new=after,
                reason="",
                data={},
                public=False,
            )
            for name, (before, after) in changes.items()
            if _text(before) != _text(after)
        ),
    ]
    written = rows_insert_returning(events)
    tracing.note_audit_event(written[-1].pk)
    return written


def audit_changes(
    *,
    actor: Actor | None,
    subject: Auditable,
    action: str,
    changes: Mapping[str, tuple[object, object]],
    reason: str = "",
    public: bool = False,
) -> list[AuditEvent]:
    """One event per field that really changed; a no-op change writes nothing."""
    return [
        audit_record(
            actor=actor,
            subject=subject,
            action=action,
            field=field,
            old=old,
            new=new,
            reason=reason,
            public=public,
        )
        for field, (old, new) in changes.items()
        if _text(old) != _text(new)
    ]


def model_update(
    instance: Any,
    values: Mapping[str, object],
    *,
    actor: Actor | None,
    action: str,
    subject: Auditable | None = None,
) -> dict[str, tuple[object, object]]:
    """Set ``values`` on ``instance``, save the fields that changed (and its ``auto_now``
    fields), and audit each change on ``subject`` (the instance itself by default); returns the
    changes, ``{field: (old, new)}``. Nothing changed: nothing is written (HackSoft's
    ``model_update``, with the audit of the house)."""
    diff = {
        name: (getattr(instance, name), value)
        for name, value in values.items()
        if getattr(instance, name) != value
    }
    if not diff:
        return diff
    for name, (_, value) in diff.items():
        setattr(instance, name, value)
    stamped = [
        f.name
        for f in instance._meta.concrete_fields
        if getattr(f, "auto_now", False) and f.name not in diff
    ]
    instance.save(update_fields=[*diff, *stamped])
    audit_changes(actor=actor, subject=subject or instance, action=action, changes=diff)
    return diff
