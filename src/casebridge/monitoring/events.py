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
    #: An alert of the group fires again and again: it reopens no case.
    flapping: bool = False


@dataclass(frozen=True, kw_only=True)
class AlertStormStarted(Event):
    """More new alert groups on a service in a minute than the threshold: from now on they fold
    into the storm's case (``case_id``) until no new group came for the quiet period."""

    storm_id: int
    service_id: int
    service: str
    case_id: int | None
    groups: int
    threshold: int
    started_at: str


@dataclass(frozen=True, kw_only=True)
class AlertStormEnded(Event):
    """No new alert group on the service for the quiet period: the storm is over."""

    storm_id: int
    service_id: int
    case_id: int | None
    groups: int
    ended_at: str
