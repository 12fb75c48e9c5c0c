"""The transactional outbox: enqueue inside the change's transaction, deliver after commit."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import structlog
from django.db import connection, transaction
from django.db.models import F

from casebridge.core import clock
from casebridge.core.prepared import row_insert
from casebridge.integrations.models import OutboxMessage

log = structlog.get_logger("casebridge.outbox")

Handler = Callable[[OutboxMessage], None]
_handlers: dict[str, list[Handler]] = {}
MAX_ATTEMPTS = 12


def register(topic: str, handler: Handler) -> None:
    """Deliver messages of ``topic`` (or of every topic under ``prefix.*``) to ``handler``."""
    _handlers.setdefault(topic, []).append(handler)


def handlers_for(topic: str) -> list[Handler]:
    prefix = topic.split(".", 1)[0] + ".*"
    return [*_handlers.get(topic, []), *_handlers.get(prefix, [])]


def outbox_enqueue(*, topic: str, key: str = "", payload: Mapping[str, Any]) -> OutboxMessage:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox_enqueue must be called inside the transaction of the change")
    now = clock.now()
    return row_insert(
        OutboxMessage(topic=topic, key=key, payload=dict(payload), created_at=now, available_at=now)
    )


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 2**attempts))


def outbox_deliver_due(*, limit: int = 100) -> int:
    """Deliver up to ``limit`` due messages; returns how many were delivered."""
    delivered = 0
    now = clock.now()
    with transaction.atomic():
        due = OutboxMessage.objects.filter(
            delivered_at__isnull=True, available_at__lte=now, attempts__lt=MAX_ATTEMPTS
        ).order_by("id")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        messages = list(due[:limit])
        # A topic nobody listens to is delivered by marking it: one UPDATE, not a save each.
        unheard = {m.pk for m in messages if not handlers_for(m.topic)}
        if unheard:
            OutboxMessage.objects.filter(pk__in=unheard).update(
                delivered_at=now, attempts=F("attempts") + 1
            )
            delivered += len(unheard)
        for message in messages:
            if message.pk in unheard:
                continue
            try:
                with transaction.atomic():  # a savepoint: a failed handler leaves no half-write
                    for handler in handlers_for(message.topic):
                        handler(message)
            except Exception as exc:  # noqa: BLE001 - a failing receiver must not stop the others
                message.attempts += 1
                message.available_at = now + _backoff(message.attempts)
                message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                log.warning(
                    "outbox_delivery_failed", topic=message.topic, attempts=message.attempts
                )
            else:
                message.delivered_at = now
                message.attempts += 1
                delivered += 1
            message.save(update_fields=["attempts", "available_at", "last_error", "delivered_at"])
    return delivered
