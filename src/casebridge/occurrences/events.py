"""What happens to the log sources of cases, for the reactions inside this app
(``core.events``): the services that record signatures never import the tasks and the
recurring detection that follow them."""

from __future__ import annotations

from dataclasses import dataclass

from casebridge.core.events import Event


@dataclass(frozen=True, kw_only=True)
class LogSourceQueued(Event):
    """A log attachment waits for its parse (new, or requeued after a lost task)."""

    source_id: int
    case_id: int


@dataclass(frozen=True, kw_only=True)
class LogSignaturesRecorded(Event):
    """A case's log signatures changed: a log file was parsed (``parsed``) or log lines pasted
    into its description or escalation were recorded."""

    source_id: int
    case_id: int
    parsed: bool
