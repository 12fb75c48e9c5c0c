"""Which change a write belongs to: the audit event recorded last in the current transaction.

``audit_record`` notes every event it writes; ``outbox_enqueue`` puts the id of the last one in
the message's payload as ``audit_event``, so an effect (a notification, an Azure DevOps PATCH, a
webhook) can be traced to the change that caused it (``GET /api/v1/work-items/{key}/timeline``
and the cases' and incidents' timelines show the event ids).

"The current transaction" is told by a marker registered with ``transaction.on_commit``: Django
drops it when the transaction (or the savepoint it was registered in) rolls back and runs it at
the commit, so an id never outlives the transaction that wrote it.
"""

from __future__ import annotations

import threading

from django.db import connection, transaction


class _Marker:
    """The current transaction's note; called (and so forgotten) at its commit."""

    def __init__(self, event_id: int) -> None:
        self.event_id = event_id

    def __call__(self) -> None:
        if getattr(_state, "marker", None) is self:
            _state.marker = None


_state = threading.local()


def _live(marker: _Marker | None) -> bool:
    """Whether ``marker`` is still registered in this connection's transaction."""
    if marker is None or not connection.in_atomic_block:
        return False
    # entries are (savepoint ids, callback, robust); django-stubs knows only the first two
    return any(entry[1] is marker for entry in reversed(connection.run_on_commit))


def note_audit_event(event_id: int) -> None:
    marker: _Marker | None = getattr(_state, "marker", None)
    if marker is not None and _live(marker):
        marker.event_id = event_id
        return
    marker = _Marker(event_id)
    _state.marker = marker
    transaction.on_commit(marker)


def current_audit_event() -> int | None:
    """The id of the audit event written last in the current transaction, if any."""
    marker: _Marker | None = getattr(_state, "marker", None)
    return marker.event_id if marker is not None and _live(marker) else None
