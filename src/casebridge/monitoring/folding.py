"""Folding alerts into alerts and alert groups, in memory, for one batch of payloads
(``worker.payloads_fold`` loads the lookups, applies every alert, then saves what changed).

An **alert** is one fingerprint (or dedup key) from its firing to its resolve; a **group** is the
alerts of one grouping key (``grouping.group_key``: the integration's grouping labels, or the
webhook's ``groupLabels``), open while any of its alerts is. The rules, per alert in arrival order:

* firing, the alert is open: count it (on the alert and its group), update last seen;
* firing, not open, and it started before the last resolve of the same alert: a late or
  repeated notification of that resolve: count it there (do not reopen);
* firing otherwise: a new alert, in the open group of its key (a new group if none is open);
  if the alert resolved before, it fired again: more than ``FLAP_LIMIT`` times within the
  window and it (and its group) is flapping;
* acknowledged: the open alert and its group are acknowledged (an unknown key is ignored);
* resolved, the alert is open: it resolves at ``endsAt``; the group resolves with its last
  open alert;
* resolved, not open: counted on the last resolve of the alert if it is the same alert, else
  recorded as a new, already resolved alert in the open (or last) group of its key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, models
from django.db.models import Max, QuerySet, Subquery

from casebridge.catalog.models import Component, Environment, Service
from casebridge.core.prepared import row_insert, rows_insert, rows_update
from casebridge.monitoring.formats import AlertEvent
from casebridge.monitoring.grouping import group_key, labels_of
from casebridge.monitoring.models import (
    OPEN_ALERT_STATES,
    Alert,
    AlertGroup,
    AlertStatus,
    Integration,
    Payload,
)

Key = tuple[int, str]
UPDATED_FIELDS = [
    "status",
    "firing_count",
    "resolved_count",
    "alerts_open",
    "alerts_total",
    "flapping",
    "last_seen",
    "resolved_at",
    "acknowledged_at",
    "annotations",
    "last_payload",
    "sync_pending",
]
ALERT_FIELDS = ["status", "firing_count", "resolved_count", "last_seen", "resolved_at"]
#: Written once, with the alert, and never read by the fold: not loaded (nor converted) again.
ALERT_UNREAD = ("labels", "starts_at", "first_seen", "created_at", "flapping")


#: Grouping keys by the label names and values they hash (the key depends on nothing else).
_KEYS: dict[tuple[object, ...], str] = {}
MAX_REMEMBERED_KEYS = 100_000


def locked[M: models.Model](query: QuerySet[M]) -> QuerySet[M]:
    """The rows of ``query`` locked for this transaction, skipping those another worker holds
    (PostgreSQL); SQLite's IMMEDIATE transaction is the lock there."""
    if connection.features.has_select_for_update_skip_locked:
        return query.select_for_update(skip_locked=True, of=("self",))
    return query


def held[M: models.Model](query: QuerySet[M]) -> QuerySet[M]:
    """The rows of ``query`` locked for this transaction, waiting for another worker's hold
    (PostgreSQL): two workers folding alerts of the same group take turns on it."""
    if connection.features.has_select_for_update:
        return query.select_for_update(of=("self",))
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

    def group_key(self, integration_id: int, event: AlertEvent) -> str:
        """``grouping.group_key``, remembered per integration and grouping label values: a
        storm's thousands of alerts have a few hundred keys, each hashed once."""
        integration = self.integrations[integration_id]
        names = labels_of(integration, event)
        values = (integration_id, *names, *(event.labels.get(name, "") for name in names))
        if not any(event.labels.get(name) for name in names):
            return event.fingerprint
        key = _KEYS.get(values)
        if key is None:
            if len(_KEYS) > MAX_REMEMBERED_KEYS:
                _KEYS.clear()
            key = _KEYS[values] = group_key(integration, event)
        return key


def new_group(
    catalogue: Catalogue,
    gkey: Key,
    payload: Payload,
    event: AlertEvent,
    *,
    status: str,
    now: datetime,
) -> AlertGroup:
    """A new group of the key ``gkey``, described by its first alert ``event`` of ``payload``
    (not saved): its service, component and environment placed by the catalogue."""
    integration = catalogue.integrations[payload.integration_id]
    service, component, environment = catalogue.place(integration, event.labels)
    start = event.starts_at or payload.received_at
    return AlertGroup(
        integration_id=integration.pk,
        fingerprint=gkey[1],
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
        resolved_at=(event.ends_at or payload.received_at) if status != "firing" else None,
        sync_pending=True,
        created_at=now,
    )


def _latest[M: models.Model](model: type[M], query: QuerySet[M]) -> QuerySet[M]:
    """The last resolved row of each (integration, fingerprint) of ``query``, locked."""
    latest = (
        query.filter(status=AlertStatus.RESOLVED)
        .values("integration_id", "fingerprint")
        .order_by()
        .annotate(last=Max("id"))
        .values("last")
    )
    return held(model._default_manager.filter(pk__in=Subquery(latest)).order_by("id"))


