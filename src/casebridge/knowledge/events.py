"""What happens to known resolutions, for the apps that react (``core.events``)."""

from __future__ import annotations

from dataclasses import dataclass

from casebridge.core.events import Event


@dataclass(frozen=True, kw_only=True)
class KnownResolutionChanged(Event):
    """A known resolution was created (``created``) or edited (``updated``, with the fields)."""

    key: str
    resolution_id: int
    change: str
    fields: list[str]
    actor_id: int | None
