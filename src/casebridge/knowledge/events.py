"""What happens to known resolutions, for the apps that react (``core.events``)."""

from __future__ import annotations

from dataclasses import dataclass

from casebridge.core.events import Event


@dataclass(frozen=True, kw_only=True)
class KnownResolutionChanged(Event):
    """A known resolution was created (``created``) or edited (``updated``): ``fields`` names
    its fields that changed. The log signatures it carries belong to the occurrences app, which
    sets them from what the change asked for (``signature_ids``: None keeps the current ones;
    ``log_lines``: lines to add as signatures), audits that, and re-indexes the known fix."""

    key: str
    resolution_id: int
    change: str
    fields: list[str]
    signature_ids: list[str] | None
    log_lines: str
    actor_id: int | None
