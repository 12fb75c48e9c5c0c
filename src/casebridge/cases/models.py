"""Cases: what was reported. One per report; many cases may follow one work item."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from casebridge.catalog.models import Environment


class Source(models.TextChoices):
    L1_AGENT = "l1_agent", "L1 agent"
    PORTAL = "portal", "Customer portal"
    PARTNER = "partner", "Partner"
    STAFF = "staff", "Support staff"
    EMAIL = "email", "E-mail"
    MONITORING = "monitoring", "Monitoring"
    API = "api", "API"
    CLI = "cli", "CLI"


class CaseState(models.TextChoices):
    NEW = "new", "New"
    INVESTIGATING = "investigating", "Investigating"
    WAITING_ON_REPORTER = "waiting_on_reporter", "Waiting on reporter"
    ESCALATED = "escalated", "Escalated"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


OPEN_STATES = (CaseState.NEW, CaseState.INVESTIGATING, CaseState.WAITING_ON_REPORTER)


class Resolution(models.TextChoices):
    KNOWN_FIX = "known_fix", "Known fix applied"
    NO_FAULT = "no_fault", "No fault found"
    DUPLICATE = "duplicate", "Duplicate"
    FIXED = "fixed", "Fixed by development"
    INCIDENT = "incident", "Resolved with its incident"


class Impact(models.TextChoices):
    LOW = "low", "Low: one user, workaround exists"
    MEDIUM = "medium", "Medium: several users or degraded"
    HIGH = "high", "High: many customers or a key function down"
    CRITICAL = "critical", "Critical: outage or data at risk"


#: Impact as a number, highest first in the queue's "impact" sort (an index holds the expression).
IMPACT_RANK = models.Case(
    models.When(impact="critical", then=models.Value(4)),
    models.When(impact="high", then=models.Value(3)),
    models.When(impact="medium", then=models.Value(2)),
    default=models.Value(1),
    output_field=models.IntegerField(),
)


class Case(models.Model):
    audit_type = "case"

    key = models.CharField(max_length=20, unique=True)
    number = models.PositiveBigIntegerField(unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    source = models.CharField(max_length=12, choices=Source.choices)
    state = models.CharField(max_length=20, choices=CaseState.choices, default=CaseState.NEW)
    resolution = models.CharField(max_length=12, choices=Resolution.choices, blank=True, default="")

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reported_cases"
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="logged_cases",
        help_text="Who entered the case (an agent logging a call for its reporter, or the "
        "reporter themselves).",
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_cases",
    )

    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="cases")
    component = models.ForeignKey(
        "catalog.Component", null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    environment = models.CharField(max_length=16, choices=Environment.choices)
    version = models.CharField(max_length=64, blank=True, default="")
    impact = models.CharField(max_length=10, choices=Impact.choices, default=Impact.MEDIUM)

    # How it ended.
    known_resolution = models.ForeignKey(
        "knowledge.KnownResolution",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    action_taken = models.TextField(blank=True, default="")
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates"
    )
    resolution_note = models.TextField(blank=True, default="")
    fixed_version = models.CharField(
        max_length=64, blank=True, default="", help_text="The release that fixed it."
    )
    work_item = models.ForeignKey(
        "workitems.WorkItem", null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    reopen_count = models.PositiveIntegerField(default=0)
    # The SLA app's summary of the case's clocks, for the queue (sorting and the time-to-breach
    # cell need no join): the earliest due time and warning time of its running clocks, and
    # whether a clock is paused with none running. Written only by ``case_sla_summary_set``.
    sla_due_at = models.DateTimeField(null=True, blank=True)
    sla_warn_at = models.DateTimeField(null=True, blank=True)
    sla_paused = models.BooleanField(default=False)

    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["state", "created_at"], name="case_queue"),
            models.Index(fields=["service", "state", "created_at"], name="case_queue_service"),
            models.Index(fields=["source", "state", "created_at"], name="case_queue_source"),
            models.Index(fields=["organisation", "created_at"], name="case_org"),
            models.Index(fields=["owner", "state"], name="case_owner"),
            models.Index(fields=["state", "sla_due_at", "created_at"], name="case_queue_breach"),
            models.Index(
                models.F("state"),
                IMPACT_RANK.desc(),
                models.F("created_at"),
                name="case_queue_impact",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=[s.value for s in CaseState]), name="case_state_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(state__in=["resolved", "closed"]) | ~models.Q(resolution=""),
                name="case_resolved_has_resolution",
            ),
            models.CheckConstraint(
                condition=~models.Q(resolution="known_fix")
                | models.Q(known_resolution__isnull=False),
                name="case_known_fix_names_resolution",
            ),
            models.CheckConstraint(
                condition=~models.Q(resolution="duplicate") | models.Q(duplicate_of__isnull=False),
                name="case_duplicate_names_case",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="escalated") | models.Q(work_item__isnull=False),
                name="case_escalated_has_work_item",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"


class Comment(models.Model):
    audit_type = "comment"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    internal = models.BooleanField(default=False, help_text="Never shown to customers or partners.")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="comment_case")]

    def __str__(self) -> str:
        return f"{self.case_id} comment {self.pk}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{instance.case.key}/{instance.sha256[:16]}"


class Attachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=255)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    is_log = models.BooleanField(default=False)
    internal = models.BooleanField(default=False, help_text="Never shown to customers or partners.")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.filename


class Watcher(models.Model):
    """Someone who follows a case and is notified of its progress (besides the reporter)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="watchers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "user"], name="watcher_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} watches {self.case_id}"


class CasePolicy(models.Model):
    """Settings of the case workflow an administrator edits (one row, ``default``). Without a
    row, ``CASEBRIDGE_CASE_AUTO_CLOSE_DAYS`` (settings.CASE_AUTO_CLOSE_DAYS) is the default."""

    audit_type = "case_policy"

    name = models.CharField(max_length=20, primary_key=True, default="default")
    auto_close_days = models.PositiveSmallIntegerField(
        help_text="Days a resolved case stays open for the reporter before it closes."
    )

    class Meta:
        verbose_name_plural = "case policy"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(auto_close_days__gte=1, auto_close_days__lte=365),
                name="case_auto_close_range",
            )
        ]

    def __str__(self) -> str:
        return f"close after {self.auto_close_days} days"

    @property
    def key(self) -> str:
        return self.name
