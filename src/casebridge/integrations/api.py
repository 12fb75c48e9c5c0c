"""/api/v1/outbox (dead letters and the state of delivery) and /api/v1/webhooks (Slack, Teams
and generic destinations with their routes). Administrators only: others get 403."""

from __future__ import annotations

from ninja import Query, Router, Status

from casebridge.core.http import ApiRequest
from casebridge.core.schemas import ERRORS, WRITE_ERRORS, Id
from casebridge.integrations import selectors, services
from casebridge.integrations.schemas import (
    CircuitOut,
    OutboxMessageOut,
    OutboxQuery,
    OutboxSummaryOut,
    RemovedOut,
    RetriedOut,
    RetryDeadIn,
    RouteIn,
    RouteOut,
    TestOut,
    WebhookCreatedOut,
    WebhookIn,
    WebhookOut,
)
from casebridge.integrations.webhooks import services as webhooks

outbox_router = Router(tags=["outbox"])
webhooks_router = Router(tags=["webhooks"])


def _out(message_id: int, request: ApiRequest) -> OutboxMessageOut:
    message = selectors.outbox_get_for(request.auth, message_id)
    return OutboxMessageOut.of(message, selectors.destination_names())


@outbox_router.get(
    "",
    response={200: list[OutboxMessageOut], **ERRORS},
    summary="Outbox messages (dead letters by default)",
)
def list_messages(request: ApiRequest, query: Query[OutboxQuery]) -> list[OutboxMessageOut]:
    state = "" if query.state == "all" else query.state
    messages = selectors.outbox_list_for(
        request.auth,
        state=state,
        destination=query.destination,
        topic=query.topic,
        limit=query.limit,
    )
    names = selectors.destination_names()
    return [OutboxMessageOut.of(m, names) for m in messages]


@outbox_router.get(
    "/summary",
    response={200: OutboxSummaryOut, **ERRORS},
    summary="Messages per state, destinations in trouble",
)
def summary(request: ApiRequest) -> OutboxSummaryOut:
    found = selectors.outbox_summary_for(request.auth)
    names = selectors.destination_names()
    return OutboxSummaryOut(
        counts=found.counts,
        oldest_due=found.oldest_due,
        circuits=[CircuitOut.of(c, names) for c in found.circuits],
    )


@outbox_router.post(
    "/retry-dead",
    response={200: RetriedOut, **WRITE_ERRORS},
    summary="Send every dead letter again",
)
def retry_dead(request: ApiRequest, body: RetryDeadIn) -> RetriedOut:
    destination = selectors.address_of(body.destination)
    return RetriedOut(
        retried=services.outbox_retry_dead(actor=request.auth, destination=destination)
    )


@outbox_router.get(
    "/{message_id}", response={200: OutboxMessageOut, **ERRORS}, summary="One message"
)
def get_message(request: ApiRequest, message_id: Id) -> OutboxMessageOut:
    return _out(message_id, request)


@outbox_router.post(
    "/{message_id}/retry",
    response={200: OutboxMessageOut, **WRITE_ERRORS},
    summary="Send a dead letter again now",
)
def retry(request: ApiRequest, message_id: Id) -> OutboxMessageOut:
    message = selectors.outbox_get_for(request.auth, message_id)
    services.outbox_retry(actor=request.auth, message=message)
    return _out(message_id, request)


@outbox_router.post(
    "/{message_id}/discard",
    response={200: OutboxMessageOut, **WRITE_ERRORS},
    summary="Give up on a dead letter",
)
def discard(request: ApiRequest, message_id: Id) -> OutboxMessageOut:
    message = selectors.outbox_get_for(request.auth, message_id)
    services.outbox_discard(actor=request.auth, message=message)
    return _out(message_id, request)


@webhooks_router.get("", response={200: list[WebhookOut], **ERRORS}, summary="Webhook destinations")
def list_webhooks(request: ApiRequest) -> list[WebhookOut]:
    return [WebhookOut.of(d) for d in selectors.webhook_list_for(request.auth)]


@webhooks_router.post(
    "",
    response={201: WebhookCreatedOut, **WRITE_ERRORS},
    summary="Add a destination; a generic webhook's signing secret is shown this once",
)
def create_webhook(request: ApiRequest, body: WebhookIn) -> Status[WebhookCreatedOut]:
    destination, secret = webhooks.webhook_destination_create(
        actor=request.auth, kind=body.kind, name=body.name, url=body.url, slug=body.slug
    )
    found = selectors.webhook_get_for(request.auth, destination.slug)
    out = WebhookOut.of(found).dict()
    return Status(201, WebhookCreatedOut(**out, signing_secret=secret or None))


@webhooks_router.get("/{slug}", response={200: WebhookOut, **ERRORS}, summary="One destination")
def get_webhook(request: ApiRequest, slug: str) -> WebhookOut:
    return WebhookOut.of(selectors.webhook_get_for(request.auth, slug))


@webhooks_router.post(
    "/{slug}/remove",
    response={200: RemovedOut, **WRITE_ERRORS},
    summary="Remove a destination and its routes; what waits for it is discarded",
)
def remove_webhook(request: ApiRequest, slug: str) -> RemovedOut:
    destination = selectors.webhook_get_for(request.auth, slug)
    discarded = webhooks.webhook_destination_remove(actor=request.auth, destination=destination)
    return RemovedOut(removed=slug, discarded=discarded)


@webhooks_router.post(
    "/{slug}/routes",
    response={201: RouteOut, **WRITE_ERRORS},
    summary="Route notices to a destination",
)
def add_route(request: ApiRequest, slug: str, body: RouteIn) -> Status[RouteOut]:
    destination = selectors.webhook_get_for(request.auth, slug)
    route = webhooks.webhook_route_add(actor=request.auth, destination=destination, **body.dict())
    return Status(201, RouteOut.of(route))


@webhooks_router.post(
    "/{slug}/routes/{route_id}/remove",
    response={200: WebhookOut, **WRITE_ERRORS},
    summary="Remove a route",
)
def remove_route(request: ApiRequest, slug: str, route_id: Id) -> WebhookOut:
    destination = selectors.webhook_get_for(request.auth, slug)
    route = selectors.webhook_route_get_for(request.auth, destination, route_id)
    webhooks.webhook_route_remove(actor=request.auth, route=route)
    return WebhookOut.of(selectors.webhook_get_for(request.auth, slug))


@webhooks_router.post(
    "/{slug}/test",
    response={200: TestOut, **WRITE_ERRORS},
    summary="Post a test notice now and report the receiver's answer",
)
def test_webhook(request: ApiRequest, slug: str) -> TestOut:
    destination = selectors.webhook_get_for(request.auth, slug)
    result = webhooks.webhook_test(actor=request.auth, destination=destination)
    return TestOut(ok=result.ok, status=result.status, detail=result.detail)
