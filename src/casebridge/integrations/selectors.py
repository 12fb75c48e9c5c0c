"""Reads of the outbox and of webhooks, for administrators only (others: 403 in the API, 404 on
pages). Webhook URLs and secrets are never read here: lists show the stored hint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min, QuerySet

from casebridge.core.actors import Actor
from casebridge.core.errors import NotFound
from casebridge.integrations.models import (
    OutboxCircuit,
    OutboxMessage,
    OutboxState,
    WebhookDestination,
    WebhookRoute,
)
from casebridge.integrations.webhooks.services import require_admin

LIST_MAX = 500


def _admin(viewer: Actor) -> None:
    require_admin(viewer)


def address_of(value: str) -> str:
    """An outbox destination from what a person types: ``webhook:3`` or a webhook's slug."""
    if not value or ":" in value:
        return value
    found = WebhookDestination.objects.filter(slug=value).values_list("pk", flat=True).first()
    return f"webhook:{found}" if found is not None else f"webhook:{value}"


def outbox_list_for(
    viewer: Actor,
    *,
    state: str = OutboxState.DEAD,
    destination: str = "",
    topic: str = "",
    limit: int = 100,
) -> list[OutboxMessage]:
    """Messages in ``state`` (any state if empty), newest first."""
    _admin(viewer)
    messages = OutboxMessage.objects.order_by("-id")
    if state:
        messages = messages.filter(state=state)
    if destination:
        messages = messages.filter(destination=address_of(destination))
    if topic:
        messages = messages.filter(topic=topic)
    return list(messages[: max(1, min(limit, LIST_MAX))])


def outbox_get_for(viewer: Actor, message_id: int) -> OutboxMessage:
    _admin(viewer)
    message = OutboxMessage.objects.filter(pk=message_id).first()
    if message is None:
        raise NotFound(f"No outbox message {message_id}", fields={"id": "No such message."})
    return message


@dataclass(frozen=True)
class OutboxSummary:
    counts: dict[str, int]
    oldest_due: datetime | None
    circuits: list[OutboxCircuit]


def outbox_summary_for(viewer: Actor) -> OutboxSummary:
    """Messages per state, the oldest pending one's due time, and destinations in trouble."""
    _admin(viewer)
    rows = OutboxMessage.objects.values("state").annotate(n=Count("id")).order_by()
    counts = dict.fromkeys(OutboxState.values, 0) | {r["state"]: r["n"] for r in rows}
    pending = OutboxMessage.objects.filter(state=OutboxState.PENDING)
    oldest = pending.aggregate(oldest=Min("available_at"))["oldest"]
    troubled = OutboxCircuit.objects.filter(failures__gt=0) | OutboxCircuit.objects.filter(
        open_until__isnull=False
    )
    return OutboxSummary(counts, oldest, list(troubled.order_by("destination")))


def destination_names() -> dict[str, str]:
    """``webhook:<id>`` -> the destination's name, to show beside messages and circuits."""
    return {
        f"webhook:{pk}": name for pk, name in WebhookDestination.objects.values_list("pk", "name")
    }


def _destinations() -> QuerySet[WebhookDestination]:
    return WebhookDestination.objects.defer("url", "signing_secret").prefetch_related("routes")


def webhook_list_for(viewer: Actor) -> list[WebhookDestination]:
    _admin(viewer)
    return list(_destinations())


def webhook_get_for(viewer: Actor, slug: str) -> WebhookDestination:
    _admin(viewer)
    destination = _destinations().filter(slug=slug).first()
    if destination is None:
        raise NotFound(f"No webhook '{slug}'", fields={"slug": "No such webhook."})
    return destination


def webhook_route_get_for(
    viewer: Actor, destination: WebhookDestination, route_id: int
) -> WebhookRoute:
    _admin(viewer)
    route = WebhookRoute.objects.filter(pk=route_id, destination=destination).first()
    if route is None:
        raise NotFound(f"No route {route_id}", fields={"route_id": "No such route."})
    return route
