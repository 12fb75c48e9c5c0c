"""SLA calendars, policies, organisations' contract tiers and the clocks kept per case."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from casebridge.sla.clocks import Kind, State


class Calendar(models.Model):
    """Business hours: a time zone, weekly spans, holidays (a country's and the team's own)."""

    audit_type = "sla_calendar"

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    timezone = models.CharField(max_length=64, default="UTC")
    always_open = models.BooleanField(default=False, help_text="24x7: every minute counts.")
    #: {"mon": [["08:00", "18:00"]], ...}; a day not named is closed
    hours = models.JSONField(default=dict, blank=True)
    holiday_country = models.CharField(max_length=2, blank=True, default="")
    holiday_subdivision = models.CharField(max_length=10, blank=True, default="")
    #: the team's own closed days, ISO dates
    extra_holidays = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> str:
        return self.slug


class EscalationAction(models.TextChoices):
    NONE = "", "None"
    RAISE_IMPACT = "raise_impact", "Raise the case's impact one step"
    NOTIFY_LEAD = "notify_lead", "Raise to the L2 lead"


class Policy(models.Model):
    """Targets for the cases that match its conditions; the first match by position wins."""

    audit_type = "sla_policy"

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    position = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)
    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="policies")
    # Conditions: an empty list matches anything.
    impacts = models.JSONField(default=list, blank=True)
    sources = models.JSONField(default=list, blank=True)
    organisations = models.JSONField(default=list, blank=True, help_text="Organisation slugs.")
    tiers = models.JSONField(default=list, blank=True, help_text="Contract tiers.")
    services = models.JSONField(default=list, blank=True, help_text="Service slugs.")
    # Targets in business minutes; null: no such clock.
    first_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    triage_minutes = models.PositiveIntegerField(null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(null=True, blank=True)
    warn_percent = models.PositiveSmallIntegerField(default=75)
    pause_states = models.JSONField(default=list, blank=True)
    customer_visible = models.BooleanField(
        default=False, help_text="Customers see the commitments (targets and due times)."
    )
    escalation_action = models.CharField(
        max_length=16, choices=EscalationAction.choices, blank=True, default=""
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The L2 lead told of warnings and breaches.",
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(warn_percent__gte=1, warn_percent__lte=99),
                name="sla_policy_warn_percent",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> str:
        return self.slug


class ContractTier(models.Model):
    """An organisation's contract tier (gold, silver, ...), which policies may name."""

    organisation = models.OneToOneField(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="sla_tier"
    )
    tier = models.SlugField(max_length=30)

    def __str__(self) -> str:
        return f"{self.organisation_id}:{self.tier}"


class Clock(models.Model):
    """A case's clock for one target, as ``sla.clocks.compute_clock`` last computed it."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="sla_clocks")
    kind = models.CharField(max_length=16, choices=[(k.value, k.value) for k in Kind])
    policy = models.ForeignKey(Policy, null=True, on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(max_length=10, choices=[(s.value, s.value) for s in State])
    target_seconds = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    elapsed_seconds = models.PositiveIntegerField(default=0)
    remaining_seconds = models.PositiveIntegerField(default=0)
    paused_seconds = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()
    #: each warning and breach acts once per clock
    warned_at = models.DateTimeField(null=True, blank=True)
    breach_acted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["case_id", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["case", "kind"], name="sla_clock_case_kind"),
        ]
        indexes = [
            # the periodic tick: clocks not yet acted on whose warning or breach time has come
            models.Index(
                fields=["warn_at"],
                name="sla_clock_warn_due",
                condition=models.Q(warned_at__isnull=True, state="running"),
            ),
            models.Index(
                fields=["due_at"],
                name="sla_clock_breach_due",
                condition=models.Q(breach_acted_at__isnull=True, state__in=["running", "breached"]),
            ),
            models.Index(fields=["policy", "kind", "state"], name="sla_clock_policy"),
            # the support report's compliance: clocks that ended (met or breached) in a window,
            # counted per policy and kind from the index alone
            models.Index(fields=["state", "stopped_at", "policy", "kind"], name="sla_clock_met"),
            models.Index(
                fields=["state", "breached_at", "policy", "kind"], name="sla_clock_breached_by"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.state}"


class TickCursor(models.Model):
    """Where the periodic tick stands: the last audit event read (``audit``), and the open cases
    still to recompute after a policy change (``policies``)."""

    name = models.CharField(max_length=20, unique=True)
    last_id = models.BigIntegerField(default=0)
    pending = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.name}@{self.last_id}"


class ItemPolicy(models.Model):
    """A fix target for work items (e.g. a critical bug fixed within 2 business days), chosen by
    category and priority; the first match by position wins."""

    audit_type = "sla_item_policy"

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    position = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)
    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="item_policies")
    #: empty: any category / any priority
    categories = models.JSONField(default=list, blank=True)
    priorities = models.JSONField(default=list, blank=True)
    fix_minutes = models.PositiveIntegerField(help_text="Business minutes from creation to done.")
    warn_percent = models.PositiveSmallIntegerField(default=75)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Told of warnings and breaches, besides the assignees.",
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "item policies"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(warn_percent__gte=1, warn_percent__lte=99),
                name="sla_item_policy_warn_percent",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> str:
        return self.slug


class ItemClock(models.Model):
    """A work item's fix clock, as ``sla.clocks.compute_clock`` last computed it."""

    #: computed as a case's resolution clock is (from creation to done)
    kind = Kind.RESOLUTION.value

    work_item = models.OneToOneField(
        "workitems.WorkItem", on_delete=models.CASCADE, related_name="sla_clock"
    )
    policy = models.ForeignKey(ItemPolicy, null=True, on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(max_length=10, choices=[(s.value, s.value) for s in State])
    target_seconds = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    elapsed_seconds = models.PositiveIntegerField(default=0)
    remaining_seconds = models.PositiveIntegerField(default=0)
    paused_seconds = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()
    warned_at = models.DateTimeField(null=True, blank=True)
    breach_acted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["work_item_id"]
        indexes = [
            models.Index(
                fields=["warn_at"],
                name="sla_item_warn_due",
                condition=models.Q(warned_at__isnull=True, state="running"),
            ),
            models.Index(
                fields=["due_at"],
                name="sla_item_breach_due",
                condition=models.Q(breach_acted_at__isnull=True, state__in=["running", "breached"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.work_item_id} fix {self.state}"