@dataclass
class Fold:
    """The alerts and groups a batch touches, by (integration, fingerprint or grouping key)."""

    now: datetime
    catalogue: Catalogue
    open: dict[Key, Alert] = field(default_factory=dict)
    last_resolved: dict[Key, Alert] = field(default_factory=dict)
    groups: dict[int, AlertGroup] = field(default_factory=dict)
    open_groups: dict[Key, AlertGroup] = field(default_factory=dict)
    last_groups: dict[Key, AlertGroup] = field(default_factory=dict)
    new: list[AlertGroup] = field(default_factory=list)
    new_alerts: list[Alert] = field(default_factory=list)
    changed: dict[int, AlertGroup] = field(default_factory=dict)
    changed_alerts: dict[int, Alert] = field(default_factory=dict)
    #: Open groups opened ahead, still without any alert, by the payload that opened them.
    waiting: dict[int, int | None] = field(default_factory=dict)
    ignored: int = 0

    def load(self, keys: set[Key], group_keys: set[Key]) -> None:
        """The alerts of ``keys`` (open, last resolved) and the groups of ``group_keys`` (open,
        last resolved) and of those alerts, locked: five queries whatever the batch."""
        mine = Alert.objects.filter(
            integration_id__in={i for i, _ in keys}, fingerprint__in={f for _, f in keys}
        ).defer(*ALERT_UNREAD)
        for alert in held(mine.filter(status__in=OPEN_ALERT_STATES).order_by("id")):
            self.open[(alert.integration_id, alert.fingerprint)] = alert
        for alert in _latest(Alert, mine):
            if (alert.integration_id, alert.fingerprint) in keys:
                self.last_resolved[(alert.integration_id, alert.fingerprint)] = alert
        theirs = AlertGroup.objects.filter(
            integration_id__in={i for i, _ in group_keys},
            fingerprint__in={f for _, f in group_keys},
        )
        for group in held(theirs.filter(status__in=OPEN_ALERT_STATES).order_by("id")):
            self.open_groups[(group.integration_id or 0, group.fingerprint)] = group
            self.groups[group.pk] = group
            if not (group.alerts_total or group.firing_count or group.resolved_count):
                self.waiting[group.pk] = group.last_payload_id
        for group in _latest(AlertGroup, theirs):
            key = (group.integration_id or 0, group.fingerprint)
            if key in group_keys:
                self.last_groups[key] = group
            self.groups[group.pk] = group
        alerts = [*self.open.values(), *self.last_resolved.values()]
        missing = {a.group_id for a in alerts} - set(self.groups)
        for group in held(AlertGroup.objects.filter(pk__in=missing).order_by("id")):
            self.groups[group.pk] = group

    def _touch(self, group: AlertGroup, payload: Payload) -> None:
        group.last_seen = max(group.last_seen, payload.received_at)
        group.last_payload_id = payload.pk
        if group.pk is not None:
            self.changed[group.pk] = group

    def _seen(self, alert: Alert, group: AlertGroup, payload: Payload) -> None:
        alert.last_seen = max(alert.last_seen, payload.received_at)
        if alert.pk is not None:
            self.changed_alerts[alert.pk] = alert
        self._touch(group, payload)

    def group_of(self, alert: Alert) -> AlertGroup:
        group = alert.group if alert.pk is None else self.groups[alert.group_id]
        assert isinstance(group, AlertGroup)
        return group

    def apply(self, payload: Payload, event: AlertEvent) -> None:
        key = (payload.integration_id, event.fingerprint)
        alert = self.open.get(key)
        if event.action == AlertStatus.FIRING:
            self._firing(key, alert, payload, event)
        elif event.action == AlertStatus.ACKNOWLEDGED:
            if alert is None:
                self.ignored += 1
                return
            group = self.group_of(alert)
            if alert.status == AlertStatus.FIRING:
                alert.status = AlertStatus.ACKNOWLEDGED
            if group.status == AlertStatus.FIRING:
                group.status = AlertStatus.ACKNOWLEDGED
                group.acknowledged_at = payload.received_at
                group.sync_pending = True
            self._seen(alert, group, payload)
        else:
            self._resolved(key, alert, payload, event)

    def _firing(self, key: Key, alert: Alert | None, payload: Payload, event: AlertEvent) -> None:
        if alert is None:
            resolved = self.last_resolved.get(key)
            started = event.starts_at
            ended = resolved.resolved_at if resolved is not None else None
            if resolved is not None and started is not None and ended and started <= ended:
                resolved.firing_count += 1
                group = self.group_of(resolved)
                group.firing_count += 1
                self._seen(resolved, group, payload)
                return
            alert = self._new_alert(key, payload, event, AlertStatus.FIRING, resolved)
            self.open[key] = alert
            group = self.group_of(alert)
            group.alerts_open += 1
        else:
            group = self.group_of(alert)
        alert.firing_count += 1
        group.firing_count += 1
        if event.annotations:
            group.annotations = event.annotations
        self._seen(alert, group, payload)

    def _flips(self, alert: Alert, before: Alert | None, seen: datetime) -> None:
        """An alert firing again after a resolve: count it; too often in the window: flapping."""
        if before is None:
            return
        window = timedelta(minutes=settings.FLAP_WINDOW_MINUTES)
        since = before.flips_since
        if since is not None and seen - since <= window:
            alert.flips, alert.flips_since = before.flips + 1, since
        else:
            alert.flips, alert.flips_since = 1, seen
        alert.flapping = alert.flips > settings.FLAP_LIMIT

    def _resolved(self, key: Key, alert: Alert | None, payload: Payload, event: AlertEvent) -> None:
        ended = event.ends_at or payload.received_at
        if alert is not None:
            group = self.group_of(alert)
            alert.status = AlertStatus.RESOLVED
            alert.resolved_at = ended
            alert.resolved_count += 1
            group.resolved_count += 1
            group.alerts_open = max(0, group.alerts_open - 1)
            if not group.alerts_open and group.status in OPEN_ALERT_STATES:
                self._group_resolves(group, ended)
            self._seen(alert, group, payload)
            del self.open[key]
            self.last_resolved[key] = alert
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
            group = self.group_of(resolved)
            group.resolved_count += 1
            self._seen(resolved, group, payload)
            return
        alert = self._new_alert(key, payload, event, AlertStatus.RESOLVED, None)
        alert.resolved_at = ended
        alert.resolved_count = 1
        group = self.group_of(alert)
        group.resolved_count += 1
        if group.pk is None and group.status == AlertStatus.RESOLVED:
            group.resolved_at = max(group.resolved_at or ended, ended)
        self._touch(group, payload)
        self.last_resolved[key] = alert

    def _group_resolves(self, group: AlertGroup, ended: datetime) -> None:
        group.status = AlertStatus.RESOLVED
        group.resolved_at = ended
        group.sync_pending = True
        key = (group.integration_id or 0, group.fingerprint)
        self.open_groups.pop(key, None)
        self.last_groups[key] = group

    def _new_alert(
        self, key: Key, payload: Payload, event: AlertEvent, status: str, before: Alert | None
    ) -> Alert:
        gkey = (key[0], self.catalogue.group_key(key[0], event))
        group = self.open_groups.get(gkey)
        if group is None and status == AlertStatus.RESOLVED:
            group = self.last_groups.get(gkey)
        if group is None:
            group = self._new_group(gkey, payload, event, status)
        alert = Alert(
            integration_id=key[0],
            group=group,
            fingerprint=key[1],
            status=status,
            labels=event.labels,
            starts_at=event.starts_at or payload.received_at,
            first_seen=payload.received_at,
            last_seen=payload.received_at,
            created_at=self.now,
        )
        self._flips(alert, before, payload.received_at)
        if alert.flapping and not group.flapping:
            group.flapping = True
            group.sync_pending = True
        group.alerts_total += 1
        self.new_alerts.append(alert)
        return alert

    def _new_group(self, gkey: Key, payload: Payload, event: AlertEvent, status: str) -> AlertGroup:
        group = new_group(self.catalogue, gkey, payload, event, status=status, now=self.now)
        self.new.append(group)
        if status == AlertStatus.FIRING:
            self.open_groups[gkey] = group
        else:
            self.last_groups[gkey] = group
        return group

    def settle(self, last_payload: int) -> None:
        """A group opened ahead of its alerts (``ahead.groups_ahead``) whose first firing has been
        folded, yet has no open alert (that firing repeated an alert already resolved, or the alert
        was open in another group): it resolves, as a group of no firing alert would."""
        for pk, opened_by in self.waiting.items():
            group = self.groups[pk]
            folded = opened_by is None or opened_by <= last_payload
            if folded and group.status in OPEN_ALERT_STATES and not group.alerts_open:
                self._group_resolves(group, group.last_seen)
                self.changed[pk] = group

    def save(self) -> None:
        """Changed rows first (a group or alert resolved in this batch frees its key for a new
        open one), then the new groups (one by one: their alerts need the key) and the new
        alerts; the updates and the alerts' inserts are one prepared statement each."""
        rows_update(AlertGroup, list(self.changed.values()), UPDATED_FIELDS)
        rows_update(Alert, list(self.changed_alerts.values()), ALERT_FIELDS)
        for group in self.new:
            row_insert(group)
        for alert in self.new_alerts:
            alert.group_id = alert.group.pk
        rows_insert(Alert, self.new_alerts)
