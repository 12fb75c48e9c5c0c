"""Folding alerts into alert groups, in memory, for one batch of payloads (``worker.payloads_fold``
loads the lookups, applies every alert, then saves the changed and new groups).

The rules of folding, per alert (fingerprint or dedup key) in arrival order:

* firing, an open group exists: count it, update last seen and annotations;
* firing, none open, and the alert started before the last group of it resolved: a late or
  repeated notification of that resolved group: count it there (do not reopen);
* firing otherwise: a new group;
* acknowledged: the open group is acknowledged (an unknown key is ignored, as PagerDuty does);
* resolved, an open group exists: the group resolves at the alert's ``endsAt``;
* resolved, none open: counted on the last resolved group of the alert if it is the same alert,
  else recorded as a new, already resolved group (its firing may still be on the way).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, models
from django.db.models import Max, QuerySet, Subquery

from casebridge.catalog.models import Component, Environment, Service
from casebridge.core.prepared import rows_insert, rows_update
from casebridge.monitoring.formats import AlertEvent
from casebridge.monitoring.models import (
    OPEN_ALERT_STATES,
    AlertGroup,
    AlertStatus,
    Integration,
    Payload,
)

GroupKey = tuple[int, str]
UPDATED_FIELDS = [
    "status",
    "firing_count",
    "resolved_count",
    "last_seen",
    "resolved_at",
    "acknowledged_at",
    "annotations",
    "last_payload",
    "sync_pending",
]


def locked[M: models.Model](query: QuerySet[M]) -> QuerySet[M]:
    """The rows of ``query`` locked for this transaction, skipping those another worker holds
    (PostgreSQL); SQLite's IMMEDIATE transaction is the lock there."""
    if connection.features.has_select_for_update_skip_locked:
        return query.select_for_update(skip_locked=True, of=("self",))
    return query


@dataclass
class Catalogue:
    """Integrations, services and components by the names alerts use, loaded once per batch."""

    integrations: dict[int, Integration]
    services: dict[str, Service]
    components: dict[tuple[int, str], Component]

    @classmethod
    def load(cls, integration_ids: Iterable[int]) -> Catalogue:
        integrations = Integration.objects.select_related("service").in_bulk(set(integration_ids))
        services = {s.slug: s for s in Service.objects.all()}
        components = {(c.service_id, c.slug): c for c in Component.objects.all()}
        return cls(integrations, services, components)

    def place(
        self, integration: Integration, labels: dict[str, str]
    ) -> tuple[Service, Component | None, str]:
        """The service (a ``service`` label naming one, else the integration's), its component
        (a ``component`` label) and the environment (an ``environment``/``env`` label)."""
        service = self.services.get(labels.get("service", "")) or integration.service
        component = self.components.get((service.pk, labels.get("component", "")))
        env = labels.get("environment") or labels.get("env") or ""
        env = {"prod": "production", "stage": "staging", "dev": "development"}.get(env, env)
        return service, component, env if env in Environment.values else integration.environment


