"""Every read of monitoring a request makes. Alerts are internal: customers and partners see none
(an alert group of theirs is a 404); integrations and payloads are for administrators."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Case as When_
from django.db.models import Count, IntegerField, QuerySet, Value, When

from casebridge.accounts.models import Role
from casebridge.cases.models import Case
from casebridge.catalog.models import Service
from casebridge.core.actors import Actor
from casebridge.core.csvexport import CHUNK, Row
from casebridge.core.errors import NotFound, PermissionDenied
from casebridge.core.schemas import bounded_int
from casebridge.monitoring.models import (
    OPEN_ALERT_STATES,
    AlertGroup,
    Integration,
    Payload,
    PayloadState,
)

SEVERITY_RANK = When_(
    When(severity__in=["critical", "page"], then=Value(0)),
    When(severity__in=["error", "major", "high"], then=Value(1)),
    When(severity__in=["warning", "medium"], then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


def _groups_for(viewer: Actor) -> QuerySet[AlertGroup]:
    groups = AlertGroup.objects.select_related(
        "service", "component", "case", "integration", "responder", "reporter"
    )
    return groups.none() if viewer.is_external else groups


def alert_groups_for(viewer: Actor) -> QuerySet[AlertGroup]:
    """The alert groups this viewer may read (none for customers and partners)."""
    return _groups_for(viewer)


def _matching(viewer: Actor, status: str, service: Service | None) -> QuerySet[AlertGroup]:
    groups = _groups_for(viewer)
    if status == "open":
        groups = groups.filter(status__in=OPEN_ALERT_STATES)
    elif status and status != "all":
        groups = groups.filter(status=status)
    if service is not None:
        groups = groups.filter(service=service)
    return groups.order_by("-last_seen", "-id")


def alert_group_list_for(
    viewer: Actor, *, status: str = "open", service: Service | None = None, limit: int = 100
) -> list[AlertGroup]:
    return list(_matching(viewer, status, service)[:limit])


CSV_HEADER = (
    "key",
    "kind",
    "title",
    "status",
    "severity",
    "service",
    "component",
    "environment",
    "integration",
    "fingerprint",
    "starts_at",
    "first_seen",
    "last_seen",
    "resolved_at",
    "firing_count",
    "resolved_count",
    "case",
    "reporter",
    "responder",
)
_CSV_FIELDS = (
    "pk",
    *CSV_HEADER[1:5],
    "service__slug",
    "component__slug",
    "environment",
    "integration__slug",
    *CSV_HEADER[9:16],
    "case__key",
    "reporter__username",
    "responder__username",
)


def alert_group_csv_rows_for(
    viewer: Actor, *, status: str = "open", service: Service | None = None
) -> Iterator[Row]:
    """Every group of the list (same filters and order, no limit) in ``CSV_HEADER``'s columns,
    read in chunks. None for customers and partners."""
    groups = _matching(viewer, status, service).select_related(None).values_list(*_CSV_FIELDS)
    return (("AG-" + str(r[0]), *r[1:]) for r in groups.iterator(CHUNK))


def alert_group_get_for(viewer: Actor, key: str) -> AlertGroup:
    number = bounded_int(key.upper().removeprefix("AG-"))
    group = _groups_for(viewer).filter(pk=number).first() if number is not None else None
    if group is None:
        raise NotFound(f"No alert group {key}")
    return group


def alert_groups_of_case(viewer: Actor, case: Case) -> list[AlertGroup]:
    return list(_groups_for(viewer).filter(case=case).order_by("-id")[:10])


def _admin(viewer: Actor) -> None:
    if not viewer.has_role(Role.ADMIN):
        raise PermissionDenied("Only administrators see monitoring integrations and payloads")


def integration_list_for(viewer: Actor) -> QuerySet[Integration]:
    _admin(viewer)
    return Integration.objects.select_related("service", "reporter").order_by("name")


def integration_get_for(viewer: Actor, slug: str) -> Integration:
    found = integration_list_for(viewer).filter(slug=slug).first()
    if found is None:
        raise NotFound(f"No integration {slug}")
    return found


def payload_list_for(
    viewer: Actor, *, state: str = PayloadState.FAILED, limit: int = 100
) -> list[Payload]:
    _admin(viewer)
    payloads = Payload.objects.select_related("integration").defer("body")
    if state and state != "all":
        payloads = payloads.filter(state=state)
    return list(payloads.order_by("-id")[:limit])


def payload_get_for(viewer: Actor, payload_id: int) -> Payload:
    _admin(viewer)
    found = Payload.objects.select_related("integration").filter(pk=payload_id).first()
    if found is None:
        raise NotFound(f"No payload {payload_id}")
    return found


def payload_counts(viewer: Actor) -> dict[str, int]:
    _admin(viewer)
    rows = Payload.objects.order_by().values("state").annotate(n=Count("id"))
    counts = dict.fromkeys(PayloadState.values, 0)
    counts.update({row["state"]: row["n"] for row in rows})
    return counts
