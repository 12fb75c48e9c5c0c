"""The append-only event log: who changed what, when, from what to what, and why."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject_type = models.CharField(max_length=32)
    subject_key = models.CharField(max_length=64)
    action = models.CharField(max_length=48)
    field = models.CharField(max_length=64, blank=True, default="")
    old = models.TextField(blank=True, default="")
    new = models.TextField(blank=True, default="")
    reason = models.TextField(blank=True, default="")
    data = models.JSONField(default=dict, blank=True)
    public = models.BooleanField(
        default=False, help_text="Shown to customers on their case timeline."
    )

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["subject_type", "subject_key", "at"], name="audit_subject_at"),
            models.Index(fields=["at"], name="audit_at"),
            # The flow report reads every work item's status events (subject type and field),
            # in time order: without it, a scan of the whole log (issue 17, 10M events).
            models.Index(fields=["subject_type", "field", "at"], name="audit_type_field_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.subject_type}:{self.subject_key} {self.action}"
