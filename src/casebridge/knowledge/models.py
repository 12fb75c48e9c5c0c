"""Known resolutions: the fixes L2 applies without development."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class FixKind(models.TextChoices):
    RESTART_SERVICE = "restart_service", "Restart a service"
    CONFIGURATION_CHANGE = "configuration_change", "Change configuration"
    DATA_CORRECTION = "data_correction", "Correct data"
    WORKAROUND = "workaround", "Workaround"
    OTHER = "other", "Other"


class KnownResolution(models.Model):
    audit_type = "known_resolution"

    key = models.CharField(max_length=20, unique=True)
    number = models.PositiveIntegerField(unique=True)
    title = models.CharField(max_length=200)
    symptoms = models.TextField(help_text="What L2 sees: messages, behaviour, conditions.")
    steps = models.TextField(help_text="Step-by-step fix.")
    fix_kind = models.CharField(max_length=24, choices=FixKind.choices)
    services = models.ManyToManyField("catalog.Service", blank=True, related_name="known_fixes")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"
