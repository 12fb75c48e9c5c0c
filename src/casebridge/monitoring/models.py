"""Monitoring intake: integrations, the raw payloads they post, and the alert groups made of them.

A payload is stored exactly as it arrived (one INSERT, committed) before the endpoint answers; the
worker folds its alerts afterwards. An ``Alert`` is one fingerprint (or dedup key) from its
firing to its resolve; an ``AlertGroup`` is the alerts of one grouping key (the integration's
grouping labels, by default ``alertname``, ``service``, ``environment``) while any of them fires.
At most one alert per fingerprint and one group per key is open, which the database enforces.
Each group opens (or follows) one case, or joins its service's ``AlertStorm`` case.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from casebridge.catalog.models import Environment

#: The labels an integration groups its alerts by unless told otherwise: one rule on one service
#: in one environment is one group (and one case), however many instances fire.
DEFAULT_GROUPING_LABELS = ("alertname", "service", "environment")


def default_grouping_labels() -> list[str]:
    return list(DEFAULT_GROUPING_LABELS)


class IntegrationKind(models.TextChoices):
    ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
    GRAFANA = "grafana", "Grafana alerting"
    EVENTS = "events", "Generic events"


class AuthScheme(models.TextChoices):
    BEARER = "bearer", "Bearer token"
    HMAC = "hmac", "HMAC-SHA256 of the body"


class Integration(models.Model):
    """One monitoring system posting to ``/api/v1/intake/<kind>/<slug>`` with its own secret.

    A bearer token is stored as its SHA-256 only. An HMAC secret has to be kept as given, since
    the server must compute the same signature; see docs/decisions/0005-monitoring-intake.md.
    """

    audit_type = "integration"

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=IntegrationKind.choices)
    auth = models.CharField(max_length=8, choices=AuthScheme.choices, default=AuthScheme.BEARER)
    token_hash = models.CharField(max_length=64, blank=True, default="")
    token_prefix = models.CharField(max_length=12, blank=True, default="")
    hmac_secret = models.CharField(max_length=128, blank=True, default="")
    signature_header = models.CharField(max_length=64, blank=True, default="")
    timestamp_header = models.CharField(
        max_length=64, blank=True, default="", help_text="Signed with the body when set."
    )
    service = models.ForeignKey(
        "catalog.Service",
        on_delete=models.PROTECT,
        related_name="integrations",
        help_text="Alerts without a matching 'service' label go to this service.",
    )
    environment = models.CharField(
        max_length=16, choices=Environment.choices, default=Environment.PRODUCTION
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The account its cases are opened under.",
    )
    max_body_bytes = models.PositiveIntegerField(default=1024 * 1024)
    rate_limit_per_minute = models.PositiveIntegerField(default=1200)
    grouping_labels = models.JSONField(
        default=default_grouping_labels,
        help_text="Alerts with the same values of these labels are one alert group (one case); "
        "an alert with none of them is a group of its own.",
    )
    use_group_labels = models.BooleanField(
        default=True, help_text="Group by Alertmanager's groupLabels when a webhook has them."
    )
    storm_threshold = models.PositiveIntegerField(
        default=0,
        help_text="New alert groups a minute on one service above which they fold into one "
        "storm case; 0 uses CASEBRIDGE_STORM_GROUPS_PER_MINUTE.",
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["alertmanager", "grafana", "events"]),
                name="integration_kind_valid",
            ),
            models.CheckConstraint(
                condition=(models.Q(auth="bearer") & ~models.Q(token_hash=""))
                | (models.Q(auth="hmac") & ~models.Q(hmac_secret="")),
                name="integration_has_secret",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def key(self) -> str:
        return self.slug


class RateWindow(models.Model):
    """Payloads accepted from one integration in one minute: the rate limit of every process."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="+")
    minute = models.BigIntegerField(help_text="Unix time // 60.")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["integration", "minute"], name="rate_window_unique")
        ]

    def __str__(self) -> str:
        return f"{self.integration_id}@{self.minute}: {self.count}"


class PayloadState(models.TextChoices):
    PENDING = "pending", "Waiting to be processed"
    DONE = "done", "Processed"
    FAILED = "failed", "Failed"


class Payload(models.Model):
    """One delivery, byte for byte. ``alerts`` is how many alerts (or events) it carries."""

    integration = models.ForeignKey(Integration, on_delete=models.PROTECT, related_name="payloads")
    received_at = models.DateTimeField()
    body = models.TextField()
    alerts = models.PositiveIntegerField()
    dedup_key = models.CharField(
        max_length=255, blank=True, default="", help_text="Assigned to a trigger that had none."
    )
    state = models.CharField(
        max_length=8, choices=PayloadState.choices, default=PayloadState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    available_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["state", "available_at", "id"], name="payload_due"),
            models.Index(fields=["integration", "received_at"], name="payload_integration"),
        ]

    def __str__(self) -> str:
        return f"payload {self.pk} of {self.integration_id} ({self.state})"


class AlertStatus(models.TextChoices):
    FIRING = "firing", "Firing"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


