"""Every read of incidents a request makes. Incidents are internal: customers and partners see
none, and an incident key is a 404 for them."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Q, QuerySet

from casebridge.cases.models import Case
from casebridge.catalog.models import Service
from casebridge.core.actors import Actor
from casebridge.core.csvexport import CHUNK
from casebridge.core.errors import NotFound
from casebridge.incidents.models import (
    ActionItem,
    Incident,
    IncidentProposal,
    IncidentState,
    Participant,
    ProposalState,
    Review,
    TimelineEntry,
)

OPEN_STATES = (
    IncidentState.ACTIVE,
    IncidentState.MITIGATED,
    IncidentState.RESOLVED,
    IncidentState.IN_REVIEW,
)
RELATED = ("service", "case", "alert_group", "lead", "owner", "scribe", "comms", "declared_by")


def _incidents_for(viewer: Actor) -> QuerySet[Incident]:
    incidents = Incident.objects.select_related(*RELATED)
    return incidents.none() if viewer.is_external else incidents


def incident_list_for(
    viewer: Actor,
    *,
    state: str = "",
    service: Service | None = None,
    severity: str = "",
    open_only: bool = False,
    limit: int = 200,
) -> list[Incident]:
    incidents = _filtered(viewer, state, service, severity, open_only=open_only)
    return list(incidents[:limit])


def _filtered(
    viewer: Actor, state: str, service: Service | None, severity: str, *, open_only: bool = False
) -> QuerySet[Incident]:
    incidents = _incidents_for(viewer)
    if open_only or state == "open":
        incidents = incidents.filter(state__in=OPEN_STATES)
    elif state:
        incidents = incidents.filter(state=state)
    if service is not None:
        incidents = incidents.filter(service=service)
    if severity:
        incidents = incidents.filter(severity=severity)
    return incidents.order_by("-declared_at", "-id")


CSV_HEADER = (
    "key",
    "title",
    "severity",
    "priority",
    "state",
    "service",
    "lead",
    "owner",
    "case",
    "alert_group",
    "declared_at",
    "mitigated_at",
    "resolved_at",
    "closed_at",
)
_CSV_FIELDS = (
    "key",
    "title",
    "severity",
    "priority",
    "state",
    "service__slug",
    "lead__username",
    "owner__username",
    "case__key",
    "alert_group_id",
    "declared_at",
    "mitigated_at",
    "resolved_at",
    "closed_at",
)


def incident_csv_rows_for(
    viewer: Actor, *, state: str = "", service: Service | None = None, severity: str = ""
) -> Iterator[tuple[object, ...]]:
    """Every incident of the list (no limit) in ``CSV_HEADER``'s columns, read in chunks (an
    alert group's key is ``AG-<id>``)."""
    rows = _filtered(viewer, state, service, severity).select_related(None)
    for row in rows.values_list(*_CSV_FIELDS).iterator(CHUNK):
        group = row[9]
        yield (*row[:9], f"AG-{group}" if group else None, *row[10:])


def incident_get_for(viewer: Actor, key: str) -> Incident:
    incident = _incidents_for(viewer).filter(key=key.upper()).first()
    if incident is None:
        raise NotFound(f"No incident {key}")
    return incident


def participants_of(incident: Incident) -> list[Participant]:
    rows = Participant.objects.filter(incident=incident).select_related("user", "guide")
    return list(rows.prefetch_related("user__role_grants"))


def timeline_of(incident: Incident, *, after: int = 0) -> list[TimelineEntry]:
    entries = TimelineEntry.objects.filter(incident=incident, id__gt=after).select_related("actor")
    return list(entries.order_by("id"))


def review_of(incident: Incident) -> Review | None:
    return Review.objects.filter(incident=incident).select_related("lead").first()


def action_items_of(incident: Incident) -> list[ActionItem]:
    items = ActionItem.objects.filter(incident=incident).select_related("owner", "work_item")
    return list(items.order_by("created_at", "id"))


def action_item_get(incident: Incident, item_id: int) -> ActionItem:
    item = ActionItem.objects.filter(incident=incident, pk=item_id).first()
    if item is None:
        raise NotFound(f"No action item {item_id} in {incident.key}")
    return item


def case_has_open_incident(case: Case) -> bool:
    return Incident.objects.filter(case=case).exclude(state=IncidentState.CLOSED).exists()


def incidents_of_case(viewer: Actor, case: Case) -> list[Incident]:
    links = Q(case=case) | Q(alert_group__case=case)
    return list(_incidents_for(viewer).filter(links).distinct().order_by("-declared_at"))


def proposals_open_for(viewer: Actor) -> list[IncidentProposal]:
    """Incidents the system proposes (alert storms) not yet declared or dismissed, for staff."""
    if viewer.is_external:
        return []
    query = IncidentProposal.objects.filter(state=ProposalState.OPEN)
    return list(query.select_related("service", "case").order_by("-proposed_at", "-id")[:20])
