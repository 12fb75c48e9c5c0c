from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from casebridge.catalog.schemas import ServiceRef
from casebridge.core.csvexport import ExportFormat
from casebridge.core.schemas import BoundedInt, InputSchema, UserRef
from casebridge.monitoring.intake import signature_header
from casebridge.monitoring.models import AlertGroup, Integration, Payload


class AcceptedOut(Schema):
    status: Literal["accepted"] = "accepted"
    payload: int = Field(description="The stored payload's id")
    alerts: int
    dedup_key: str | None = Field(
        default=None, description="Events: the key of the event (assigned if none was sent)"
    )


class IntegrationIn(InputSchema):
    kind: Literal["alertmanager", "grafana", "events"]
    name: str = Field(min_length=1, max_length=120)
    slug: str = Field(default="", max_length=64)
    service: str = Field(description="Default service slug")
    environment: Literal["production", "staging", "test", "development"] = "production"
    auth: Literal["bearer", "hmac"] = "bearer"
    signature_header: str = Field(default="", max_length=64)
    timestamp_header: str = Field(default="", max_length=64)
    max_body_bytes: BoundedInt = 1024 * 1024
    rate_limit_per_minute: BoundedInt = 1200


class IntegrationOut(Schema):
    slug: str
    name: str
    kind: str
    auth: str
    url: str
    service: ServiceRef
    environment: str
    signature_header: str
    timestamp_header: str
    max_body_bytes: int
    rate_limit_per_minute: int
    grouping_labels: list[str]
    use_group_labels: bool
    storm_threshold: int = Field(description="0: CASEBRIDGE_STORM_GROUPS_PER_MINUTE")
    enabled: bool
    created_at: datetime

    @staticmethod
    def of(integration: Integration) -> IntegrationOut:
        return IntegrationOut(
            slug=integration.slug,
            name=integration.name,
            kind=integration.kind,
            auth=integration.auth,
            url=f"/api/v1/intake/{integration.kind}/{integration.slug}",
            service=ServiceRef(slug=integration.service.slug, name=integration.service.name),
            environment=integration.environment,
            signature_header=signature_header(integration) if integration.auth == "hmac" else "",
            timestamp_header=integration.timestamp_header,
            max_body_bytes=integration.max_body_bytes,
            rate_limit_per_minute=integration.rate_limit_per_minute,
            grouping_labels=list(integration.grouping_labels or []),
            use_group_labels=integration.use_group_labels,
            storm_threshold=integration.storm_threshold,
            enabled=integration.enabled,
            created_at=integration.created_at,
        )


class GroupingIn(InputSchema):
    """What to change of an integration's grouping rules; a field left out stays as it is."""

    grouping_labels: list[str] | None = Field(
        default=None,
        description="Label names whose values make one alert group (empty: one group per alert)",
    )
    use_group_labels: bool | None = Field(
        default=None, description="Group by a webhook's groupLabels when it has them"
    )
    storm_threshold: BoundedInt | None = Field(
        default=None, description="New groups a minute on a service that start a storm; 0: global"
    )


class IntegrationCreatedOut(IntegrationOut):
    secret: str = Field(description="Shown this once: the bearer token or the HMAC secret")


class PayloadOut(Schema):
    id: int
    integration: str
    received_at: datetime
    alerts: int
    state: str
    attempts: int
    error: str
    processed_at: datetime | None

    @staticmethod
    def of(payload: Payload) -> PayloadOut:
        return PayloadOut(
            id=payload.pk,
            integration=payload.integration.slug,
            received_at=payload.received_at,
            alerts=payload.alerts,
            state=payload.state,
            attempts=payload.attempts,
            error=payload.error,
            processed_at=payload.processed_at,
        )


class AlertGroupOut(Schema):
    key: str
    kind: str
    title: str
    status: str
    severity: str
    fingerprint: str
    labels: dict[str, str]
    annotations: dict[str, object]
    service: ServiceRef
    environment: str
    integration: str | None
    starts_at: datetime
    first_seen: datetime
    last_seen: datetime
    resolved_at: datetime | None
    firing_count: int
    resolved_count: int
    alerts_open: int = Field(description="Its alerts (fingerprints) still firing")
    alerts_total: int = Field(description="Its alerts (fingerprints)")
    flapping: bool = Field(description="An alert of it fires again and again: no case reopened")
    storm: bool = Field(description="It joined the storm case of its service")
    case: str | None
    reporter: UserRef | None
    responder: UserRef | None

    @staticmethod
    def of(group: AlertGroup) -> AlertGroupOut:
        return AlertGroupOut(
            key=group.key,
            kind=group.kind,
            title=group.title,
            status=group.status,
            severity=group.severity,
            fingerprint=group.fingerprint,
            labels=group.labels,
            annotations=group.annotations,
            service=ServiceRef(slug=group.service.slug, name=group.service.name),
            environment=group.environment,
            integration=group.integration.slug if group.integration else None,
            starts_at=group.starts_at,
            first_seen=group.first_seen,
            last_seen=group.last_seen,
            resolved_at=group.resolved_at,
            firing_count=group.firing_count,
            resolved_count=group.resolved_count,
            alerts_open=group.alerts_open,
            alerts_total=group.alerts_total,
            flapping=group.flapping,
            storm=group.storm_id is not None,
            case=group.case.key if group.case else None,
            reporter=UserRef.of(group.reporter),
            responder=UserRef.of(group.responder),
        )


class AlertGroupQuery(Schema):
    status: str = Field(
        default="open", description="open, firing, acknowledged, resolved, or all (or '')"
    )
    service: str = Field(default="", description="Service slug")
    limit: int = Field(default=50, ge=1, le=200)
    format: ExportFormat = Field(
        default="json", description="csv: every matching group (no limit), streamed"
    )


class ResponderIn(InputSchema):
    responder: str = Field(description="Username")


class AnomalyIn(InputSchema):
    service: str
    summary: str = Field(min_length=1, max_length=180)
    details: str = Field(default="", max_length=10_000)
    environment: Literal["production", "staging", "test", "development"] = "production"
    component: str | None = None
    responder: str | None = Field(default=None, description="Username; routed if left out")


class IncidentRefOut(Schema):
    key: str
    title: str
    severity: str
    state: str


class HealthOut(Schema):
    service: ServiceRef
    status: Literal["ok", "degraded", "incident"]
    firing_count: int
    firing: list[AlertGroupOut]
    incidents: list[IncidentRefOut]
    recent_cases: list[dict[str, str]]
