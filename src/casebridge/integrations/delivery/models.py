"""Inbound deliveries from the development side, stored before anything is done with them.

A ``DeliverySource`` is one door with its own secret, size limit, rate limit and (for signed
events) clock tolerance: an Azure DevOps connection's service hooks, an Azure Pipelines or Azure
Repos service hook subscription, a GitHub webhook, or a generic deployment event sender. Each
delivery is kept byte for byte as an ``InboundEvent`` (with the headers that matter) before the
door answers; a delivery id seen twice is stored once, which the database enforces.
"""

from __future__ import annotations

from django.db import models

from casebridge.core.secrets import SealedTextField


class SourceKind(models.TextChoices):
    AZURE_DEVOPS = "azure-devops", "Azure DevOps work item service hooks"
    AZURE_PIPELINES = "azure-pipelines", "Azure Pipelines (releases and pipeline runs)"
    AZURE_REPOS = "azure-repos", "Azure Repos pull requests"
    GITHUB = "github", "GitHub webhooks (deployments, pull requests, reviews)"
    DEPLOYMENTS = "deployments", "Generic deployment events (signed JSON)"


class DeliverySource(models.Model):
    audit_type = "delivery_source"

    kind = models.CharField(max_length=16, choices=SourceKind.choices)
    slug = models.SlugField(max_length=64)
    name = models.CharField(max_length=120)
    secret = SealedTextField(help_text="Basic-auth password or HMAC key; sealed at rest.")
    secret_hint = models.CharField(max_length=8, blank=True, default="")
    max_body_bytes = models.PositiveIntegerField(default=1024 * 1024)
    rate_limit_per_minute = models.PositiveIntegerField(default=600)
    tolerance_seconds = models.PositiveIntegerField(
        default=300, help_text="Signed events: how far their timestamp may be from now."
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["kind", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "slug"], name="delivery_source_unique"),
            models.CheckConstraint(
                condition=models.Q(
                    kind__in=[
                        "azure-devops",
                        "azure-pipelines",
                        "azure-repos",
                        "github",
                        "deployments",
                    ]
                ),
                name="delivery_source_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.slug}"

    @property
    def door(self) -> str:
        return f"/api/v1/intake/{self.kind}/{self.slug}"


class SourceMinute(models.Model):
    """Deliveries accepted from one source in one minute: the rate limit of every process."""

    source = models.ForeignKey(DeliverySource, on_delete=models.CASCADE, related_name="+")
    minute = models.BigIntegerField(help_text="Unix time // 60.")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "minute"], name="source_minute_unique")
        ]

    def __str__(self) -> str:
        return f"{self.source_id}@{self.minute}: {self.count}"


class EventState(models.TextChoices):
    PENDING = "pending", "Waiting to be processed"
    DONE = "done", "Processed"
    IGNORED = "ignored", "Nothing to do"
    FAILED = "failed", "Failed"


class InboundEvent(models.Model):
    """One delivery as it arrived. ``delivery_id`` is the sender's id of the delivery (the service
    hook notification's ``id``, GitHub's ``X-GitHub-Delivery``, ...), unique per source."""

    source = models.ForeignKey(DeliverySource, on_delete=models.PROTECT, related_name="events")
    delivery_id = models.CharField(max_length=200)
    event_type = models.CharField(max_length=120)
    headers = models.JSONField(default=dict)
    body = models.TextField()
    received_at = models.DateTimeField()
    state = models.CharField(max_length=8, choices=EventState.choices, default=EventState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "delivery_id"], name="inbound_event_once_per_delivery"
            )
        ]
        indexes = [
            models.Index(fields=["state", "id"], name="inbound_event_due"),
            models.Index(fields=["source", "received_at"], name="inbound_event_source"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.delivery_id} ({self.state})"


class PullRequestLink(models.Model):
    """A pull request that names a work item (``BUG-7``, ``FR-3``, ``IMP-2`` or ``AB#123`` in its
    title, branch or description), as the latest event about it said."""

    audit_type = "pull_request_link"

    work_item = models.ForeignKey(
        "workitems.WorkItem", on_delete=models.CASCADE, related_name="pull_requests"
    )
    source = models.ForeignKey(DeliverySource, on_delete=models.PROTECT, related_name="+")
    repository = models.CharField(max_length=200)
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=300, blank=True, default="")
    url = models.CharField(max_length=500, blank=True, default="")
    author = models.CharField(max_length=200, blank=True, default="")
    state = models.CharField(max_length=8, default="open")  # open, merged, closed
    approved_by = models.CharField(max_length=200, blank=True, default="")
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["work_item", "source", "repository", "number"], name="pull_request_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.repository}#{self.number} -> {self.work_item_id}"

    @property
    def key(self) -> str:
        return f"{self.repository}#{self.number}"
