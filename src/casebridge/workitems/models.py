"""Work items: what development does. One per defect, feature request or improvement."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Category(models.TextChoices):
    BUG = "bug", "Bug"
    FEATURE = "feature", "Feature request"
    IMPROVEMENT = "improvement", "Improvement"


KEY_PREFIX = {Category.BUG: "BUG", Category.FEATURE: "FR", Category.IMPROVEMENT: "IMP"}
#: Where each category's workflow starts (``workitems.definitions`` uses it as ``initial``).
INITIAL_STATUS = {
    Category.BUG: "new",
    Category.FEATURE: "submitted",
    Category.IMPROVEMENT: "proposed",
}


class Priority(models.TextChoices):
    CRITICAL = "critical", "Critical"
    MAJOR = "major", "Major"
    MINOR = "minor", "Minor"


PRIORITY_RANK = {"critical": 3, "major": 2, "minor": 1, "": 0}


class Decision(models.TextChoices):
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"
    DEFER = "defer", "Defer"


class ImprovementArea(models.TextChoices):
    CONFIGURATION = "configuration", "Configuration"
    PERFORMANCE = "performance", "Performance"
    RELIABILITY = "reliability", "Reliability"
    AUTOMATION = "automation", "Automation"
    PROCESS = "process", "Process"


class WorkItem(models.Model):
    audit_type = "work_item"

    key = models.CharField(max_length=20, unique=True)
    category = models.CharField(max_length=12, choices=Category.choices)
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=32, default="new")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    # Where the problem lives.
    service = models.ForeignKey(
        "catalog.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    component = models.ForeignKey(
        "catalog.Component", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    environment = models.CharField(max_length=16, blank=True, default="")
    version = models.CharField(max_length=64, blank=True, default="")

    # The documentation the escalation gate asked for (which fields depend on the category).
    description = models.TextField(blank=True, default="")
    steps_to_reproduce = models.TextField(blank=True, default="")
    expected_result = models.TextField(blank=True, default="")
    actual_result = models.TextField(blank=True, default="")
    log_excerpt = models.TextField(blank=True, default="")
    justification = models.TextField(blank=True, default="")
    impact_assessment = models.TextField(blank=True, default="")
    rationale = models.TextField(blank=True, default="")
    expected_benefit = models.TextField(blank=True, default="")
    area = models.CharField(max_length=16, choices=ImprovementArea.choices, blank=True, default="")

    # Triage and planning.
    priority = models.CharField(max_length=8, choices=Priority.choices, blank=True, default="")
    impact = models.TextField(blank=True, default="", help_text="The RTE's impact statement.")
    sprint = models.ForeignKey(
        "sprints.Sprint", null=True, blank=True, on_delete=models.PROTECT, related_name="items"
    )
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="work_items",
        help_text="The implementing team (improvements: DevOps or a development team).",
    )
    estimate = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Size in the planning team's unit (story points or hours); set for planning.",
    )

    # Who works on it, under whose guidance, and who reviewed it.
    assignees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="assigned_work_items"
    )
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    # Release and validation.
    release_version = models.CharField(max_length=64, blank=True, default="")
    deployed_environment = models.CharField(max_length=16, blank=True, default="")
    reopen_count = models.PositiveIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)

    #: A pull request or branch where the work happens (an http(s) URL set by hand; pull
    #: requests reported by a repository are ``integrations.delivery.PullRequestLink`` rows).
    dev_link = models.CharField(max_length=1000, blank=True, default="")

    # Outcomes that point elsewhere.
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates"
    )
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="supersedes"
    )

    # Feature request and improvement review: one decision per reviewing role.
    pm_decision = models.CharField(max_length=8, choices=Decision.choices, blank=True, default="")
    pm_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rte_decision = models.CharField(max_length=8, choices=Decision.choices, blank=True, default="")
    rte_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    #: The reason of each role's decision of this review round, and of the latest decision.
    pm_decision_reason = models.TextField(blank=True, default="")
    rte_decision_reason = models.TextField(blank=True, default="")
    decision_reason = models.TextField(blank=True, default="")
    revisit_on = models.DateField(null=True, blank=True)

    # WSJF inputs (feature requests and improvements).
    business_value = models.PositiveSmallIntegerField(null=True, blank=True)
    time_criticality = models.PositiveSmallIntegerField(null=True, blank=True)
    risk_reduction = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Risk reduction / opportunity enablement."
    )
    job_size = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["category", "status", "created_at"], name="workitem_board"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(category__in=["bug", "feature", "improvement"]),
                name="workitem_category_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    @property
    def wsjf(self) -> float | None:
        """(business value + time criticality + risk reduction) / job size."""
        parts = (self.business_value, self.time_criticality, self.risk_reduction, self.job_size)
        if any(p is None for p in parts) or not self.job_size:
            return None
        return round(
            ((self.business_value or 0) + (self.time_criticality or 0) + (self.risk_reduction or 0))
            / self.job_size,
            2,
        )


class TestResult(models.TextChoices):
    PASS = "pass", "Passed"
    FAIL = "fail", "Failed"


class TestRecord(models.Model):
    """Test evidence recorded against a work item: what was tested, how, and the outcome."""

    work_item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="test_records")
    result = models.CharField(max_length=4, choices=TestResult.choices)
    evidence = models.TextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.work_item_id} {self.result}"


class WorkItemComment(models.Model):
    """A comment on a work item: the development side's conversation, internal to staff
    (customers and partners never see work items). ``@username`` mentions are notified."""

    work_item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.work_item_id} comment {self.pk}"


class PolicyCode(models.TextChoices):
    CRITICAL_NEEDS_SENIOR = "critical_needs_senior", "1. A critical bug needs an L3+ assignee"
    JUNIOR_NEEDS_MENTOR = "junior_needs_mentor", "2. An L1 developer works only with an L3+ mentor"
    ASSOCIATE_SOLO = "associate_solo", "3. L2 developers take minor and major bugs on their own"
    CRITICAL_COMPONENT = "critical_component", "4. A critical component needs an L3+ assignee"
    INDEPENDENT_REVIEW = (
        "independent_review",
        "5. A reviewer is never an assignee; critical items need an L3+ reviewer",
    )
    INCIDENT_LEAD = "incident_lead", "6. An incident's lead is L3+"
    INCIDENT_OWNER = "incident_owner", "6. A sev-1 incident has an L4 accountable owner"
    REVIEW_LEAD = "review_lead", "7. A post-incident review is led by an L3+ developer"
    ANOMALY_RESPONDER = (
        "anomaly_responder",
        "8. Anomalies reported by L1 staff are routed to an L2+ responder",
    )


class LadderPolicy(models.Model):
    """An admin's setting of one developer-ladder policy; without a row the default applies."""

    audit_type = "ladder_policy"

    code = models.CharField(max_length=24, primary_key=True, choices=PolicyCode.choices)
    enabled = models.BooleanField(default=True)
    min_level = models.PositiveSmallIntegerField(
        default=3, help_text="The senior level the policy asks for (1-4)."
    )

    class Meta:
        verbose_name_plural = "ladder policies"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_level__gte=1, min_level__lte=4), name="policy_level_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_code_display()} ({'on' if self.enabled else 'off'})"

    @property
    def key(self) -> str:
        return self.code


class EscalationPolicy(models.Model):
    """What a category needs before escalation (and re-categorisation). Without a row, the
    defaults in ``workitems.documentation`` apply."""

    audit_type = "escalation_gate"

    category = models.CharField(max_length=12, primary_key=True)
    required = models.JSONField(
        help_text="Codes of the required items, see workitems.documentation."
    )

    class Meta:
        verbose_name_plural = "escalation policies"

    def __str__(self) -> str:
        return f"{self.category}: {', '.join(self.required)}"

    @property
    def key(self) -> str:
        return self.category
