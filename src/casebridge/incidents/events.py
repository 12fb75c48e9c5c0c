"""What happens to incidents, for the apps that react (``core.events``)."""

from __future__ import annotations

from dataclasses import dataclass

from casebridge.core.events import Event


@dataclass(frozen=True, kw_only=True)
class IncidentDeclared(Event):
    key: str
    incident_id: int
    severity: str
    case_key: str
    alert_group_key: str
    lead_id: int | None
    owner_id: int | None
    actor_id: int | None


@dataclass(frozen=True, kw_only=True)
class IncidentChanged(Event):
    """One incident workflow action: a state change (mitigate, resolve, close, reopen) or a
    change of who does what or of the severity (``from_state`` equals ``to_state``). Published
    by the engine."""

    key: str
    incident_id: int
    action: str
    from_state: str
    to_state: str
    severity: str
    case_id: int | None
    #: The note or reason typed with the action ("" when none).
    note: str
    actor_id: int | None
