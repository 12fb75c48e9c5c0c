"""In-app notifications, each with an outbox row for delivery by e-mail or chat later."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from casebridge.accounts.models import User
from casebridge.core import clock
from casebridge.integrations.models import Notification
from casebridge.integrations.outbox import outbox_enqueue


def notify(*, users: Iterable[Any], subject_key: str, message: str, url: str = "") -> int:
    """Notify each distinct real user once; returns how many were notified."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("notify must be called inside the transaction of the change")
    now = clock.now()
    seen: set[int] = set()
    for user in users:
        if user is None or user.pk is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        note = Notification.objects.create(
            user=user, subject_key=subject_key, message=message[:500], url=url, created_at=now
        )
        outbox_enqueue(
            topic="notification.created",
            key=subject_key,
            payload={"notification": note.pk, "user": user.username, "message": note.message},
        )
    return len(seen)


def notifications_for(viewer: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    notes = Notification.objects.filter(user=viewer)
    return notes.filter(read_at__isnull=True) if unread_only else notes


@transaction.atomic
def notifications_mark_read(*, viewer: User) -> int:
    return Notification.objects.filter(user=viewer, read_at__isnull=True).update(
        read_at=clock.now()
    )
