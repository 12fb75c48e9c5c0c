"""The relay's two short transactions: claim due messages, record what became of them.

**Claim** (``outbox_claim``): one ``UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING``
gives the due messages a lease: a fresh token, ``available_at`` moved to the end of the lease
and one more attempt counted. On PostgreSQL the inner ``SELECT`` takes ``FOR UPDATE SKIP
LOCKED``, so relays never wait for each other; on SQLite the statement runs in one short
IMMEDIATE transaction, which holds the only write lock. Messages of a destination whose circuit
is open are not claimed. A relay that dies keeps nothing: when its lease runs out the message is
due again and another relay claims it (the attempt it spent is counted).

**Record** (``outbox_record``): every outcome of a batch in one transaction, one prepared
``UPDATE`` per message that applies only while the claim's token is still the message's, so a
relay whose lease ran out cannot overwrite the outcome of the relay that took over. The
circuits of the destinations involved are updated in the same transaction.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction

from casebridge.core import clock
from casebridge.core.prepared import rows_read
from casebridge.integrations.models import OutboxCircuit, OutboxMessage, OutboxState

#: What a claimed message carries to its handler (the rest stays in the table).
CLAIMED = (
    "id",
    "topic",
    "key",
    "payload",
    "idempotency_key",
    "destination",
    "state",
    "created_at",
    "available_at",
    "attempts",
    "lease_token",
)
COOLDOWN_CAP_SECONDS = 600.0


@dataclass
class Outcome:
    """What became of one claimed message.

    ``state`` is the message's new state (``pending`` for a retry, due at ``available_at``);
    ``failed`` counts against the destination's circuit; ``pause_until`` pauses the destination
    (the receiver asked to slow down)."""

    message: OutboxMessage
    state: str
    error: str = ""
    available_at: datetime | None = None
    failed: bool = False
    pause_until: datetime | None = None


def _dt(value: datetime) -> str | datetime | None:
    """The database's form of a time (a string on SQLite, a datetime on PostgreSQL)."""
    return connection.ops.adapt_datetimefield_value(value)


def _due_sql(columns: str) -> str:
    """Due messages of destinations whose circuit is closed. 'pending' is written out (not a
    parameter) so that SQLite can use the partial index; two parameters: now, now."""
    quote = connection.ops.quote_name
    table = quote(OutboxMessage._meta.db_table)
    circuits = quote(OutboxCircuit._meta.db_table)
    return (
        f"SELECT {columns} FROM {table} WHERE state = 'pending' AND available_at <= %s "  # noqa: S608 - model names
        f"AND destination NOT IN (SELECT destination FROM {circuits} WHERE open_until > %s)"
    )


def outbox_any_due() -> bool:
    """Whether a claim would find anything: a plain read, which takes no write lock (SQLite's
    IMMEDIATE transaction of a claim does, even when it finds nothing)."""
    now = _dt(clock.now())
    with connection.cursor() as cursor:
        cursor.execute(_due_sql("1") + " LIMIT 1", [now, now])
        return cursor.fetchone() is not None


