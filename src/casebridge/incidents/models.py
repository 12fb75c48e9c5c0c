"""Incidents: declared from a case or an alert group, run by a lead, reviewed after, and closed
only when every action item of the review is a work item with an owner."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Severity(models.TextChoices):
    SEV1 = "sev1", "SEV-1 (critical)"
    SEV2 = "sev2", "SEV-2 (major)"
    SEV3 = "sev3", "SEV-3 (minor)"


#: A severity is a priority: the work items' scale (PRODUCT §4), so reports speak one language.
PRIORITY_OF_SEVERITY = {Severity.SEV1: "critical", Severity.SEV2: "major", Severity.SEV3: "minor"}


class IncidentState(models.TextChoices):
    ACTIVE = "active", "Active"
    MITIGATED = "mitigated", "Mitigated"
    RESOLVED = "resolved", "Resolved"
    IN_REVIEW = "in_review", "In review"
    CLOSED = "closed", "Closed"


#: Service still hurt: these make a service's health "incident".
IMPACTING_STATES = (IncidentState.ACTIVE, IncidentState.MITIGATED)


class Incident(models.Model):
    audit_type = "incident"

    key = models.CharField(max_length=20, unique=True)
    number = models.PositiveBigIntegerField(unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True, default="")
    severity = models.CharField(max_length=4, choices=Severity.choices)
    priority = models.CharField(max_length=8)
    state = models.CharField(
        max_length=10, choices=IncidentState.choices, default=IncidentState.ACTIVE
    )
    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="incidents"
    )
    alert_group = models.ForeignKey(
        "monitoring.AlertGroup",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
    )
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The accountable owner (an L4 for a sev-1).",
    )
    scribe = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    comms = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The communications contact, from support.",
    )
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    declared_at = models.DateTimeField()
    mitigated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-declared_at", "-id"]
        indexes = [
            models.Index(fields=["state", "declared_at"], name="incident_state"),
            models.Index(fields=["service", "state"], name="incident_service"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(severity__in=["sev1", "sev2", "sev3"]),
                name="incident_severity_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    state__in=["active", "mitigated", "resolved", "in_review", "closed"]
                ),
                name="incident_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"


class Participant(models.Model):
    """Someone working the incident. An L1 developer works under a named guide (policy 2)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    guide = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    joined_at = models.DateTimeField()

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "user"], name="participant_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.incident_id}"


class EntryKind(models.TextChoices):
    DECLARED = "declared", "Declared"
    STATE = "state", "State"
    ROLE = "role", "Role"
    SEVERITY = "severity", "Severity"
    ALERT = "alert", "Alert"
    NOTE = "note", "Note"
    REVIEW = "review", "Review"
    ACTION_ITEM = "action_item", "Action item"


class TimelineEntry(models.Model):
    """The incident's story: automatic entries (alerts, states, roles) and people's notes."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField()
    kind = models.CharField(max_length=12, choices=EntryKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["incident", "id"], name="timeline_incident")]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.kind} {self.text[:40]}"


class Review(models.Model):
    """The post-incident review, led by an L3+ developer (policy 7)."""

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="review")
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    summary = models.TextField(blank=True, default="")
    root_cause = models.TextField(blank=True, default="")
    impact = models.TextField(blank=True, default="", help_text="Who and what was hurt, and how.")
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    customers_affected = models.PositiveIntegerField(null=True, blank=True)
    went_well = models.TextField(blank=True, default="")
    went_badly = models.TextField(blank=True, default="")
    started_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"review of {self.incident_id}"


class ActionKind(models.TextChoices):
    IMPROVEMENT = "improvement", "Improvement"
    BUG = "bug", "Bug"


class ActionItem(models.Model):
    """A follow-up of the review; it becomes a work item once it has an owner."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="action_items")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=ActionKind.choices)
    description = models.TextField(blank=True, default="")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    work_item = models.ForeignKey(
        "workitems.WorkItem", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(work_item__isnull=True) | models.Q(owner__isnull=False),
                name="action_item_filed_has_owner",
            )
        ]

    def __str__(self) -> str:
        return self.title


class ProposalState(models.TextChoices):
    OPEN = "open", "Open"
    DECLARED = "declared", "Declared"
    DISMISSED = "dismissed", "Dismissed"


class IncidentProposal(models.Model):
    """An incident the system suggests (an alert storm on a service), for the incident staff to
    declare from its case or dismiss; one per storm."""

    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    storm = models.OneToOneField(
        "monitoring.AlertStorm",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="proposal",
    )
    title = models.CharField(max_length=200)
    reason = models.TextField()
    state = models.CharField(max_length=10, choices=ProposalState.choices, default="open")
    proposed_at = models.DateTimeField()
    storm_ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        indexes = [models.Index(fields=["state", "proposed_at"], name="proposal_state")]

    def __str__(self) -> str:
        return f"proposal {self.pk}: {self.title}"
