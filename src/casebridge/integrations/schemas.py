"""Schemas of the outbox and webhooks API (administrators)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from casebridge.core.schemas import InputSchema
from casebridge.integrations.models import (
    OutboxCircuit,
    OutboxMessage,
    WebhookDestination,
    WebhookRoute,
)

StateFilter = Literal["dead", "pending", "delivered", "no_receiver", "discarded", "all"]


class OutboxQuery(Schema):
    state: StateFilter = "dead"
    destination: str = Field(default="", description="A webhook's slug or `webhook:<id>`")
    topic: str = ""
    limit: int = Field(default=100, ge=1, le=500)


class OutboxMessageOut(Schema):
    id: int
    topic: str
    key: str
    destination: str
    destination_name: str
    state: str
    attempts: int
    idempotency_key: str
    created_at: datetime
    available_at: datetime
    delivered_at: datetime | None
    finished_at: datetime | None
    last_error: str
    payload: dict[str, object]

    @staticmethod
    def of(message: OutboxMessage, names: dict[str, str]) -> OutboxMessageOut:
        return OutboxMessageOut(
            id=message.pk,
            topic=message.topic,
            key=message.key,
            destination=message.destination,
            destination_name=names.get(message.destination, ""),
            state=message.state,
            attempts=message.attempts,
            idempotency_key=str(message.idempotency_key),
            created_at=message.created_at,
            available_at=message.available_at,
            delivered_at=message.delivered_at,
            finished_at=message.finished_at,
            last_error=message.last_error,
            payload=message.payload,
        )


class CircuitOut(Schema):
    destination: str
    destination_name: str
    failures: int
    open_until: datetime | None
    last_error: str

    @staticmethod
    def of(circuit: OutboxCircuit, names: dict[str, str]) -> CircuitOut:
        return CircuitOut(
            destination=circuit.destination,
            destination_name=names.get(circuit.destination, ""),
            failures=circuit.failures,
            open_until=circuit.open_until,
            last_error=circuit.last_error,
        )


class OutboxSummaryOut(Schema):
    counts: dict[str, int] = Field(description="Messages per state")
    oldest_due: datetime | None = Field(description="When the longest-waiting message was due")
    circuits: list[CircuitOut] = Field(description="Destinations with failures or paused")


class RetryDeadIn(InputSchema):
    destination: str = Field(default="", description="Only this destination's dead letters")


class RetriedOut(Schema):
    retried: int


class RouteIn(InputSchema):
    topic: str = Field(
        min_length=1, max_length=80, description="`incident.declared`, `incident.*` or `*`"
    )
    services: list[str] = Field(default_factory=list, description="Service slugs (empty: any)")
    teams: list[str] = Field(default_factory=list, description="Team slugs (empty: any)")
    severities: list[str] = Field(
        default_factory=list, description="sev1, sev2, sev3, critical, major, minor (empty: any)"
    )


class RouteOut(Schema):
    id: int
    topic: str
    services: list[str]
    teams: list[str]
    severities: list[str]

    @staticmethod
    def of(route: WebhookRoute) -> RouteOut:
        return RouteOut(
            id=route.pk,
            topic=route.topic,
            services=route.services,
            teams=route.teams,
            severities=route.severities,
        )


class WebhookIn(InputSchema):
    kind: Literal["slack", "teams", "generic"]
    name: str = Field(min_length=1, max_length=120)
    url: str = Field(
        min_length=1,
        max_length=2000,
        description="The webhook URL (https); it holds a credential and is sealed at rest",
    )
    slug: str = Field(default="", max_length=64)


class WebhookOut(Schema):
    slug: str
    name: str
    kind: str
    address: str = Field(description="The outbox destination of its deliveries")
    url_hint: str = Field(description="What may be shown of the URL")
    signed: bool = Field(description="Deliveries carry an HMAC signature")
    created_at: datetime
    routes: list[RouteOut]

    @staticmethod
    def of(destination: WebhookDestination) -> WebhookOut:
        return WebhookOut(
            slug=destination.slug,
            name=destination.name,
            kind=destination.kind,
            address=destination.address,
            url_hint=destination.url_hint,
            signed=destination.kind == "generic",
            created_at=destination.created_at,
            routes=[RouteOut.of(r) for r in destination.routes.all()],
        )


class WebhookCreatedOut(WebhookOut):
    signing_secret: str | None = Field(
        description="Generic webhooks: the HMAC secret, shown this once; null otherwise"
    )


class RemovedOut(Schema):
    removed: str
    discarded: int = Field(description="Deliveries still waiting that were discarded")


class TestOut(Schema):
    ok: bool
    status: int | None = Field(description="The receiver's HTTP status; null if none answered")
    detail: str
