"""A service's health now: its firing alerts, open incidents and recent cases (the panel of
the case and signature pages, ``GET /api/services/{slug}/health``). It reads three apps, so it
sits in the one above them."""

from __future__ import annotations

from dataclasses import dataclass

from casebridge.cases.models import Case
from casebridge.cases.selectors import case_list_for
from casebridge.catalog.models import Service
from casebridge.core.actors import Actor
from casebridge.incidents.models import Incident
from casebridge.incidents.selectors import incident_list_for
from casebridge.monitoring.models import OPEN_ALERT_STATES, AlertGroup
from casebridge.monitoring.selectors import SEVERITY_RANK, alert_groups_for

HEALTH_ALERTS = 8
HEALTH_CASES = 5


@dataclass(frozen=True)
class Health:
    """What the service's health is now: firing alerts, open incidents, recent cases."""

    service: Service
    firing: list[AlertGroup]
    firing_count: int
    incidents: list[Incident]
    recent_cases: list[Case]

    @property
    def status(self) -> str:
        if any(i.state in ("active", "mitigated") for i in self.incidents):
            return "incident"
        if self.firing_count:
            return "degraded"
        return "ok"

    @property
    def status_label(self) -> str:
        return {"incident": "Incident", "degraded": "Alerts firing", "ok": "Healthy"}[self.status]


def service_health_for(
    viewer: Actor, service: Service, *, exclude_case: Case | None = None
) -> Health:
    """Four queries whatever the size of the history: alerts, their count, incidents, cases."""
    firing = alert_groups_for(viewer).filter(service=service, status__in=OPEN_ALERT_STATES)
    ranked = firing.annotate(rank=SEVERITY_RANK).order_by("rank", "-last_seen")
    top: list[AlertGroup] = list(ranked[:HEALTH_ALERTS])
    count = len(top) if len(top) < HEALTH_ALERTS else firing.count()
    cases = case_list_for(viewer).filter(service=service).order_by("-created_at", "-id")
    if exclude_case is not None:
        cases = cases.exclude(pk=exclude_case.pk)
    incidents: list[Incident] = (
        [] if viewer.is_external else incident_list_for(viewer, service=service, open_only=True)
    )
    return Health(service, top, count, incidents[:5], list(cases[:HEALTH_CASES]))
