"""Events the SLA app publishes (the notifications app tells the owner and the L2 lead)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from casebridge.core.events import Event


@dataclass(frozen=True, kw_only=True)
class SlaWarningReached(Event):
    """A clock used its policy's warning share of the target (e.g. 75%)."""

    key: str  # the case
    clock: str  # first_response, triage or resolution
    policy: str  # the policy's slug
    due_at: datetime | None
    owner: str | None  # usernames, for the notifications
    lead: str | None


@dataclass(frozen=True, kw_only=True)
class SlaBreached(Event):
    """A clock passed its target; the breach is on the case's timeline."""

    key: str
    clock: str
    policy: str
    breached_at: datetime
    owner: str | None
    lead: str | None
    action: str  # the escalation action taken, "" for none


@dataclass(frozen=True, kw_only=True)
class ItemSlaWarningReached(Event):
    """A work item's fix clock used its policy's warning share of the target."""

    key: str  # the work item
    policy: str
    due_at: datetime | None
    people: list[str]  # usernames told: the assignees and the policy's lead


@dataclass(frozen=True, kw_only=True)
class ItemSlaBreached(Event):
    """A work item's fix target passed; the breach is on the item's timeline."""

    key: str
    policy: str
    breached_at: datetime
    people: list[str]
