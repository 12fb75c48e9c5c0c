"""What happens to alert groups, for the apps that react (``core.events``)."""

from __future__ import annotations

from dataclasses import dataclass

from casebridge.core.events import Event


@dataclass(frozen=True, kw_only=True)
class AlertGroupChanged(Event):
    """An alert group's state reached its case (``synced``: firing, acknowledged or resolved,
    once per change, by the sync worker; ``from_status`` is the state its case knew before) or
    its responder was named (``routed``)."""

    key: str
    group_id: int
    change: str
    status: str
    from_status: str
    title: str
    #: The alert: every group of the same integration and fingerprint is the same alert.
    integration_id: int | None
    fingerprint: str
    case_id: int | None
    responder_id: int | None
    actor_id: int | None
