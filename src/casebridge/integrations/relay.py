"""The relay: deliver outbox messages after their commit, at least once, without holding a
transaction open while a receiver answers.

A relay claims due messages with a lease (``claims.outbox_claim``, one short transaction), runs
their topic's handlers (``outbox.register``) in a small pool of threads, and records the
outcomes in another short transaction (``claims.outbox_record``). ``casebridge relay`` runs the
loop (``Relay.run``), keeping the pool busy: it claims more while earlier messages are still on
their way and records outcomes every few milliseconds, so a message's commit-to-delivery time
is about one round trip to its receiver. ``casebridge worker`` calls ``Relay.deliver_due`` between
its other jobs. SIGTERM stops claiming and finishes the messages in hand; SIGKILL loses nothing,
the leases run out and another relay takes the messages.

A message whose lease has (nearly) run out before a thread reaches it is not delivered: another
relay may already hold it. Its outcome is not recorded; it is claimed again.
"""

from __future__ import annotations

import queue
import threading
import time
from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.db import close_old_connections, connections, transaction

from casebridge.core import clock
from casebridge.integrations.claims import Outcome, outbox_any_due, outbox_claim, outbox_record
from casebridge.integrations.models import OutboxMessage, OutboxState
from casebridge.integrations.outbox import PermanentFailure, RetryLater, backoff, handlers_for

log = structlog.get_logger("casebridge.outbox")

#: A message whose lease ends sooner than this is left for the next claim.
LEASE_MARGIN = timedelta(seconds=1)
_STOP = object()
CONNECTION_CHECK_SECONDS = 10.0


def _describe(exc: BaseException) -> str:
    if isinstance(exc, RetryLater | PermanentFailure):
        return exc.reason
    return f"{type(exc).__name__}: {exc}"


def outcome_of(message: OutboxMessage, exc: BaseException | None, now: datetime) -> Outcome:
    """The outcome of one attempt: delivered, retried later, or a dead letter."""
    if exc is None:
        return Outcome(message, OutboxState.DELIVERED)
    error = _describe(exc)[:2000]
    if isinstance(exc, PermanentFailure):
        return Outcome(message, OutboxState.DEAD, error=error)
    after = exc.after_seconds if isinstance(exc, RetryLater) else None
    throttled = isinstance(exc, RetryLater) and exc.throttled
    cap = settings.OUTBOX_BACKOFF_CAP_SECONDS
    wait = timedelta(seconds=min(cap, max(0.0, after))) if after is not None else None
    due = now + (wait if wait is not None else backoff(message.attempts))
    pause = (now + (wait or backoff(1))) if throttled else None
    if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        gave_up = f"{error} (gave up after {message.attempts} attempts)"
        return Outcome(message, OutboxState.DEAD, error=gave_up, failed=not throttled)
    return Outcome(
        message,
        OutboxState.PENDING,
        error=error,
        available_at=due,
        failed=not throttled,
        pause_until=pause,
    )


def deliver_one(message: OutboxMessage) -> Outcome | None:
    """Run the message's handlers; ``None`` when its lease ran out before it could start."""
    now = clock.now()
    if message.available_at - LEASE_MARGIN < now:
        return None
    try:
        for handler in handlers_for(message.topic):
            handler(message)
    except Exception as exc:  # noqa: BLE001 - every failure is an outcome to record
        outcome = outcome_of(message, exc, clock.now())
        event = "outbox_dead_letter" if outcome.state == OutboxState.DEAD else "outbox_retry"
        (log.warning if outcome.state == OutboxState.DEAD else log.info)(
            event,
            id=message.pk,
            topic=message.topic,
            destination=message.destination,
            attempts=message.attempts,
            error=outcome.error[:300],
        )
        return outcome
    return Outcome(message, OutboxState.DELIVERED)


class _Pool:
    """Threads that run handlers; each closes its database connections when it stops."""

    def __init__(self, size: int) -> None:
        self.tasks: queue.Queue[object] = queue.Queue()
        self.results: queue.Queue[tuple[OutboxMessage, Outcome | None]] = queue.Queue()
        self.threads = [
            threading.Thread(target=self._work, name=f"outbox-{n}", daemon=True)
            for n in range(size)
        ]
        for thread in self.threads:
            thread.start()

    def _work(self) -> None:
        checked = time.monotonic()
        try:
            while (task := self.tasks.get()) is not _STOP:
                assert isinstance(task, OutboxMessage)
                if time.monotonic() - checked > CONNECTION_CHECK_SECONDS:
                    close_old_connections()  # a handler's connection that broke or aged
                    checked = time.monotonic()
                try:
                    outcome = deliver_one(task)
                except BaseException as exc:  # noqa: BLE001 - the loop must hear of it
                    outcome = outcome_of(task, exc, clock.now())
                self.results.put((task, outcome))
        finally:
            connections.close_all()

    def close(self) -> None:
        for _ in self.threads:
            self.tasks.put(_STOP)
        for thread in self.threads:
            thread.join(timeout=30)


