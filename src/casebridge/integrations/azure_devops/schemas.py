"""Schemas of /api/v1/azure-devops. The token never appears in an answer: only where it comes from
and its last four characters. The service hooks' secret appears once, when the connection is
made."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from casebridge.core.schemas import InputSchema
from casebridge.integrations.azure_devops.models import Connection, SyncConflict, WorkItemLink
from casebridge.integrations.azure_devops.selectors import ConnectionStatus


class ConnectionIn(InputSchema):
    name: str = Field(min_length=1, max_length=120)
    organization_url: str = Field(
        max_length=300,
        description="https://dev.azure.com/{organization} or https://{server}/tfs/{collection}",
    )
    project: str = Field(max_length=64)
    pat: str = Field(default="", max_length=512, description="The token, sealed at rest; or")
    pat_env: str = Field(default="", max_length=128, description="the variable holding it")
    slug: str = Field(default="", max_length=64)
    team: str = Field(default="", description="Team slug; empty for every team")
    category: Literal["", "bug", "feature", "improvement"] = ""
    process: Literal["", "agile", "scrum", "basic", "cmmi"] = Field(
        default="", description="Empty: read from the project"
    )
    area_path: str = Field(default="", max_length=400)
    iteration_path: str = Field(default="", max_length=400)
    types: dict[str, str] = Field(
        default_factory=dict,
        description="Category -> work item type, e.g. {'improvement': 'Issue'}",
    )


class MappingIn(InputSchema):
    type: str = Field(default="", description="A new work item type starts from its defaults")
    to_ado: dict[str, str] = Field(default_factory=dict, description="Casebridge state -> ADO")
    from_ado: dict[str, str] = Field(default_factory=dict, description="ADO state -> Casebridge")
    fields: dict[str, str] = Field(default_factory=dict, description="Field -> reference name")
    iterations: dict[str, str | None] = Field(
        default_factory=dict,
        description="The connection's iterations: path -> 'team-slug/Sprint name', '' for no "
        "sprint, null to drop the entry",
    )
    reset: bool = False


class ConnectionOut(Schema):
    slug: str
    name: str
    team: str | None
    category: str
    scope: str
    organization_url: str
    deployment: str
    project: str
    project_id: str
    process: str
    token: str = Field(description="Where the token comes from: 'sealed …abcd' or 'env:NAME'")
    service_account: str
    area_path: str
    iteration_path: str
    mapping: dict[str, object]
    iterations: dict[str, str] = Field(description="Iteration path -> sprint ('' = no sprint)")
    hook_url: str
    hook_secret_hint: str
    watermark: datetime | None
    last_synced_at: datetime | None
    last_error: str
    enabled: bool
    created_at: datetime
    pending_hooks: int | None = None
    failed_hooks: int | None = None
    last_hook_at: datetime | None = None

    @staticmethod
    def of(connection: Connection, status: ConnectionStatus | None = None) -> ConnectionOut:
        return ConnectionOut(
            slug=connection.slug,
            name=connection.name,
            team=connection.team.slug if connection.team else None,
            category=connection.category,
            scope=connection.scope,
            organization_url=connection.organization_url,
            deployment=connection.deployment,
            project=connection.project,
            project_id=connection.project_id,
            process=connection.process,
            iterations=dict(connection.iterations or {}),
            token=token_source(connection),
            service_account=connection.service_account,
            area_path=connection.area_path,
            iteration_path=connection.iteration_path,
            mapping=connection.mapping,
            hook_url=connection.hook_source.door,
            hook_secret_hint=connection.hook_source.secret_hint,
            watermark=connection.watermark,
            last_synced_at=connection.last_synced_at,
            last_error=connection.last_error,
            enabled=connection.enabled,
            created_at=connection.created_at,
            pending_hooks=status.pending_hooks if status else None,
            failed_hooks=status.failed_hooks if status else None,
            last_hook_at=status.last_hook_at if status else None,
        )


class ConnectionCreatedOut(ConnectionOut):
    hook_secret: str = Field(
        description="Shown this once: the password of the service hooks' basic authentication"
    )


def token_source(connection: Connection) -> str:
    return f"env:{connection.pat_env}" if connection.pat_env else f"sealed {connection.pat_hint}"


class ConflictOut(Schema):
    id: int
    work_item: str
    connection: str
    ado_id: int | None
    ado_url: str
    kind: str
    summary: str
    reasons: list[dict[str, str | None]]
    theirs: dict[str, object]
    ours: dict[str, object]
    ado_rev: int
    created_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str

    @classmethod
    def of(cls, conflict: SyncConflict) -> ConflictOut:
        link = conflict.link
        return cls(
            id=conflict.pk,
            work_item=link.work_item.key,
            connection=link.connection.slug,
            ado_id=link.ado_id,
            ado_url=link.url,
            kind=conflict.kind,
            summary=conflict.summary,
            reasons=list(conflict.reasons),
            theirs=dict(conflict.theirs),
            ours=dict(conflict.ours),
            ado_rev=conflict.ado_rev,
            created_at=conflict.created_at,
            resolved_at=conflict.resolved_at,
            resolved_by=conflict.resolved_by.username if conflict.resolved_by else None,
            resolution=conflict.resolution,
        )


class ConflictResolveIn(InputSchema):
    resolution: Literal["ours", "retry"] = Field(
        description="ours: Casebridge's value stands and is pushed; retry: apply theirs again"
    )
    note: str = Field(default="", max_length=2000)


class SyncLinkOut(Schema):
    work_item: str
    connection: str
    ado_id: int | None
    ado_url: str
    rev: int
    state: str
    assigned_to: str
    iteration_path: str
    last_error: str
    note: str = Field(description="What the sync left out, and why (an unknown iteration, ...)")
    synced_at: datetime | None
    open_conflicts: int


class ImportIn(InputSchema):
    connection: str = Field(max_length=64, description="The connection's slug")
    azure_devops: str = Field(max_length=500, description="123, AB#123 or the item's URL")
    category: Literal["bug", "feature", "improvement"] = "bug"


class LinkIn(InputSchema):
    work_item: str = Field(max_length=20, description="BUG-7, FR-3, IMP-2")
    azure_devops: str = Field(max_length=500, description="123, AB#123 or the item's URL")


def link_out(link: WorkItemLink) -> SyncLinkOut:
    return SyncLinkOut(
        work_item=link.work_item.key,
        connection=link.connection.slug,
        ado_id=link.ado_id,
        ado_url=link.url,
        rev=link.rev,
        state=link.state,
        assigned_to=link.assigned_to,
        iteration_path=link.iteration_path,
        last_error=link.last_error,
        note=link.note,
        synced_at=link.synced_at,
        open_conflicts=link.conflicts.filter(resolved_at__isnull=True).count(),
    )
