"""Every write of monitoring besides the intake door and the worker: integrations, retries of
failed payloads, anomalies reported by people, and responders (policy 8)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils.text import slugify

from casebridge.accounts.models import Role, User, as_user
from casebridge.audit.actions import AuditAction
from casebridge.audit.services import audit_changes, audit_record
from casebridge.catalog.models import Component, Environment, Service
from casebridge.core import clock, events
from casebridge.core.actors import Actor
from casebridge.core.errors import PermissionDenied, ValidationFailed
from casebridge.integrations.models import NotificationKind
from casebridge.integrations.notifications import notify
from casebridge.monitoring import alert_cases, policies
from casebridge.monitoring.events import AlertGroupChanged
from casebridge.monitoring.intake import token_hash
from casebridge.monitoring.models import (
    OPEN_ALERT_STATES,
    AlertGroup,
    AlertStatus,
    AuthScheme,
    GroupKind,
    Integration,
    IntegrationKind,
    Payload,
    PayloadState,
)

TOKEN_PREFIX = "cbi_"  # noqa: S105 - a public marker, not a secret
HEADER_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")
RESPONDER_ROLES = (Role.L2_ENGINEER, Role.DEVELOPER, Role.DEVOPS, Role.ADMIN)


def _require_admin(actor: Actor | None) -> None:
    """``None`` is the operator at the server's shell (CLI, demo loader)."""
    if actor is not None and not actor.has_role(Role.ADMIN):
        raise PermissionDenied("Only an administrator manages monitoring integrations")