class Relay:
    """Claims, delivers and records. ``concurrency=0`` delivers in the calling thread."""

    def __init__(
        self,
        *,
        concurrency: int = 8,
        batch: int = 200,
        lease_seconds: float | None = None,
        poll_seconds: float = 0.2,
        flush_seconds: float = 0.02,
    ) -> None:
        self.batch = max(1, batch)
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.flush_seconds = flush_seconds
        self.pool = _Pool(concurrency) if concurrency > 0 else None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None

    def _claim(self, limit: int) -> tuple[list[OutboxMessage], list[Outcome]]:
        """Claimed messages that have handlers, and the outcomes of those that have none."""
        claimed = outbox_claim(limit=limit, lease_seconds=self.lease_seconds)
        heard, unheard = [], []
        for message in claimed:
            if handlers_for(message.topic):
                heard.append(message)
            else:
                unheard.append(Outcome(message, OutboxState.NO_RECEIVER))
        return heard, unheard

    def deliver_due(self, limit: int = 200) -> int:
        """Deliver until nothing is due or ``limit`` messages were handled; returns how many."""
        handled = 0
        while handled < limit:
            heard, outcomes = self._claim(min(self.batch, limit - handled))
            if not heard and not outcomes:
                break
            handled += len(heard) + len(outcomes)
            outcomes += self._deliver_all(heard)
            outbox_record(outcomes)
        return handled

    def _deliver_all(self, messages: list[OutboxMessage]) -> list[Outcome]:
        if self.pool is None:
            return [o for o in map(deliver_one, messages) if o is not None]
        for message in messages:
            self.pool.tasks.put(message)
        results = [self.pool.results.get() for _ in messages]
        return [outcome for _, outcome in results if outcome is not None]

    def run(self, stop: threading.Event) -> int:
        """The relay loop, until ``stop`` is set; then it finishes what it holds. Returns the
        number of messages handled."""
        if self.pool is None:
            while not stop.is_set():
                if not self.deliver_due(self.batch):
                    stop.wait(self.poll_seconds)
            return 0
        return self._pipeline(self.pool, stop)

    def _pipeline(self, pool: _Pool, stop: threading.Event) -> int:
        """Keep the threads busy: claim as soon as a quarter of the batch is free and something
        is due; record outcomes every ``flush_seconds``; do both in one transaction when both
        are due (on SQLite each write transaction takes the one write lock)."""
        inflight, handled = 0, 0
        outcomes: list[Outcome] = []
        flushed = time.monotonic()
        while True:
            stopping = stop.is_set()
            free = self.batch - inflight
            claim = not stopping and free >= max(1, self.batch // 4) and outbox_any_due()
            now = time.monotonic()
            flush = bool(outcomes) and (
                claim or inflight == 0 or now - flushed >= self.flush_seconds
            )
            claimed = 0
            if claim or flush:
                close_old_connections()
                with transaction.atomic():
                    if flush:
                        outbox_record(outcomes)
                        outcomes, flushed = [], now
                    heard, unheard = self._claim(free) if claim else ([], [])
                outcomes += unheard
                for message in heard:
                    pool.tasks.put(message)
                claimed = len(heard) + len(unheard)
                inflight += len(heard)
                handled += claimed
            if inflight:
                count, arrived = _collect(pool, wait=self.flush_seconds)
                inflight -= count
                outcomes += arrived
            elif stopping and not outcomes:
                return handled
            elif not claimed and not outcomes:
                stop.wait(self.poll_seconds)


def _collect(pool: _Pool, *, wait: float) -> tuple[int, list[Outcome]]:
    """The messages finished within ``wait`` seconds (at least one, if one finishes) and their
    outcomes (none for a message whose lease ran out first)."""
    try:
        results = [pool.results.get(timeout=wait)]
    except queue.Empty:
        return 0, []
    while True:
        try:
            results.append(pool.results.get_nowait())
        except queue.Empty:
            break
    return len(results), [outcome for _, outcome in results if outcome is not None]


def outbox_deliver_due(*, limit: int = 100) -> int:
    """Deliver due messages in the calling thread (tests, one-off runs); returns how many."""
    return Relay(concurrency=0).deliver_due(limit)