def outbox_claim(*, limit: int, lease_seconds: float | None = None) -> list[OutboxMessage]:
    """Lease up to ``limit`` due messages to the caller; they come back ordered by id.

    Runs in the caller's transaction if there is one (the relay records the outcomes of the
    last batch and claims the next in one), else in its own."""
    if limit <= 0:
        return []
    now = clock.now()
    lease = settings.OUTBOX_LEASE_SECONDS if lease_seconds is None else lease_seconds
    quote = connection.ops.quote_name
    table = quote(OutboxMessage._meta.db_table)
    skip_locked = (
        " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    )
    sql = (
        f"UPDATE {table} SET lease_token = %s, available_at = %s, attempts = attempts + 1 "  # noqa: S608 - model names
        f"WHERE id IN ({_due_sql('id')} ORDER BY available_at, id LIMIT %s{skip_locked}) "
        f"RETURNING {', '.join(quote(name) for name in CLAIMED)}"
    )
    params = [uuid.uuid4().hex, _dt(now + timedelta(seconds=lease)), _dt(now), _dt(now), limit]
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    messages = rows_read(OutboxMessage, CLAIMED, rows)
    messages.sort(key=lambda m: m.pk)
    return messages


#: Outcomes that set nothing but their state and times: recorded a claim at a time.
PLAIN = (OutboxState.DELIVERED, OutboxState.NO_RECEIVER)
CHUNK = 500


def outbox_record(outcomes: list[Outcome]) -> int:
    """Write every outcome and the circuits they concern; returns how many still held a lease.

    Deliveries (and messages without a receiver) of one claim share its token: they are
    recorded with one ``UPDATE ... WHERE lease_token = %s AND id IN (...)``; retries and dead
    letters, each with its own time and error, with one prepared ``UPDATE`` per message."""
    if not outcomes:
        return 0
    now = _dt(clock.now())
    table = connection.ops.quote_name(OutboxMessage._meta.db_table)
    plain: dict[tuple[str, str], list[int]] = defaultdict(list)
    rows: list[list[str | int | datetime | None]] = []
    for outcome in outcomes:
        message = outcome.message
        if outcome.state in PLAIN:
            plain[(outcome.state, message.lease_token)].append(message.pk)
            continue
        final = outcome.state != OutboxState.PENDING
        due = outcome.available_at or message.available_at
        error = outcome.error[:2000]
        rows.append(
            [
                outcome.state,
                _dt(due),
                now if final else None,
                error,
                message.pk,
                message.lease_token,
            ]
        )
    recorded = 0
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            for (state, token), ids in plain.items():
                delivered = now if state == OutboxState.DELIVERED else None
                for start in range(0, len(ids), CHUNK):
                    chunk = ids[start : start + CHUNK]
                    marks = ", ".join(["%s"] * len(chunk))
                    sql = (
                        f"UPDATE {table} SET state = %s, delivered_at = %s, finished_at = %s, "  # noqa: S608 - model names
                        "last_error = '', lease_token = '' "
                        f"WHERE lease_token = %s AND id IN ({marks})"
                    )
                    cursor.execute(sql, [state, delivered, now, token, *chunk])
                    recorded += max(0, int(cursor.rowcount))
            if rows:
                cursor.executemany(
                    f"UPDATE {table} SET state = %s, available_at = %s, finished_at = %s, "  # noqa: S608 - model names
                    "last_error = %s, lease_token = '' WHERE id = %s AND lease_token = %s",
                    rows,
                )
                recorded += max(0, int(cursor.rowcount))
        _update_circuits(clock.now(), outcomes)
    return recorded


def cooldown(failures: int) -> timedelta:
    """How long an open circuit stays open: longer while failures go on, at most 10 minutes."""
    threshold = max(1, settings.OUTBOX_CIRCUIT_THRESHOLD)
    doublings = min(10, max(0, failures - threshold) // threshold)
    seconds = settings.OUTBOX_CIRCUIT_COOLDOWN_SECONDS * 2**doublings
    return timedelta(seconds=min(COOLDOWN_CAP_SECONDS, seconds))


def _update_circuits(now: datetime, outcomes: list[Outcome]) -> None:
    """A success closes the destination's circuit; failures since the last success open it at
    the threshold; a receiver's request to slow down pauses it."""
    by_destination: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        if outcome.message.destination:
            by_destination[outcome.message.destination].append(outcome)
    healthy = [
        destination
        for destination, results in by_destination.items()
        if any(r.state == OutboxState.DELIVERED for r in results)
        and not any(r.failed or r.pause_until for r in results)
    ]
    if healthy:  # the common case: one statement, which usually changes nothing
        OutboxCircuit.objects.filter(destination__in=healthy).exclude(
            failures=0, open_until__isnull=True
        ).update(failures=0, open_until=None, updated_at=now)
        for destination in healthy:
            del by_destination[destination]
    if not by_destination:
        return
    known = {
        c.destination: c
        for c in OutboxCircuit.objects.select_for_update().filter(
            destination__in=list(by_destination)
        )
    }
    changed: list[OutboxCircuit] = []
    created: list[OutboxCircuit] = []
    for destination, results in by_destination.items():
        circuit = known.get(destination)
        fresh = circuit is None
        if circuit is None:
            circuit = OutboxCircuit(destination=destination, updated_at=now)
        if _apply(circuit, results, now):
            circuit.updated_at = now
            (created if fresh else changed).append(circuit)
    if created:
        OutboxCircuit.objects.bulk_create(created, ignore_conflicts=True)
    for circuit in changed:
        circuit.save(update_fields=["failures", "open_until", "last_error", "updated_at"])


def _apply(circuit: OutboxCircuit, results: list[Outcome], now: datetime) -> bool:
    before = (circuit.failures, circuit.open_until)
    failures = [r for r in results if r.failed]
    if any(r.state == OutboxState.DELIVERED for r in results):
        circuit.failures, circuit.open_until = 0, None
    elif failures:
        circuit.failures += len(failures)
        circuit.last_error = failures[-1].error[:2000]
        if circuit.failures >= settings.OUTBOX_CIRCUIT_THRESHOLD:
            circuit.open_until = _later(circuit.open_until, now + cooldown(circuit.failures))
    for result in results:
        if result.pause_until is not None:
            circuit.open_until = _later(circuit.open_until, result.pause_until)
            circuit.last_error = result.error[:2000]
    return (circuit.failures, circuit.open_until) != before


def _later(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b > a else a
