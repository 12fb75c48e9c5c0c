"""Every write of webhooks: destinations and their routes (administrators), the test post, and
``webhooks_fan_out``, which turns a notice into one outbox delivery per matching destination."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db import connection, transaction
from django.utils.text import slugify

from casebridge.accounts.models import Role, Team
from casebridge.audit.actions import AuditAction
from casebridge.audit.services import audit_record
from casebridge.catalog.models import Service
from casebridge.core import clock
from casebridge.core.actors import Actor
from casebridge.core.errors import PermissionDenied, ValidationFailed
from casebridge.core.prepared import rows_read
from casebridge.integrations import http
from casebridge.integrations.http import url_problem
from casebridge.integrations.models import (
    OutboxMessage,
    OutboxState,
    WebhookDestination,
    WebhookKind,
    WebhookRoute,
)
from casebridge.integrations.notices import SEVERITIES, TOPIC, Notice
from casebridge.integrations.outbox import (
    PermanentFailure,
    RetryLater,
    outbox_enqueue,
    outbox_enqueue_for,
)
from casebridge.integrations.webhooks import delivery, formats

SECRET_PREFIX = "cbw_"  # noqa: S105 - a public marker, not a secret
MAX_ROUTES = 50


def require_admin(actor: Actor) -> None:
    """``None`` is the operator at the server's shell."""
    if actor is not None and not actor.has_role(Role.ADMIN):
        raise PermissionDenied("Only an administrator manages webhooks and the outbox")


def url_hint(url: str) -> str:
    """What may be shown of a webhook URL: its scheme, host and last four characters."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}/…{url[-4:]}"


@transaction.atomic
def webhook_destination_create(
    *, actor: Actor, kind: str, name: str, url: str, slug: str = ""
) -> tuple[WebhookDestination, str]:
    """Create a destination; returns it with its signing secret (generic webhooks), shown this
    once, or an empty string."""
    require_admin(actor)
    slug = slug or slugify(name)[:64]
    errors: dict[str, str] = {}
    if kind not in WebhookKind.values:
        errors["kind"] = f"Use one of {', '.join(WebhookKind.values)}."
    if not name.strip() or len(name) > 120:
        errors["name"] = "Name the destination (at most 120 characters)."
    if not slug or len(slug) > 64 or slug != slugify(slug):
        errors["slug"] = "Use 1-64 lowercase letters, digits and hyphens."
    elif WebhookDestination.objects.filter(slug=slug).exists():
        errors["slug"] = f"The slug '{slug}' is taken."
    problem = url_problem(url.strip())
    if problem:
        errors["url"] = problem
    if errors:
        raise ValidationFailed("The webhook could not be created", fields=errors)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32) if kind == WebhookKind.GENERIC else ""
    url = url.strip()
    destination = WebhookDestination.objects.create(
        slug=slug,
        name=name.strip(),
        kind=kind,
        url=url,
        url_hint=url_hint(url)[:120],
        signing_secret=secret,
        created_at=clock.now(),
    )
    audit_record(actor=actor, subject=destination, action=AuditAction.CREATED, data={"kind": kind})
    return destination, secret


@transaction.atomic
def webhook_destination_remove(*, actor: Actor, destination: WebhookDestination) -> int:
    """Remove a destination and its routes; its deliveries still waiting are discarded.
    Returns how many were discarded."""
    require_admin(actor)
    now = clock.now()
    discarded = OutboxMessage.objects.filter(
        destination=destination.address, state=OutboxState.PENDING
    ).update(state=OutboxState.DISCARDED, finished_at=now, lease_token="")
    audit_record(
        actor=actor, subject=destination, action=AuditAction.REMOVED, data={"discarded": discarded}
    )
    pk = destination.pk
    destination.delete()
    transaction.on_commit(lambda: delivery.forget(pk))
    return discarded


def _unknown(slugs: Sequence[str], model: type[Service] | type[Team]) -> list[str]:
    known = set(model.objects.filter(slug__in=list(slugs)).values_list("slug", flat=True))
    return [slug for slug in slugs if slug not in known]


@transaction.atomic
def webhook_route_add(
    *,
    actor: Actor,
    destination: WebhookDestination,
    topic: str,
    services: Sequence[str] = (),
    teams: Sequence[str] = (),
    severities: Sequence[str] = (),
) -> WebhookRoute:
    """Send notices of ``topic`` (``incident.declared``, ``incident.*`` or ``*``) to the
    destination, when they concern one of ``services``/``teams``/``severities`` (empty: any)."""
    require_admin(actor)
    topic = topic.strip()
    errors: dict[str, str] = {}
    pattern = topic.removesuffix(".*")
    if topic != "*" and not TOPIC.match(pattern):
        errors["topic"] = "Use a topic (incident.declared), a family (incident.*) or *."
    if missing := _unknown(services, Service):
        errors["services"] = f"No such service: {', '.join(missing)}."
    if missing := _unknown(teams, Team):
        errors["teams"] = f"No such team: {', '.join(missing)}."
    if wrong := [s for s in severities if s not in SEVERITIES]:
        errors["severities"] = f"Unknown {', '.join(wrong)}; use {', '.join(SEVERITIES)}."
    if destination.routes.count() >= MAX_ROUTES:
        errors["topic"] = f"A destination has at most {MAX_ROUTES} routes."
    if errors:
        raise ValidationFailed("The route could not be added", fields=errors)
    route = WebhookRoute.objects.create(
        destination=destination,
        topic=topic,
        services=sorted(set(services)),
        teams=sorted(set(teams)),
        severities=sorted(set(severities)),
        created_at=clock.now(),
    )
    audit_record(
        actor=actor,
        subject=destination,
        action=AuditAction.ROUTE_ADDED,
        data={
            "route": route.pk,
            "topic": topic,
            "services": route.services,
            "teams": route.teams,
            "severities": route.severities,
        },
    )
    return route


@transaction.atomic
def webhook_route_remove(*, actor: Actor, route: WebhookRoute) -> None:
    require_admin(actor)
    audit_record(
        actor=actor,
        subject=route.destination,
        action=AuditAction.ROUTE_REMOVED,
        data={"route": route.pk, "topic": route.topic},
    )
    route.delete()


ROUTE_COLUMNS = ("destination_id", "topic", "services", "teams", "severities")


def _routes() -> list[WebhookRoute]:
    """Every route, read with one plain statement: a fan-out runs for every event."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in ROUTE_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {quote(WebhookRoute._meta.db_table)}")  # noqa: S608
        rows = cursor.fetchall()
    return rows_read(WebhookRoute, ROUTE_COLUMNS, rows)