def _integration_errors(
    *,
    kind: str,
    name: str,
    slug: str,
    auth: str,
    environment: str,
    headers: Sequence[str],
    max_body_bytes: int,
    rate_limit_per_minute: int,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if kind not in IntegrationKind.values:
        errors["kind"] = f"Use one of {', '.join(IntegrationKind.values)}."
    if not name.strip() or len(name) > 120:
        errors["name"] = "Name the integration (at most 120 characters)."
    if not slug or len(slug) > 64 or slug != slugify(slug):
        errors["slug"] = "Use 1-64 lowercase letters, digits and hyphens."
    elif Integration.objects.filter(slug=slug).exists():
        errors["slug"] = f"The slug '{slug}' is taken."
    if auth not in AuthScheme.values:
        errors["auth"] = "Use 'bearer' or 'hmac'."
    if environment not in Environment.values:
        errors["environment"] = f"Use one of {', '.join(Environment.values)}."
    for header in headers:
        if header and (len(header) > 64 or not set(header) <= HEADER_CHARS):
            errors["signature_header"] = f"'{header}' is not an HTTP header name."
    if not 1024 <= max_body_bytes <= settings.INTAKE_MAX_BYTES:
        errors["max_body_bytes"] = f"Use 1024 to {settings.INTAKE_MAX_BYTES} bytes."
    if not 1 <= rate_limit_per_minute <= 1_000_000:
        errors["rate_limit_per_minute"] = "Use 1 to 1,000,000 payloads a minute."
    return errors


@transaction.atomic
def integration_create(
    *,
    actor: Actor | None,
    kind: str,
    name: str,
    service: Service,
    slug: str = "",
    auth: str = AuthScheme.BEARER,
    environment: str = Environment.PRODUCTION,
    signature_header: str = "",
    timestamp_header: str = "",
    max_body_bytes: int = 1024 * 1024,
    rate_limit_per_minute: int = 1200,
    reporter: User | None = None,
) -> tuple[Integration, str]:
    """Create an integration and return it with its secret, shown this once.

    A bearer token is kept as its SHA-256 only; an HMAC secret is kept as is (the server must sign
    the body with it too)."""
    _require_admin(actor)
    slug = slug or slugify(name)
    errors = _integration_errors(
        kind=kind,
        name=name,
        slug=slug,
        auth=auth,
        environment=environment,
        headers=(signature_header, timestamp_header),
        max_body_bytes=max_body_bytes,
        rate_limit_per_minute=rate_limit_per_minute,
    )
    if reporter is not None and not reporter.has_role(Role.L1_AGENT, Role.L2_ENGINEER):
        errors["reporter"] = "Cases are opened under an L1 agent or L2 engineer account."
    if errors:
        raise ValidationFailed("The integration could not be created", fields=errors)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    bearer = auth == AuthScheme.BEARER
    integration = Integration.objects.create(
        slug=slug,
        name=name.strip(),
        kind=kind,
        auth=auth,
        token_hash=token_hash(secret) if bearer else "",
        token_prefix=secret[:12] if bearer else "",
        hmac_secret="" if bearer else secret,
        signature_header=signature_header,
        timestamp_header=timestamp_header,
        service=service,
        environment=environment,
        reporter=reporter or alert_cases.monitoring_account(),
        max_body_bytes=max_body_bytes,
        rate_limit_per_minute=rate_limit_per_minute,
        created_at=clock.now(),
    )
    audit_record(
        actor=actor,
        subject=integration,
        action=AuditAction.CREATED,
        data={"kind": kind, "auth": auth, "service": service.slug},
    )
    return integration, secret


@transaction.atomic
def integration_set_enabled(
    *, actor: Actor | None, integration: Integration, enabled: bool
) -> Integration:
    _require_admin(actor)
    if integration.enabled != enabled:
        old, integration.enabled = integration.enabled, enabled
        integration.save(update_fields=["enabled"])
        audit_changes(
            actor=actor,
            subject=integration,
            action=AuditAction.UPDATED,
            changes={"enabled": (old, enabled)},
        )
    return integration


@transaction.atomic
def payload_retry(*, actor: Actor | None, payload: Payload) -> Payload:
    """Put a failed payload back in the queue now, with a fresh count of attempts."""
    _require_admin(actor)
    payload = (
        Payload.objects.select_for_update(of=("self",))
        .select_related("integration")
        .get(pk=payload.pk)
    )
    if payload.state != PayloadState.FAILED:
        raise ValidationFailed(
            "Only a failed payload can be retried",
            fields={"payload": f"Payload {payload.pk} is {payload.get_state_display().lower()}."},
        )
    payload.state = PayloadState.PENDING
    payload.attempts = 0
    payload.available_at = clock.now()
    payload.save(update_fields=["state", "attempts", "available_at"])
    audit_record(
        actor=actor,
        subject=payload.integration,
        action=AuditAction.PAYLOAD_RETRIED,
        data={"payload": payload.pk, "error": payload.error[:500]},
    )
    return payload


# --- anomalies and responders (policy 8) --------------------------------------------------------


def _may_report(actor: Actor) -> bool:
    return not actor.is_external and actor.has_role(
        Role.DEVELOPER, Role.L1_AGENT, Role.L2_ENGINEER, Role.DEVOPS, Role.QA, Role.ADMIN
    )


def route_responder(service: Service) -> User | None:
    """Who answers an anomaly of ``service`` under policy 8: the least busy person at the policy's
    level, from the service's owning team first, then any developer, then any L2 engineer."""
    level = policies.responder_level()
    busy = Count(
        "responding_groups",
        filter=Q(responding_groups__status__in=OPEN_ALERT_STATES),
        distinct=True,
    )
    people = User.objects.filter(is_active=True).prefetch_related("role_grants")
    developers = people.filter(role_grants__role=Role.DEVELOPER, level__gte=f"L{level}")
    pools = []
    if service.owner_team_id:
        pools.append(developers.filter(teams=service.owner_team_id))
    pools.append(developers)
    if level <= 2:
        pools.append(people.filter(role_grants__role=Role.L2_ENGINEER))
    for pool in pools:
        found = pool.annotate(busy=busy).order_by("busy", "level", "username").first()
        if found is not None:
            return found
    return None


@transaction.atomic
def anomaly_report(
    *,
    actor: Actor,
    service: Service,
    summary: str,
    details: str = "",
    environment: str = Environment.PRODUCTION,
    component: Component | None = None,
    responder: User | None = None,
) -> AlertGroup:
    """A person reports an anomaly no alert caught: an alert group of kind ``anomaly`` and its
    case, at once. Reported by L1 staff, it goes to an L2+ responder (policy 8): the one named,
    if they qualify, else the least busy qualified person."""
    if not _may_report(actor):
        raise PermissionDenied("Only internal staff report anomalies")
    errors: dict[str, str] = {}
    summary = " ".join(summary.split())
    if not 5 <= len(summary) <= 180:
        errors["summary"] = "Say what you saw in 5 to 180 characters."
    if len(details) > 10_000:
        errors["details"] = "Keep the details under 10,000 characters."
    if environment not in Environment.values:
        errors["environment"] = f"Use one of {', '.join(Environment.values)}."
    if component is not None and component.service_id != service.pk:
        errors["component"] = f"{component.name} is not a component of {service.name}."
    if errors:
        raise ValidationFailed("The anomaly could not be reported", fields=errors)
    if responder is None and policies.routing_applies(actor):
        responder = route_responder(service)
    reasons = list(policies.responder_reasons(actor, responder))
    if reasons:
        raise ValidationFailed(
            reasons[0].message, fields={r.field or "responder": r.message for r in reasons}
        )
    now = clock.now()
    group = AlertGroup.objects.create(
        kind=GroupKind.ANOMALY,
        fingerprint=f"anomaly-{uuid.uuid4().hex}",
        status=AlertStatus.FIRING,
        title=summary,
        severity="",
        labels={"service": service.slug, **({"component": component.slug} if component else {})},
        annotations={"summary": summary, **({"description": details.strip()} if details else {})},
        service=service,
        component=component,
        environment=environment,
        starts_at=now,
        first_seen=now,
        last_seen=now,
        firing_count=1,
        reporter=as_user(actor),
        responder=responder,
        sync_pending=False,
        synced_status=AlertStatus.FIRING,
        created_at=now,
    )
    group.case = alert_cases.case_for_group(group)
    group.save(update_fields=["case"])
    audit_record(
        actor=actor,
        subject=group,
        action=AuditAction.REPORTED,
        new=responder.username if responder else "",
        data={"case": group.case.key, "service": service.slug},
    )
    _tell_responder(group, responder)
    return group


def _tell_responder(group: AlertGroup, responder: User | None) -> None:
    if responder is None or group.case is None:
        return
    notify(
        users=[responder],
        subject_key=group.case.key,
        message=f"You respond to the anomaly {group.title!r} ({group.case.key})",
        url=f"/cases/{group.case.key}/",
        kind=NotificationKind.ASSIGNED,
    )


@transaction.atomic
def alert_group_assign(*, actor: Actor, group: AlertGroup, responder: User) -> AlertGroup:
    """Name who responds to an alert group; policy 8 holds for anomalies reported by L1 staff."""
    if actor.is_external or not actor.has_role(*RESPONDER_ROLES):
        raise PermissionDenied("Only L2 engineers, developers, DevOps and admins route alerts")
    group = (
        AlertGroup.objects.select_for_update(of=("self",)).select_related("case").get(pk=group.pk)
    )
    reporter = (
        User.objects.prefetch_related("role_grants").filter(pk=group.reporter_id).first()
        if group.reporter_id
        else None
    )
    errors = {
        r.field or "responder": r.message for r in policies.responder_reasons(reporter, responder)
    }
    if responder.is_external or not responder.has_role(*RESPONDER_ROLES):
        errors["responder"] = f"{responder.display_name} does not respond to alerts."
    if errors:
        raise ValidationFailed("The responder was not set", fields=errors)
    if group.responder_id == responder.pk:
        return group
    old, group.responder = group.responder, responder
    group.save(update_fields=["responder"])
    audit_changes(
        actor=actor,
        subject=group,
        action=AuditAction.ROUTED,
        changes={"responder": (old, responder)},
    )
    events.publish(
        AlertGroupChanged(
            key=group.key,
            group_id=group.pk,
            change="routed",
            status=group.status,
            from_status=group.status,
            title=group.title,
            integration_id=group.integration_id,
            fingerprint=group.fingerprint,
            case_id=group.case_id,
            responder_id=responder.pk,
            actor_id=events.actor_id(actor),
        )
    )
    _tell_responder(group, responder)
    return group
