"""The worker's half of intake: fold stored payloads into alert groups, then catch cases up.

**Fold** (``payloads_fold``): claim a batch of due payloads (``SKIP LOCKED`` on PostgreSQL; on
SQLite the IMMEDIATE transaction is the lock), read their alerts in order, look the groups of all
their fingerprints up in two queries, apply every alert in memory, write changed groups and
then new ones with one prepared statement each (``core.prepared``), and mark the payloads done, all
in one transaction. A crash anywhere rolls all of it back and the payloads are claimed again:
folding is idempotent because it commits together with "done". A payload that cannot be read is
marked failed with its error (retried with backoff, shown to admins); if the batch as a whole
fails, each payload is retried alone so that one bad payload cannot hold the others back.

**Sync** (``groups_sync``): a group whose case has not caught up (``sync_pending``) gets its case
opened through ``case_create`` (or linked to the open case of the same alert), and its
acknowledgement or resolve recorded there; this is a few milliseconds per case, so it runs in short
transactions that keep SQLite's write lock free for the intake door.

The rules of folding, per alert, are in ``folding``.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import structlog
from django.db import DatabaseError, connection, transaction
from django.db.models import QuerySet

from casebridge.accounts.models import User
from casebridge.core import clock
from casebridge.core import events as domain_events
from casebridge.core.retention import delete_in_batches, retention_cutoff
from casebridge.monitoring import alert_cases
from casebridge.monitoring.ahead import AHEAD, AHEAD_PAYLOADS, Batch, groups_ahead
from casebridge.monitoring.events import AlertGroupChanged
from casebridge.monitoring.folding import Fold, locked
from casebridge.monitoring.models import (
    AlertGroup,
    Payload,
    PayloadState,
    RateWindow,
)
from casebridge.monitoring.storms import Joining

log = structlog.get_logger("casebridge.monitoring")

MAX_ATTEMPTS = 8
FOLD_PAYLOADS = 200
FOLD_ALERTS = 5000
SYNC_BUDGET_SECONDS = 0.02
#: The worker's transactions of catching cases up: short on SQLite, where the door waits for
#: them; PostgreSQL locks rows, and a case there costs more round trips.
SYNC_BUDGET = {"sqlite": SYNC_BUDGET_SECONDS, "postgresql": 0.2}
#: What catching a group's case up reads: no lazy load per group.
SYNC_RELATED = (
    "integration__reporter__organisation",
    "reporter__organisation",
    "case",
    "service",
    "component",
)


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 5 * 2**attempts))


def due_payloads(now: datetime) -> QuerySet[Payload]:
    return Payload.objects.filter(
        state__in=(PayloadState.PENDING, PayloadState.FAILED),
        available_at__lte=now,
        attempts__lt=MAX_ATTEMPTS,
    ).order_by("id")


# --- fold ---------------------------------------------------------------------------------------


def _claim(now: datetime, limit: int, max_alerts: int) -> list[Payload]:
    """The due payloads of the next batch, locked: their ids and sizes first (a storm's bodies
    are large, and most of those read would not fit the batch), then the bodies of those taken."""
    sizes = list(locked(due_payloads(now)).values_list("pk", "alerts")[:limit])
    ids: list[int] = []
    alerts = 0
    for pk, count in sizes:
        if ids and alerts + count > max_alerts:
            break
        ids.append(pk)
        alerts += count
    if not ids:
        return []
    return list(Payload.objects.filter(pk__in=ids).order_by("id"))


def _fail(payload: Payload, error: str, now: datetime) -> None:
    attempts = payload.attempts + 1
    Payload.objects.filter(pk=payload.pk).update(
        state=PayloadState.FAILED,
        attempts=attempts,
        available_at=now + _backoff(attempts),
        error=error[:2000],
    )
    log.warning("payload_failed", payload=payload.pk, attempts=attempts, error=error[:200])


def _fold_batch(batch: Batch, now: datetime) -> int:
    """Fold a parsed batch (claimed in this transaction); returns the alerts folded."""
    for payload, error in batch.unreadable:
        _fail(payload, error, now)
    read = batch.read
    catalogue = batch.catalogue
    fold = Fold(now=now, catalogue=catalogue)
    fold.load(
        {(p.integration_id, e.fingerprint) for p, events in read for e in events},
        {
            (p.integration_id, catalogue.group_key(p.integration_id, e))
            for p, ev in read
            for e in ev
        },
    )
    for payload, events in read:
        for event in events:
            fold.apply(payload, event)
    if read:
        fold.settle(max(p.pk for p, _ in read))
    fold.save()
    done = [p.pk for p, _ in read]
    Payload.objects.filter(pk__in=done).update(
        state=PayloadState.DONE, processed_at=now, error="", available_at=now
    )
    return sum(len(events) for _, events in read)


def _row_locks() -> bool:
    return bool(connection.features.has_select_for_update_skip_locked)


def payloads_fold(*, limit: int = FOLD_PAYLOADS, max_alerts: int = FOLD_ALERTS) -> int:
    """Fold one batch of due payloads into alert groups; returns how many alerts were folded.

    With row locks (PostgreSQL) the batch is claimed with ``SKIP LOCKED`` and parsed inside the
    transaction. On SQLite the transaction is the write lock of the whole database, which the
    intake door needs for every delivery: the batch is read and parsed before taking it, and
    inside only the payloads still due are folded.
    """
    now = clock.now()
    ids: list[int] = []
    try:
        ahead = None
        if not _row_locks():
            claimed = _claim(now, limit, max_alerts)  # a plain read: no lock taken yet
            if not claimed:
                return 0
            ahead = Batch.parse(claimed)
        with transaction.atomic():
            if ahead is None:
                claimed = _claim(now, limit, max_alerts)
                batch = Batch.parse(claimed) if claimed else None
            else:
                batch = ahead
                still_due = due_payloads(now).filter(pk__in=[p.pk for p in claimed])
                batch.keep(set(still_due.values_list("pk", flat=True)))
            ids = batch.ids() if batch else []
            return _fold_batch(batch, now) if batch and ids else 0
    except DatabaseError as exc:
        if len(ids) <= 1:
            _fail_alone(ids, exc, now)
            return 0
        log.warning("fold_batch_failed", payloads=len(ids), error=str(exc)[:200])
        return sum(_fold_alone(pk, now) for pk in ids)


def _fold_alone(pk: int, now: datetime) -> int:
    try:
        with transaction.atomic():
            payload = locked(due_payloads(now).filter(pk=pk)).first()
            return _fold_batch(Batch.parse([payload]), now) if payload else 0
    except DatabaseError as exc:
        _fail_alone([pk], exc, now)
        return 0


def _fail_alone(ids: list[int], exc: Exception, now: datetime) -> None:
    with transaction.atomic():
        for payload in Payload.objects.filter(pk__in=ids):
            _fail(payload, f"{type(exc).__name__}: {exc}", now)


# --- sync -----------------------------------------------------------------------------------------


def _sync(group: AlertGroup, account: User | None, joining: Joining) -> AlertGroupChanged:
    """Catch one group's case up; its row and its event are written by the caller, with the
    other groups of the transaction (``groups_sync``)."""
    if group.case_id is None:
        group.case = alert_cases.case_for_group(group, actor=account, joining=joining)
    if group.case is not None and group.storm_id is None:
        alert_cases.record_status(group, group.case)
    previous = group.synced_status
    group.synced_status = group.status
    group.sync_pending = False
    return AlertGroupChanged(
        key=group.key,
        group_id=group.pk,
        change="synced",
        status=group.status,
        from_status=previous,
        title=group.title,
        integration_id=group.integration_id,
        fingerprint=group.fingerprint,
        case_id=group.case_id,
        responder_id=group.responder_id,
        actor_id=domain_events.actor_id(account),
        flapping=group.flapping,
    )


def _synced_save(groups: list[AlertGroup], caught_up: set[int]) -> None:
    """Write the groups caught up: one UPDATE per set of equal values (a storm's groups are
    one), their cases' time the moment they are written."""
    now = clock.now()
    alike: dict[tuple[object, ...], list[int]] = {}
    for group in groups:
        if group.pk in caught_up:
            group.case_at = now
        values = (group.case_id, group.case_at, group.storm_id, group.synced_status)
        alike.setdefault(values, []).append(group.pk)
    for (case_id, case_at, storm_id, status), ids in alike.items():
        AlertGroup.objects.filter(pk__in=ids).update(
            case_id=case_id,
            case_at=case_at,
            storm_id=storm_id,
            synced_status=status,
            sync_pending=False,
        )


