"""Reads of recurring clusters for the queue banner, the service page and the cluster page."""

from __future__ import annotations

from casebridge.cases.selectors import case_list_for
from casebridge.catalog.models import Service
from casebridge.core.actors import Actor
from casebridge.core.errors import NotFound
from casebridge.occurrences.models import (
    ClusterState,
    RecurringCluster,
)

# --- reads --------------------------------------------------------------------------------------


def cluster_list_for(
    viewer: Actor,
    *,
    state: str = ClusterState.OPEN,
    service: Service | None = None,
    limit: int = 10,
) -> list[RecurringCluster]:
    """Clusters for the queue banner and the service page, most recent first."""
    if viewer.is_external:
        return []
    clusters = RecurringCluster.objects.select_related("signature", "service", "work_item")
    if state:
        clusters = clusters.filter(state=state)
    if service is not None:
        clusters = clusters.filter(service=service)
    return list(clusters.order_by("-last_seen", "-id")[:limit])


def cluster_get_for(viewer: Actor, key: str) -> RecurringCluster:
    cluster = (
        None
        if viewer.is_external
        else RecurringCluster.objects.select_related("signature", "service", "work_item")
        .filter(key=key.strip().upper())
        .first()
    )
    if cluster is None:
        raise NotFound(f"No recurring cluster {key}")
    return cluster


def cluster_cases_for(viewer: Actor, cluster: RecurringCluster) -> list[object]:
    return list(case_list_for(viewer).filter(recurring_clusters=cluster).order_by("created_at"))