def _matches(route: WebhookRoute, notice: Notice) -> bool:
    topic = route.topic
    if topic not in ("*", notice.topic):
        family = topic.removesuffix(".*")
        if family == topic or not notice.topic.startswith(family + "."):
            return False
    return all(
        not wanted or value in wanted
        for wanted, value in (
            (route.services, notice.service),
            (route.teams, notice.team),
            (route.severities, notice.severity),
        )
    )


@transaction.atomic(savepoint=False)
def webhooks_fan_out(notice: Notice, *, cause: OutboxMessage | None = None) -> int:
    """One outbox delivery of ``notice`` to each destination with a matching route.

    Called in the transaction of a change, or by an outbox handler with the message it handles
    as ``cause``: then each delivery's idempotency key derives from the cause and the
    destination, and a second run adds nothing. Returns the number of deliveries added."""
    chosen = sorted({r.destination_id for r in _routes() if _matches(r, notice)})
    added = 0
    for destination_id in chosen:
        address = f"webhook:{destination_id}"
        payload = {"destination": destination_id, "notice": notice.as_payload()}
        if cause is None:
            outbox_enqueue(
                topic=delivery.TOPIC, key=notice.key, payload=payload, destination=address
            )
            added += 1
        else:
            added += outbox_enqueue_for(
                cause=cause,
                destination=address,
                topic=delivery.TOPIC,
                key=notice.key,
                payload=payload,
            )
    return added


@dataclass(frozen=True)
class TestResult:
    ok: bool
    status: int | None
    detail: str


def webhook_test(*, actor: Actor, destination: WebhookDestination) -> TestResult:
    """Post a test notice to the destination now (not through the outbox) and say how it went."""
    require_admin(actor)
    notice = Notice(
        topic="webhook.test",
        title=f"Test from Casebridge to {destination.name}",
        text="If you can read this, the destination works.",
        url="/settings/webhooks/",
        fields=(("Destination", destination.slug),),
    )
    now = clock.now()
    probe = OutboxMessage(
        topic=delivery.TOPIC, idempotency_key=uuid.uuid4(), created_at=now, available_at=now
    )
    target = delivery.target_of(destination)
    body, headers = delivery.request_of(target, probe, notice)
    try:
        answer = http.post(target.url, body, headers)
    except (RetryLater, PermanentFailure) as exc:
        return TestResult(False, None, exc.reason)
    if 200 <= answer.status < 300:
        return TestResult(True, answer.status, answer.text() or "accepted")
    said = formats.refusal(target.kind, answer)
    return TestResult(False, answer.status, f"HTTP {answer.status}" + (f": {said}" if said else ""))
