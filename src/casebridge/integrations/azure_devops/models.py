"""Connections to Azure DevOps: one per Casebridge team, per category, or per team and category
(or one for everything), each to one project with its own token, types, paths and mapping."""

from __future__ import annotations

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