def groups_sync(
    *, budget_seconds: float = SYNC_BUDGET_SECONDS, limit: int = 50, only: list[int] | None = None
) -> int:
    """Catch the cases of pending groups up (of the groups ``only``, if given), in a
    transaction of about ``budget_seconds``: the groups' rows in one statement, the storms'
    joins together (``storms.Joining``), then each group's ``AlertGroupChanged``."""
    started = time.monotonic()
    with transaction.atomic():
        pending = AlertGroup.objects.filter(sync_pending=True).order_by("id")
        if only is not None:
            pending = pending.filter(pk__in=only)
        groups = locked(pending.select_related(*SYNC_RELATED))[:limit]
        account = alert_cases.monitoring_account() if groups else None
        joining = Joining()
        joining.hold({g.service_id for g in groups if g.case_id is None and g.service_id})
        synced: list[AlertGroup] = []
        changes: list[AlertGroupChanged] = []
        caught_up: set[int] = set()
        for group in groups:
            if group.case_id is None:
                caught_up.add(group.pk)
            changes.append(_sync(group, account, joining))
            synced.append(group)
            if time.monotonic() - started > budget_seconds:
                break
        _synced_save(synced, caught_up)
        joining.flush()
        for change in changes:
            domain_events.publish(change)
    return len(synced)


# --- the worker's pace ----------------------------------------------------------------------------

