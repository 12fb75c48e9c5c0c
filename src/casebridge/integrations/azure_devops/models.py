"""Connections to Azure DevOps: one per Casebridge team, per category, or per team and category
(or one for everything), each to one project with its own token, types, paths and mapping."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from casebridge.core.secrets import SealedTextField


class Process(models.TextChoices):
    AGILE = "agile", "Agile"
    SCRUM = "scrum", "Scrum"
    BASIC = "basic", "Basic"
    CMMI = "cmmi", "CMMI"


class Deployment(models.TextChoices):
    SERVICES = "services", "Azure DevOps Services"
    SERVER = "server", "Azure DevOps Server"


class Connection(models.Model):
    """The personal access token is either sealed here (``pat``) or read from the environment
    variable ``pat_env`` at each use; only its last four characters (``pat_hint``) are ever shown.
    The service hooks' basic-auth secret is the ``hook_source``'s (a delivery source of kind
    ``azure-devops`` with this connection's slug)."""

    audit_type = "azure_devops_connection"

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    category = models.CharField(
        max_length=12, blank=True, default="", help_text="Empty: every category."
    )
    organization_url = models.CharField(max_length=300)
    deployment = models.CharField(max_length=8, choices=Deployment.choices)
    project = models.CharField(max_length=64)
    project_id = models.CharField(max_length=64, blank=True, default="")
    process = models.CharField(max_length=8, choices=Process.choices)
    pat = SealedTextField(blank=True, default="")
    pat_env = models.CharField(max_length=128, blank=True, default="")
    pat_hint = models.CharField(max_length=8, blank=True, default="")
    service_account = models.CharField(
        max_length=200, blank=True, default="", help_text="Who the token acts as in Azure DevOps."
    )
    area_path = models.CharField(max_length=400)
    iteration_path = models.CharField(max_length=400)
    mapping = models.JSONField(default=dict, help_text="Per category: type, states, fields.")
    iterations = models.JSONField(
        default=dict,
        blank=True,
        help_text="Iteration path -> sprint ('team-slug/Sprint name'; '' = no sprint). Paths not "
        "given match a sprint of the item's team by their last segment.",
    )
    hook_source = models.OneToOneField(
        "delivery.DeliverySource", on_delete=models.PROTECT, related_name="connection"
    )
    watermark = models.DateTimeField(
        null=True, blank=True, help_text="Changes up to here are known (the reconcile job's)."
    )
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(~models.Q(pat="") & models.Q(pat_env=""))
                | (models.Q(pat="") & ~models.Q(pat_env="")),
                name="connection_one_token_source",
            ),
            models.CheckConstraint(
                condition=models.Q(category__in=["", "bug", "feature", "improvement"]),
                name="connection_category_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(process__in=["agile", "scrum", "basic", "cmmi"]),
                name="connection_process_valid",
            ),
            models.UniqueConstraint(
                fields=["team", "category"],
                condition=models.Q(team__isnull=False),
                name="connection_one_per_team_category",
            ),
            models.UniqueConstraint(
                fields=["category"],
                condition=models.Q(team__isnull=True),
                name="connection_one_per_category",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organization_url}/{self.project})"

    @property
    def key(self) -> str:
        return self.slug

    @property
    def categories(self) -> tuple[str, ...]:
        return (self.category,) if self.category else ("bug", "feature", "improvement")

    @property
    def scope(self) -> str:
        """What the connection is for, in words."""
        team = self.team.name if self.team_id and self.team else "every team"
        category = f"{self.category}s" if self.category else "every category"
        return f"{category} of {team}"


class LinkState(models.TextChoices):
    PENDING = "pending", "Waiting to be created in Azure DevOps"
    SYNCED = "synced", "In step"
    CONFLICT = "conflict", "Sync conflict: the RTE decides"
    ERROR = "error", "Failing: see the error"


class WorkItemLink(models.Model):
    """One Casebridge work item and its Azure DevOps work item.

    ``synced`` holds the values both sides last agreed on, by Azure DevOps field reference name
    (``System.State``, ``System.Title``, ...): a side whose value differs from it changed since.
    ``own_revs`` are the revisions our own writes made (an echo of one is ignored)."""

    audit_type = "azure_devops_link"

    work_item = models.OneToOneField(
        "workitems.WorkItem", on_delete=models.CASCADE, related_name="azure_devops"
    )
    connection = models.ForeignKey(Connection, on_delete=models.PROTECT, related_name="links")
    ado_id = models.PositiveIntegerField(null=True, blank=True)
    rev = models.PositiveIntegerField(default=0)
    url = models.CharField(max_length=500, blank=True, default="")
    synced = models.JSONField(default=dict)
    own_revs = models.JSONField(default=list)
    iteration_path = models.CharField(max_length=400, blank=True, default="")
    assigned_to = models.CharField(max_length=200, blank=True, default="")
    state = models.CharField(max_length=8, choices=LinkState.choices, default=LinkState.PENDING)
    last_error = models.TextField(blank=True, default="")
    note = models.CharField(
        max_length=500, blank=True, default="", help_text="What the sync left out, and why."
    )
    created_at = models.DateTimeField()
    synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "ado_id"],
                condition=models.Q(ado_id__isnull=False),
                name="ado_link_one_per_remote_item",
            )
        ]

    def __str__(self) -> str:
        return f"{self.work_item_id} <-> #{self.ado_id}"

    @property
    def key(self) -> str:
        return f"{self.connection.slug}#{self.ado_id or '-'}"


class ConflictKind(models.TextChoices):
    REFUSED = "refused", "A change our rules refuse"
    NO_ACTION = "no_action", "No workflow action leads there"
    UNKNOWN_PERSON = "unknown_person", "Made by someone Casebridge does not know"
    BOTH_CHANGED = "both_changed", "Changed on both sides"
    DELETED = "deleted", "Deleted in Azure DevOps"


class SyncConflict(models.Model):
    """A change from Azure DevOps that Casebridge did not apply, with the reasons, until the RTE
    resolves it: push Casebridge's values back (``ours``), try the change again (``retry``, after
    fixing what refused it), or ``dismiss`` it."""

    audit_type = "azure_devops_conflict"

    link = models.ForeignKey(WorkItemLink, on_delete=models.CASCADE, related_name="conflicts")
    kind = models.CharField(max_length=16, choices=ConflictKind.choices)
    ado_rev = models.PositiveIntegerField()
    summary = models.CharField(max_length=300)
    reasons = models.JSONField(default=list)
    theirs = models.JSONField(default=dict)
    ours = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution = models.CharField(max_length=8, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["resolved_at", "created_at"], name="ado_conflict_open")]

    def __str__(self) -> str:
        return f"{self.link_id} {self.kind} r{self.ado_rev}"

    @property
    def key(self) -> str:
        return str(self.pk)


class SyncedComment(models.Model):
    """A comment that crossed: a case comment posted to Azure DevOps, or an Azure DevOps comment
    copied to the linked cases (each at most once)."""

    link = models.ForeignKey(WorkItemLink, on_delete=models.CASCADE, related_name="comments")
    ado_comment_id = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty while a case comment is being posted."
    )
    case_comment = models.ForeignKey(
        "cases.Comment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    origin = models.CharField(max_length=12)  # "casebridge" or "azure_devops"
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["link", "ado_comment_id"], name="synced_comment_once"),
            models.UniqueConstraint(
                fields=["case_comment"],
                condition=models.Q(case_comment__isnull=False),
                name="synced_case_comment_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.link_id} comment {self.ado_comment_id} ({self.origin})"