OPEN_ALERT_STATES = (AlertStatus.FIRING, AlertStatus.ACKNOWLEDGED)


class GroupKind(models.TextChoices):
    ALERT = "alert", "Monitoring alert"
    ANOMALY = "anomaly", "Anomaly reported by a person"


class AlertGroup(models.Model):
    """The alerts of one grouping key (the integration's grouping labels: one rule on one
    service) from the first firing to the resolve of the last of them, with how often they were
    seen; each alert's own state is an ``Alert``. ``fingerprint`` is the grouping key (``g:`` and
    a hash of the label values), or the alert's own fingerprint when it has none of the labels.

    ``sync_pending`` marks a group whose case has not caught up yet (no case, or a status change
    not yet recorded on it); the worker clears it in the transaction that catches up.
    """

    audit_type = "alert_group"

    kind = models.CharField(max_length=8, choices=GroupKind.choices, default=GroupKind.ALERT)
    integration = models.ForeignKey(
        Integration, null=True, blank=True, on_delete=models.PROTECT, related_name="groups"
    )
    fingerprint = models.CharField(max_length=255)
    status = models.CharField(max_length=12, choices=AlertStatus.choices)
    title = models.CharField(max_length=200)
    severity = models.CharField(max_length=16, blank=True, default="")
    labels = models.JSONField(default=dict)
    annotations = models.JSONField(default=dict)
    source_url = models.CharField(max_length=1000, blank=True, default="")
    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="+")
    component = models.ForeignKey(
        "catalog.Component", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    environment = models.CharField(max_length=16, choices=Environment.choices)
    starts_at = models.DateTimeField()
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    firing_count = models.PositiveIntegerField(default=0)
    resolved_count = models.PositiveIntegerField(default=0)
    alerts_open = models.PositiveIntegerField(default=0, help_text="Its alerts still firing.")
    alerts_total = models.PositiveIntegerField(default=0, help_text="Its alerts (fingerprints).")
    flapping = models.BooleanField(
        default=False, help_text="An alert of it fired again too often: it reopens no case."
    )
    last_payload = models.ForeignKey(
        Payload, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="alert_groups"
    )
    case_at = models.DateTimeField(null=True, blank=True, help_text="When it got its case.")
    storm = models.ForeignKey(
        "monitoring.AlertStorm",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="groups",
    )
    synced_status = models.CharField(max_length=12, blank=True, default="")
    sync_pending = models.BooleanField(default=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The person who reported an anomaly.",
    )
    responder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="responding_groups",
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-last_seen", "-id"]
        indexes = [
            models.Index(fields=["integration", "fingerprint", "status"], name="alert_group_fp"),
            models.Index(fields=["service", "status", "last_seen"], name="alert_group_service"),
            models.Index(fields=["status", "last_seen"], name="alert_group_status"),
            models.Index(
                fields=["id"], condition=models.Q(sync_pending=True), name="alert_group_sync"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "fingerprint"],
                condition=models.Q(status__in=["firing", "acknowledged"]),
                name="alert_group_one_open",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["firing", "acknowledged", "resolved"]),
                name="alert_group_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="resolved") | models.Q(resolved_at__isnull=False),
                name="alert_group_resolved_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    @property
    def key(self) -> str:
        return f"AG-{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ALERT_STATES

    @property
    def count(self) -> int:
        return self.firing_count + self.resolved_count


class Alert(models.Model):
    """One alert (fingerprint or dedup key) of a group, from its firing to its resolve.

    At most one is open per fingerprint (the database enforces it). ``flips`` counts how often
    the alert fired again after a resolve since ``flips_since``; above the flapping limit in the
    window (``CASEBRIDGE_FLAP_LIMIT``, ``CASEBRIDGE_FLAP_WINDOW_MINUTES``) it is ``flapping``.
    """

    integration = models.ForeignKey(Integration, on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(AlertGroup, on_delete=models.PROTECT, related_name="alerts")
    fingerprint = models.CharField(max_length=255)
    status = models.CharField(max_length=12, choices=AlertStatus.choices)
    labels = models.JSONField(default=dict)
    starts_at = models.DateTimeField()
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    firing_count = models.PositiveIntegerField(default=0)
    resolved_count = models.PositiveIntegerField(default=0)
    flips = models.PositiveIntegerField(default=0)
    flips_since = models.DateTimeField(null=True, blank=True)
    flapping = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["integration", "fingerprint", "status"], name="alert_fp"),
            models.Index(fields=["group", "status"], name="alert_group"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "fingerprint"],
                condition=models.Q(status__in=["firing", "acknowledged"]),
                name="alert_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"alert {self.fingerprint} of AG-{self.group_id} ({self.status})"


class AlertStorm(models.Model):
    """More new alert groups on one service in a minute than the threshold: they fold into one
    storm case instead of one case each, until no new group came for the quiet period."""

    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField()
    last_group_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    group_count = models.PositiveIntegerField(default=0)
    threshold = models.PositiveIntegerField()

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["service"], condition=models.Q(ended_at=None), name="alert_storm_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"storm on {self.service_id} since {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None
