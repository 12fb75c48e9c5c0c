"""The services and components that cases, work items, alerts and known fixes refer to."""

from __future__ import annotations

from django.db import models


class Environment(models.TextChoices):
    PRODUCTION = "production", "Production"
    STAGING = "staging", "Staging"
    TEST = "test", "Test"
    DEVELOPMENT = "development", "Development"


class Service(models.Model):
    audit_type = "service"

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True, default="")
    owner_team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="services"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> str:
        return self.slug


class Component(models.Model):
    audit_type = "component"

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="components")
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80)
    critical = models.BooleanField(
        default=False, help_text="Work on a critical component needs an L3+ assignee."
    )

    class Meta:
        ordering = ["service__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["service", "slug"], name="component_slug_per_service")
        ]

    def __str__(self) -> str:
        return f"{self.service.name} / {self.name}"

    @property
    def key(self) -> str:
        return f"{self.service.slug}/{self.slug}"