#: On SQLite one writer holds the database at a time. While the door is busy (a payload arrived in
#: the last second) the worker leaves the write lock free at least as long as it held it, so a
#: delivery never waits behind a long run of the worker's transactions; once the door is quiet
#: the worker drains at full speed. PostgreSQL locks rows, and the worker never waits there.
DOOR_BUSY_SECONDS = 1.0
#: The worker's fold batch: short transactions on both databases. On PostgreSQL a fold holds the
#: row locks of its groups until it commits, and catching a storm's cases up skips locked groups:
#: a 2,000-alert fold of a worker at low priority held them for seconds (a storm's first case at
#: p95 3 s against 0.9 s with 300).
WORKER_FOLD_ALERTS = 300


def _door_busy() -> bool:
    last = Payload.objects.order_by("-id").values_list("received_at", flat=True).first()
    return last is not None and (clock.now() - last).total_seconds() < DOOR_BUSY_SECONDS


def _pace(started: float, work: int) -> None:
    if work and connection.vendor == "sqlite" and _door_busy():
        time.sleep(min(0.25, time.monotonic() - started))


#: How long one pass of the worker keeps folding while batches are due (and, on SQLite, while
#: the door is quiet): a storm's backlog is folded without paying a whole pass (outbox, tasks,
#: every other job) per batch.
FOLD_PASS_SECONDS = 0.5


#: How long a pass looks ahead at most (reading, opening groups, catching their cases up), and
#: how long each transaction of catching up holds the database (on SQLite the door waits).
AHEAD_SECONDS = 2.0
AHEAD_SYNC_BUDGET = {"sqlite": 0.05, "postgresql": 0.2}


def groups_ahead_sync(*, seconds: float = AHEAD_SECONDS) -> int:
    """Look ahead through the payloads not folded yet, opening the groups of new keys and
    catching their cases up as they are found, for at most ``seconds``; the groups opened ahead
    whose cases have not caught up yet (a look ahead that ran out of time) come first. Returns
    the groups opened and caught up."""
    started, work = time.monotonic(), 0
    budget = AHEAD_SYNC_BUDGET.get(connection.vendor, 0.2)
    while time.monotonic() - started < seconds:
        if AHEAD.unsynced:
            held = time.monotonic()
            done = groups_sync(only=AHEAD.unsynced, budget_seconds=budget, limit=50)
            if not done:  # all caught up (or held by another worker, which catches them up)
                AHEAD.unsynced = []
            work += done
            _pace(held, done)  # SQLite, the door busy: the write lock free as long as held
            continue
        looked = groups_ahead()
        AHEAD.unsynced = looked.created
        work += len(looked.created)
        if looked.read < AHEAD_PAYLOADS and not looked.created:
            break
    return work


def worker_fold() -> int:
    """The groups of new keys and their cases (``groups_ahead_sync``), then ``payloads_fold``
    at the worker's pace (a periodic job run on every pass)."""
    if AHEAD.inline:
        groups_ahead_sync()
    started = time.monotonic()
    batch = WORKER_FOLD_ALERTS
    folded = more = payloads_fold(max_alerts=batch)
    while more and time.monotonic() - started < FOLD_PASS_SECONDS:
        if connection.vendor == "sqlite" and _door_busy():
            break
        more = payloads_fold(max_alerts=batch)
        folded += more
    _pace(started, folded)
    return folded


def worker_sync() -> int:
    """``cases_catch_up`` (a periodic job run on every pass), after another look ahead: while
    the door is busy a pass is long, and a new key should not wait a pass."""
    if not AHEAD.inline:  # the look ahead's process catches cases up, at a higher priority:
        return 0  # this one, nicer, would hold the storms' locks while it waits for a CPU
    return groups_ahead_sync(seconds=AHEAD_SECONDS / 2) + cases_catch_up()


def cases_catch_up() -> int:
    """``groups_sync`` at the worker's pace: the worker's job, and the look ahead's process
    (``casebridge worker --nice``) after each look ahead, at the door's priority."""
    started = time.monotonic()
    synced = groups_sync(budget_seconds=SYNC_BUDGET.get(connection.vendor, SYNC_BUDGET_SECONDS))
    _pace(started, synced)
    return synced


def intake_process() -> int:
    """One pass of both halves, for tests and ``casebridge integration process``."""
    return payloads_fold() + groups_sync()


def intake_drain(*, timeout: float = 600.0) -> int:
    """Fold and sync until nothing is due (tests, benchmarks, the demo)."""
    deadline, total = time.monotonic() + timeout, 0
    while time.monotonic() < deadline:
        work = payloads_fold() + groups_sync(budget_seconds=0.5, limit=500)
        total += work
        if not work:
            break
    return total


def rate_windows_prune() -> int:
    """Forget the per-minute counters of the intake door older than an hour."""
    minute = int(clock.now().timestamp()) // 60
    deleted, _ = RateWindow.objects.filter(minute__lt=minute - 60).delete()
    return deleted


def payloads_prune() -> int:
    """Remove processed payloads older than the retention (``core.retention``)."""
    cutoff = retention_cutoff()
    if cutoff is None:
        return 0
    return delete_in_batches(
        Payload.objects.filter(state=PayloadState.DONE, processed_at__lt=cutoff)
    )
