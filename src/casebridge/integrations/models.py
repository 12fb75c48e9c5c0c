from __future__ import annotations

import uuid

from django.db import models


class OutboxMessage(models.Model):
    """An effect that must happen at least once after the commit that caused it.

    Written in the same transaction as the change; delivered by ``casebridge worker`` with retries.
    Receivers de-duplicate with ``idempotency_key``.
    """

    topic = models.CharField(max_length=80)
    key = models.CharField(max_length=64, blank=True, default="")
    payload = models.JSONField(default=dict)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField()
    available_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["available_at"],
                condition=models.Q(delivered_at__isnull=True),
                name="outbox_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.key}"


class Notification(models.Model):
    """An in-app notification; e-mail and chat delivery follow through the outbox."""

    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="notifications"
    )
    subject_key = models.CharField(max_length=64)
    message = models.CharField(max_length=500)
    url = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at", "created_at"], name="notification_inbox")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.message}"
