"""The transactional outbox: enqueue inside the change's transaction, deliver after the commit.

**Writing.** ``outbox_enqueue`` adds a message in the transaction of the change, so the message
exists exactly when the change does. A handler that fans out one delivery per external receiver
uses ``outbox_enqueue_for``: the child's idempotency key is derived from its cause and its
destination, so running the handler twice (after a crash) adds each child once.

**Subscribing.** ``register(topic, handler)`` makes ``handler`` hear every message of ``topic``
(or of every topic under ``prefix.*``). The relay (``integrations.relay``) calls handlers after
the commit, outside any transaction, each message at least once. A handler

* returns normally: the message is delivered;
* raises ``RetryLater(after_seconds)``: try again later, no sooner than ``after_seconds`` when
  given (a receiver's ``Retry-After``), else after an exponential backoff with jitter;
  ``throttled=True`` also pauses the message's destination for that long (HTTP 429);
* raises ``PermanentFailure``: no retry will help (the receiver refused the payload): the
  message becomes a dead letter at once;
* raises anything else: a transient failure, retried with backoff.

After ``OUTBOX_MAX_ATTEMPTS`` attempts a message is a dead letter, which admins see and can retry.
A topic without any handler is recorded as having no receiver, not as delivered. Several
handlers of one topic run in order and a failure retries them all: make each idempotent, or fan
out one message per effect.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction

from casebridge.core import clock, tracing
from casebridge.core.prepared import row_insert, rows_insert_returning
from casebridge.core.retention import delete_in_batches, retention_cutoff
from casebridge.integrations.models import OutboxMessage, OutboxState

Handler = Callable[[OutboxMessage], None]
_handlers: dict[str, list[Handler]] = {}


class RetryLater(Exception):
    """Deliver this message again later; ``after_seconds`` is the receiver's wish, if any."""

    def __init__(
        self, reason: str, *, after_seconds: float | None = None, throttled: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.after_seconds = after_seconds
        self.throttled = throttled


class PermanentFailure(Exception):
    """No retry can deliver this message: it becomes a dead letter now."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def register(topic: str, handler: Handler) -> None:
    """Deliver messages of ``topic`` (or of every topic under ``prefix.*``) to ``handler``."""
    if handler not in _handlers.setdefault(topic, []):
        _handlers[topic].append(handler)


def handlers_for(topic: str) -> list[Handler]:
    prefix = topic.split(".", 1)[0] + ".*"
    return [*_handlers.get(topic, []), *_handlers.get(prefix, [])]


def _require_transaction(name: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{name} must be called inside the transaction of the change")


def outbox_message(
    *, topic: str, key: str = "", payload: Mapping[str, object], destination: str = ""
) -> OutboxMessage:
    """A message of the change as ``outbox_enqueue`` would add it now (its time, and the audit
    event written last as its cause), not yet written: ``outbox_write`` writes it, with the
    change's other messages."""
    _require_transaction("outbox_message")
    now = clock.now()
    body = dict(payload)
    cause = tracing.current_audit_event()
    if cause is not None:
        body.setdefault("audit_event", cause)
    return OutboxMessage(
        topic=topic,
        key=key,
        payload=body,
        destination=destination,
        created_at=now,
        available_at=now,
    )


def outbox_write(messages: Sequence[OutboxMessage]) -> None:
    """Write messages built by ``outbox_message`` in one statement, a multi-row ``INSERT`` (on
    PostgreSQL cheaper than the pipelined ``executemany`` of as many rows), and set their keys."""
    _require_transaction("outbox_write")
    rows_insert_returning(messages)


def outbox_enqueue(
    *, topic: str, key: str = "", payload: Mapping[str, object], destination: str = ""
) -> OutboxMessage:
    """Add a message in the transaction of the change; it is due at once after the commit."""
    _require_transaction("outbox_enqueue")
    return row_insert(
        outbox_message(topic=topic, key=key, payload=payload, destination=destination)
    )


def outbox_enqueue_many(
    messages: Sequence[tuple[str, str, Mapping[str, object], str]],
    *,
    written_with: Sequence[OutboxMessage] = (),
) -> None:
    """Add several messages (topic, key, payload, destination) of one change at once, after
    ``written_with`` (messages of ``outbox_message`` built earlier in the change).

    One ``executemany``: on PostgreSQL psycopg pipelines it, one round trip for all of them (a
    transition's domain event has a row per after-commit subscriber)."""
    _require_transaction("outbox_enqueue_many")
    outbox_write(
        [
            *written_with,
            *(
                outbox_message(topic=topic, key=key, payload=payload, destination=destination)
                for topic, key, payload, destination in messages
            ),
        ]
    )


def derived_key(cause: OutboxMessage, destination: str) -> uuid.UUID:
    """The idempotency key of the delivery of ``cause`` to ``destination``: always the same."""
    return uuid.uuid5(cause.idempotency_key, destination)


def outbox_enqueue_for(
    *, cause: OutboxMessage, destination: str, topic: str, key: str, payload: Mapping[str, object]
) -> bool:
    """Fan out: add the delivery of ``cause`` to ``destination`` unless it was added before.

    Returns whether it was added. Call it inside a transaction (the handler's own)."""
    _require_transaction("outbox_enqueue_for")
    body = dict(payload)
    if "audit_event" in cause.payload:  # the fan-out follows the same change
        body.setdefault("audit_event", cause.payload["audit_event"])
    return _insert_once(
        idempotency_key=derived_key(cause, destination),
        destination=destination,
        topic=topic,
        key=key,
        payload=body,
    )


def outbox_enqueue_once(
    *,
    idempotency_key: uuid.UUID,
    topic: str,
    key: str = "",
    payload: Mapping[str, object],
    destination: str = "",
) -> bool:
    """Add a message whose idempotency key is given (an e-mail's, from its Message-ID) unless a
    message with that key exists; returns whether it was added."""
    _require_transaction("outbox_enqueue_once")
    return _insert_once(
        idempotency_key=idempotency_key,
        destination=destination,
        topic=topic,
        key=key,
        payload=payload,
    )


def _insert_once(
    *,
    idempotency_key: uuid.UUID,
    destination: str,
    topic: str,
    key: str,
    payload: Mapping[str, object],
) -> bool:
    now = clock.now()
    body = dict(payload)
    cause = tracing.current_audit_event()
    if cause is not None:
        body.setdefault("audit_event", cause)
    message = OutboxMessage(
        topic=topic,
        key=key,
        payload=body,
        destination=destination,
        idempotency_key=idempotency_key,
        created_at=now,
        available_at=now,
    )
    meta = OutboxMessage._meta
    fields = [f for f in meta.concrete_fields if f is not meta.auto_field]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks}) "  # noqa: S608
        f"ON CONFLICT ({quote('idempotency_key')}) DO NOTHING"
    )
    values = [f.get_db_prep_save(f.pre_save(message, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return bool(cursor.rowcount)


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: exponential, capped, with jitter.

    Half of the delay is fixed and half random ("equal jitter"), so retries of messages that
    failed together spread out instead of hitting the receiver at the same moment again."""
    base = settings.OUTBOX_BACKOFF_BASE_SECONDS
    cap = settings.OUTBOX_BACKOFF_CAP_SECONDS
    delay = min(cap, base * 2 ** max(0, attempts - 1))
    return timedelta(seconds=delay / 2 + random.uniform(0, delay / 2))  # noqa: S311 - not security


def outbox_prune() -> int:
    """Remove delivered messages older than the retention; dead letters stay for an operator."""
    cutoff = retention_cutoff()
    if cutoff is None:
        return 0
    return delete_in_batches(
        OutboxMessage.objects.filter(state=OutboxState.DELIVERED, delivered_at__lt=cutoff)
    )