@dataclass
class Fold:
    """The groups a batch touches, indexed by (integration, fingerprint)."""

    now: datetime
    catalogue: Catalogue
    open: dict[GroupKey, AlertGroup] = field(default_factory=dict)
    last_resolved: dict[GroupKey, AlertGroup] = field(default_factory=dict)
    new: list[AlertGroup] = field(default_factory=list)
    changed: dict[int, AlertGroup] = field(default_factory=dict)
    ignored: int = 0

    def load(self, keys: set[GroupKey]) -> None:
        integration_ids = {i for i, _ in keys}
        fingerprints = {f for _, f in keys}
        mine = AlertGroup.objects.filter(
            integration_id__in=integration_ids, fingerprint__in=fingerprints
        )
        for group in locked(mine.filter(status__in=OPEN_ALERT_STATES).order_by("id")):
            self.open[(group.integration_id or 0, group.fingerprint)] = group
        latest = (
            mine.filter(status=AlertStatus.RESOLVED)
            .values("integration_id", "fingerprint")
            .order_by()
            .annotate(last=Max("id"))
            .values("last")
        )
        for group in locked(AlertGroup.objects.filter(pk__in=Subquery(latest)).order_by("id")):
            key = (group.integration_id or 0, group.fingerprint)
            if key in keys:
                self.last_resolved[key] = group

    def touch(self, group: AlertGroup) -> None:
        if group.pk is not None:
            self.changed[group.pk] = group

    def apply(self, payload: Payload, event: AlertEvent) -> None:
        key = (payload.integration_id, event.fingerprint)
        seen = payload.received_at
        group = self.open.get(key)
        if event.action == AlertStatus.FIRING:
            self._firing(key, group, payload, event)
        elif event.action == AlertStatus.ACKNOWLEDGED:
            if group is None:
                self.ignored += 1
                return
            if group.status == AlertStatus.FIRING:
                group.status = AlertStatus.ACKNOWLEDGED
                group.acknowledged_at = seen
                group.sync_pending = True
            self._seen(group, payload)
        else:
            self._resolved(key, group, payload, event)

    def _seen(self, group: AlertGroup, payload: Payload) -> None:
        group.last_seen = max(group.last_seen, payload.received_at)
        group.last_payload_id = payload.pk
        self.touch(group)

    def _firing(
        self, key: GroupKey, group: AlertGroup | None, payload: Payload, event: AlertEvent
    ) -> None:
        if group is None:
            resolved = self.last_resolved.get(key)
            started = event.starts_at
            ended = resolved.resolved_at if resolved is not None else None
            if resolved is not None and started is not None and ended and started <= ended:
                resolved.firing_count += 1
                self._seen(resolved, payload)
                return
            group = self._create(key, payload, event, AlertStatus.FIRING)
            self.open[key] = group
        group.firing_count += 1
        if event.annotations:
            group.annotations = event.annotations
        self._seen(group, payload)

    def _resolved(
        self, key: GroupKey, group: AlertGroup | None, payload: Payload, event: AlertEvent
    ) -> None:
        ended = event.ends_at or payload.received_at
        if group is not None:
            group.status = AlertStatus.RESOLVED
            group.resolved_at = ended
            group.resolved_count += 1
            group.sync_pending = True
            self._seen(group, payload)
            del self.open[key]
            self.last_resolved[key] = group
            return
        resolved = self.last_resolved.get(key)
        started = event.starts_at
        same = (
            resolved is not None
            and resolved.resolved_at is not None
            and (started is None or started <= resolved.resolved_at)
        )
        if resolved is not None and same:
            resolved.resolved_count += 1
            self._seen(resolved, payload)
            return
        group = self._create(key, payload, event, AlertStatus.RESOLVED)
        group.resolved_at = ended
        group.resolved_count = 1
        self.last_resolved[key] = group

    def _create(
        self, key: GroupKey, payload: Payload, event: AlertEvent, status: str
    ) -> AlertGroup:
        integration = self.catalogue.integrations[payload.integration_id]
        service, component, environment = self.catalogue.place(integration, event.labels)
        start = event.starts_at or payload.received_at
        group = AlertGroup(
            integration_id=integration.pk,
            fingerprint=key[1],
            status=status,
            title=event.title,
            severity=event.severity[:16],
            labels=event.labels,
            annotations=event.annotations,
            source_url=event.source_url,
            service=service,
            component=component,
            environment=environment,
            starts_at=start,
            first_seen=payload.received_at,
            last_seen=payload.received_at,
            last_payload_id=payload.pk,
            sync_pending=True,
            created_at=self.now,
        )
        self.new.append(group)
        return group

    def save(self) -> None:
        """Changed groups first (a group resolved in this batch frees its fingerprint for a new
        open group), then the new ones; one prepared statement each (``core.prepared``)."""
        rows_update(AlertGroup, list(self.changed.values()), UPDATED_FIELDS)
        rows_insert(AlertGroup, self.new)
