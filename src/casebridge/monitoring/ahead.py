"""The look ahead: the groups of new grouping keys opened before the fold reaches their alerts.

A storm's payloads arrive faster than the fold counts their alerts; ``groups_ahead`` reads the
next payloads not folded yet, opens the group of every key that fires in them and has none open,
and keeps the events it parsed for the fold (``Batch.parse`` takes them instead of parsing
again). ``worker.groups_ahead_sync`` then catches those groups' cases up first. What this
process keeps here only saves work: the database decides.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import structlog
from django.db import transaction

from casebridge.core import clock
from casebridge.core.prepared import rows_insert_new
from casebridge.monitoring.folding import Catalogue, new_group
from casebridge.monitoring.formats import AlertEvent, events_of
from casebridge.monitoring.models import (
    OPEN_ALERT_STATES,
    AlertGroup,
    AlertStatus,
    Payload,
    PayloadState,
)

log = structlog.get_logger("casebridge.monitoring")

# --- ahead ------------------------------------------------

#: How many payloads not folded yet one look ahead reads at most (a storm's first payloads hold
#: most of its keys: their groups open before the rest is read), and how long a key found open
#: is taken as still open (a later look ahead does not ask again).
AHEAD_PAYLOADS = 50
AHEAD_KNOWN_SECONDS = 30.0
#: Parsed events kept for the fold, at most (a look ahead far beyond the fold parses again).
AHEAD_PARSED = 50_000
AHEAD_CATALOGUE_SECONDS = 5.0


@dataclass
class Ahead:
    """What this process has looked ahead at: the last payload read, the grouping keys found
    open (with when), and the events it parsed, which the fold takes instead of parsing again."""

    mark: int = 0
    known: dict[tuple[int, str], float] = field(default_factory=dict)
    parsed: dict[int, list[AlertEvent]] = field(default_factory=dict)
    kept: int = 0
    #: The groups it opened whose cases have not caught up yet.
    unsynced: list[int] = field(default_factory=list)
    #: Whether this process's fold looks ahead itself (``worker_fold``, ``worker_sync``), or
    #: another process does it for it (``casebridge worker --nice``: a child at the worker's
    #: first priority), which keeps no parsed events (the fold is in another process).
    inline: bool = True

    #: The integrations, services and components of the last look ahead, and when they were
    #: read: a look ahead every few milliseconds in a storm reads them again only after
    #: ``AHEAD_CATALOGUE_SECONDS`` (a group opened ahead by an older grouping rule is settled by
    #: the fold, which reads its own).
    catalogue: Catalogue | None = None
    catalogue_at: float = 0.0

    def catalogue_for(self, integration_ids: set[int]) -> Catalogue:
        had = self.catalogue
        if had is not None and time.monotonic() - self.catalogue_at >= AHEAD_CATALOGUE_SECONDS:
            had = None
        if had is not None and integration_ids <= had.integrations.keys():
            return had
        known = set(had.integrations) if had is not None else set()
        self.catalogue = Catalogue.load(integration_ids | known)
        self.catalogue_at = time.monotonic()
        return self.catalogue

    def keep(self, payload: int, events: list[AlertEvent]) -> None:
        if not self.inline:
            return
        if self.kept + len(events) > AHEAD_PARSED:
            self.parsed.clear()
            self.kept = 0
        self.parsed[payload] = events
        self.kept += len(events)

    def forget(self) -> None:
        self.mark, self.kept = 0, 0
        self.known, self.parsed, self.unsynced = {}, {}, []
        self.catalogue, self.catalogue_at = None, 0.0


#: The one look ahead of this process (the worker's), shared with the fold's ``Batch.parse``.
AHEAD = Ahead()


def ahead_forget() -> None:
    """Forget what this process looked ahead at (a database emptied or restored; tests)."""
    AHEAD.forget()


@dataclass
class Looked:
    """One look ahead: how many payloads it read, and the groups it opened."""

    read: int
    created: list[int]


def groups_ahead(*, limit: int = AHEAD_PAYLOADS) -> Looked:
    """Open the group of every grouping key that fires in the next payloads not folded yet and
    has no open group, ahead of the fold (their cases are then caught up first, ``worker_fold``).

    A storm's payloads arrive faster than the fold counts their alerts; its new groups (and so
    its cases, or its storm case) must not wait for that. The group is the fold's own (built by
    ``folding.new_group`` from the key's first firing alert, in order of arrival), only still
    empty: the fold adds the alerts when it reaches them, and resolves the group if that first
    firing turns out to open no alert (``Fold.settle``). The look ahead reads payloads after the
    last one it read (per process) and only pending ones: one committed out of order, or
    retried, is left to the fold, which opens the groups it needs as before.
    """
    rows = list(
        Payload.objects.filter(pk__gt=AHEAD.mark, state=PayloadState.PENDING).order_by("id")[:limit]
    )
    if not rows:
        last = Payload.objects.order_by("-id").values_list("pk", flat=True).first()
        if (last or 0) < AHEAD.mark:  # the payloads were removed (a restored database)
            ahead_forget()
        return Looked(0, [])
    batch = Batch.parse(rows, AHEAD.catalogue_for({p.integration_id for p in rows}))
    AHEAD.mark = rows[-1].pk
    now_s = time.monotonic()
    first: dict[tuple[int, str], tuple[Payload, AlertEvent]] = {}
    for payload, events in batch.read:
        AHEAD.keep(payload.pk, events)
        for event in events:
            if event.action != AlertStatus.FIRING:
                continue
            key = (payload.integration_id, batch.catalogue.group_key(payload.integration_id, event))
            if key in first or now_s - AHEAD.known.get(key, -1e9) < AHEAD_KNOWN_SECONDS:
                continue
            first[key] = (payload, event)
    if not first:
        return Looked(len(rows), [])
    if len(AHEAD.known) > AHEAD_PARSED:
        AHEAD.known.clear()
    created: list[int] = []
    now = clock.now()
    with transaction.atomic():
        open_now = AlertGroup.objects.filter(
            integration_id__in={i for i, _ in first},
            fingerprint__in={k for _, k in first},
            status__in=OPEN_ALERT_STATES,
        ).values_list("integration_id", "fingerprint")
        for key in open_now:
            first.pop(key, None)
            AHEAD.known[key] = now_s
        groups = [
            new_group(batch.catalogue, key, payload, event, status=AlertStatus.FIRING, now=now)
            for key, (payload, event) in first.items()
        ]
        # one statement; a key another worker opened meanwhile is skipped (one open group each)
        created = [g.pk for g in rows_insert_new(groups, by=("integration", "fingerprint"))]
        for key in first:
            AHEAD.known[key] = now_s
    if created:
        log.info("groups_ahead", groups=len(created))
    return Looked(len(rows), created)


@dataclass
class Batch:
    """Payloads read and parsed: their events, or why they cannot be read."""

    catalogue: Catalogue
    read: list[tuple[Payload, list[AlertEvent]]]
    unreadable: list[tuple[Payload, str]]

    @classmethod
    def parse(cls, payloads: list[Payload], catalogue: Catalogue | None = None) -> Batch:
        catalogue = catalogue or Catalogue.load({p.integration_id for p in payloads})
        batch = cls(catalogue, [], [])
        for payload in payloads:
            kind = catalogue.integrations[payload.integration_id].kind
            try:
                events = AHEAD.parsed.pop(payload.pk, None) or events_of(
                    kind, payload.body, dedup_key=payload.dedup_key
                )
            except Exception as exc:  # noqa: BLE001 - an unreadable payload is recorded
                batch.unreadable.append((payload, f"unreadable: {type(exc).__name__}: {exc}"))
                continue
            batch.read.append((payload, events))
        return batch

    def ids(self) -> list[int]:
        return [p.pk for p, _ in self.read] + [p.pk for p, _ in self.unreadable]

    def keep(self, ids: set[int]) -> None:
        """Forget the payloads not in ``ids`` (folded or failed meanwhile by another worker)."""
        self.read = [(p, events) for p, events in self.read if p.pk in ids]
        self.unreadable = [(p, error) for p, error in self.unreadable if p.pk in ids]
