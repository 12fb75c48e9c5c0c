from __future__ import annotations

import uuid

from django.db import models

from casebridge.core.secrets import SealedTextField


class OutboxState(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    DEAD = "dead", "Dead letter"
    NO_RECEIVER = "no_receiver", "No receiver"
    DISCARDED = "discarded", "Discarded"


class OutboxMessage(models.Model):
    """An effect that must happen at least once after the commit that caused it.

    Written in the same transaction as the change (``outbox_enqueue``); delivered after the
    commit by the relay (``integrations.relay``), which claims it with a lease, runs the topic's
    handlers outside any transaction and records the outcome. Receivers de-duplicate with
    ``idempotency_key``. ``destination`` names the one external receiver of a delivery message
    (``webhook:12``), so that retries and circuits are per destination; it is empty for a
    message whose handlers do their effect themselves.
    """

    topic = models.CharField(max_length=80)
    key = models.CharField(max_length=64, blank=True, default="")
    payload = models.JSONField(default=dict)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    destination = models.CharField(max_length=80, blank=True, default="")
    state = models.CharField(
        max_length=12, choices=OutboxState.choices, default=OutboxState.PENDING
    )
    created_at = models.DateTimeField()
    #: When it is due; while claimed, when the claim's lease runs out.
    available_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    #: The claim holding the message now (empty when none): an outcome counts only with it.
    lease_token = models.CharField(max_length=32, blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    #: When it reached a final state: delivered, dead, no receiver or discarded.
    finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["available_at", "id"],
                condition=models.Q(state="pending"),
                name="outbox_due",
            ),
            models.Index(
                fields=["destination", "id"],
                condition=models.Q(state="dead"),
                name="outbox_dead",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.key}"


class OutboxCircuit(models.Model):
    """The health of one destination, shared by every relay process.

    ``failures`` counts failed deliveries since the last success; at a threshold the circuit
    opens (``open_until``) and the relay claims nothing for the destination until then. A
    receiver that asks to slow down (HTTP 429 with ``Retry-After``) pauses it the same way.
    """

    destination = models.CharField(max_length=80, primary_key=True)
    failures = models.PositiveIntegerField(default=0)
    open_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.destination


class NotificationKind(models.TextChoices):
    """What a notification is about, as a person chooses what to hear (their preferences)."""

    ASSIGNED = "assigned", "Assigned to me"
    CASE_CHANGED = "case_changed", "My case changed"
    WATCHING = "watching", "Something I watch changed"
    MENTIONED = "mentioned", "Someone mentioned me"
    REVIEW_REQUESTED = "review_requested", "My review is requested"
    INCIDENT = "incident", "An incident I am on"
    SLA_WARNING = "sla_warning", "SLA warnings"


class Notification(models.Model):
    """A notification of one person: in the notification centre (``in_app``) and/or waiting
    for their daily digest (``digest``). E-mail goes out at once through the outbox."""

    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(
        max_length=20, choices=NotificationKind.choices, default=NotificationKind.CASE_CHANGED
    )
    subject_key = models.CharField(max_length=64)
    message = models.CharField(max_length=500)
    url = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    in_app = models.BooleanField(default=True)
    digest = models.BooleanField(default=False)
    digested_at = models.DateTimeField(null=True, blank=True)
    #: What caused it (an outbox message or an event), so a retried reaction adds it once.
    source = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at", "created_at"], name="notification_inbox"),
            models.Index(
                fields=["user", "created_at"],
                condition=models.Q(digest=True, digested_at__isnull=True),
                name="notification_digest_due",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "source"],
                condition=~models.Q(source=""),
                name="notification_once_per_source",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.message}"


class NotificationPreference(models.Model):
    """On which channels a person hears one kind of notification (no row: the defaults,
    ``integrations.notifications.DEFAULTS``)."""

    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    in_app = models.BooleanField(default=True)
    email = models.BooleanField(default=False)
    digest = models.BooleanField(default=False)

    class Meta:
        ordering = ["user_id", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}"


class WatchSubject(models.TextChoices):
    CASE = "case", "Case"
    WORK_ITEM = "work_item", "Work item"
    INCIDENT = "incident", "Incident"


class Watch(models.Model):
    """Someone who follows a work item or an incident (cases keep their ``cases.Watcher``)."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="watches")
    subject_type = models.CharField(max_length=12, choices=WatchSubject.choices)
    subject_key = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["subject_type", "subject_key", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_key", "user"], name="watch_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} watches {self.subject_type} {self.subject_key}"


class WebhookKind(models.TextChoices):
    SLACK = "slack", "Slack incoming webhook"
    TEAMS = "teams", "Microsoft Teams workflow"
    GENERIC = "generic", "Generic JSON webhook (HMAC-signed)"


class WebhookDestination(models.Model):
    """Where notices are posted: a Slack incoming webhook, a Teams workflow or a generic JSON
    webhook. The URL carries the receiver's credential (Slack and Teams put the token in it), so
    it is sealed at rest like the generic webhook's signing secret; ``url_hint`` is what may be
    shown of it."""

    audit_type = "webhook"

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=8, choices=WebhookKind.choices)
    url = SealedTextField()
    url_hint = models.CharField(max_length=120)
    signing_secret = SealedTextField(blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> str:
        return self.slug

    @property
    def address(self) -> str:
        """The outbox destination of its deliveries (retries and circuits are per address)."""
        return f"webhook:{self.pk}"


class WebhookRoute(models.Model):
    """Which notices go to a destination: a topic pattern (``incident.declared``,
    ``incident.*`` or ``*``) and optional filters; an empty filter matches everything."""

    destination = models.ForeignKey(
        WebhookDestination, on_delete=models.CASCADE, related_name="routes"
    )
    topic = models.CharField(max_length=80)
    services = models.JSONField(default=list, blank=True)
    teams = models.JSONField(default=list, blank=True)
    severities = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["destination_id", "id"]

    def __str__(self) -> str:
        return f"{self.topic} -> {self.destination_id}"
