from __future__ import annotations

from django.db import models


class Sequence(models.Model):
    """A named counter row; keys such as CB-42 are allocated from it (see core.keys)."""

    name = models.CharField(max_length=40, primary_key=True)
    value = models.BigIntegerField(default=0)

    class Meta:
        db_table = "core_sequence"

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class IdempotencyKey(models.Model):
    """The first answer to a write sent with an ``Idempotency-Key`` (see ``core.idempotency``).

    Written in the same transaction as the change it answers, so a key is stored exactly when its
    change is; a repeat with the same key and request gets this answer back and changes nothing.
    """

    #: who sent it: a hash of the bearer token, or the session's user (keys are per sender)
    scope = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    #: a hash of the method, path and body of the first request
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100, blank=True)
    location = models.CharField(max_length=500, blank=True)
    body = models.BinaryField()
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "core_idempotency_key"
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="core_idempotency_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"


class WorkerHeartbeat(models.Model):
    """A running ``casebridge worker``: its last sign of life (see ``core.tasks``)."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=100, blank=True)
    pid = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField()

    class Meta:
        db_table = "core_worker_heartbeat"

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.seen_at:%H:%M:%S})"
