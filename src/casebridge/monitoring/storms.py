"""Alert storms: when a service gets more new alert groups in a minute than the threshold, the
new groups fold into one storm case (that lists them) instead of one case each.

The threshold is the integration's ``storm_threshold``, else ``CASEBRIDGE_STORM_GROUPS_PER_MINUTE``;
"new groups in a minute" counts the alert groups of the service created in the last 60 seconds,
the group being caught up included. A storm is one ``AlertStorm`` row per service (at most one
open, which the database enforces) with its case; every group that would have opened a case
while it is open joins it instead (recorded on the storm case). It ends once no group joined for
``CASEBRIDGE_STORM_QUIET_MINUTES`` (``storms_end``, a worker job; or the next group to come).
Starting publishes ``AlertStormStarted`` (the incidents app proposes an incident from it), ending
publishes ``AlertStormEnded``. Called in the sync worker's transaction (``alert_cases``), which
writes the joins of its groups together (``Joining``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from casebridge.accounts.models import User
from casebridge.audit.actions import AuditAction
from casebridge.audit.models import AuditEvent
from casebridge.audit.services import audit_build, audit_record, audit_write
from casebridge.cases.models import Case, Impact
from casebridge.cases.services import CaseInput, case_create
from casebridge.core import clock
from casebridge.core import events as domain_events
from casebridge.monitoring.events import AlertStormEnded, AlertStormStarted
from casebridge.monitoring.models import AlertGroup, AlertStorm, GroupKind, Integration

WINDOW = timedelta(seconds=60)
LISTED = 50


def storm_threshold(integration: Integration | None) -> int:
    """New groups a minute on one service above which they fold into a storm case."""
    own = integration.storm_threshold if integration is not None else 0
    return int(own or settings.STORM_GROUPS_PER_MINUTE)


def quiet_period() -> timedelta:
    return timedelta(minutes=settings.STORM_QUIET_MINUTES)


def _open_storm(service_id: int, now: datetime) -> AlertStorm | None:
    """The service's open storm, locked; one past its quiet period ends first."""
    storm = (
        AlertStorm.objects.select_for_update(of=("self",))
        .select_related("case", "service")
        .filter(service_id=service_id, ended_at=None)
        .first()
    )
    if storm is not None and storm.last_group_at + quiet_period() <= now:
        storm_end(storm)
        return None
    return storm


def _recent(group: AlertGroup, now: datetime) -> list[AlertGroup]:
    query = AlertGroup.objects.filter(
        kind=GroupKind.ALERT, service_id=group.service_id, created_at__gt=now - WINDOW
    )
    return list(query.order_by("id")[: LISTED + 1])


def _recent_count(group: AlertGroup, now: datetime) -> int:
    return AlertGroup.objects.filter(
        kind=GroupKind.ALERT, service_id=group.service_id, created_at__gt=now - WINDOW
    ).count()


def _storm_description(group: AlertGroup, count: int, threshold: int) -> str:
    listed = _recent(group, clock.now())
    lines = [
        f"{count} new alert groups on {group.service.name} within a minute (the threshold is "
        f"{threshold}): an alert storm. Until it is quiet for {settings.STORM_QUIET_MINUTES} "
        "minutes, new alert groups of the service join this case instead of opening one each; "
        "each is recorded on its timeline.",
        "",
        "Groups when it started:",
    ]
    lines += [f"  {g.key} {g.title}" for g in listed[:LISTED]]
    if len(listed) > LISTED:
        lines.append(f"  ... and {count - LISTED} more")
    return "\n".join(lines)


def storm_start(group: AlertGroup, count: int, actor: User) -> AlertStorm:
    """Open the service's storm with its case (another worker may have just opened it: then
    that one), and publish ``AlertStormStarted``."""
    now = clock.now()
    threshold = storm_threshold(group.integration)
    reporter = group.integration.reporter if group.integration else None
    data = CaseInput(
        title=f"[Storm] {group.service.name}: {count} new alert groups in a minute",
        description=_storm_description(group, count, threshold),
        service=group.service,
        environment=group.environment,
        impact=Impact.HIGH,
        reporter=reporter,
    )
    try:
        with transaction.atomic():
            case = case_create(actor=actor, data=data, channel="monitoring")
            storm = AlertStorm.objects.create(
                service=group.service,
                case=case,
                started_at=now,
                last_group_at=now,
                threshold=threshold,
            )
    except IntegrityError:
        return AlertStorm.objects.select_for_update(of=("self",)).get(
            service_id=group.service_id, ended_at=None
        )
    domain_events.publish(
        AlertStormStarted(
            storm_id=storm.pk,
            service_id=group.service_id,
            service=group.service.slug,
            case_id=case.pk,
            groups=count,
            threshold=threshold,
            started_at=now.isoformat(),
        )
    )
    return storm


@dataclass
class Joining:
    """What one transaction of catching groups up holds of the storms: the open storms it has
    locked (by service), so that the groups joining them do not lock and read them again for
    each, and what the joins write, written once per transaction (``flush``): each storm's
    count and last join, and the joins' audit events in one statement."""

    storms: dict[int, AlertStorm] = field(default_factory=dict)
    joined: dict[int, AlertStorm] = field(default_factory=dict)
    events: list[AuditEvent] = field(default_factory=list)

    def hold(self, service_ids: set[int]) -> None:
        """Lock the open storms of these services at once, in the order of their services:
        two workers catching up groups of the same services never wait for each other in a
        circle (each locked the storm of the service it met first)."""
        if not service_ids:
            return
        storms = (
            AlertStorm.objects.select_for_update(of=("self",))
            .select_related("case", "service")
            .filter(service_id__in=service_ids, ended_at=None)
            .order_by("service_id")
        )
        for storm in storms:
            self.storms[storm.service_id] = storm

    def flush(self) -> None:
        for storm in self.joined.values():
            AlertStorm.objects.filter(pk=storm.pk).update(
                group_count=storm.group_count, last_group_at=storm.last_group_at
            )
        audit_write(self.events)
        self.joined, self.events = {}, []


def storm_case_for(
    group: AlertGroup, *, actor: User, joining: Joining | None = None
) -> Case | None:
    """The case of the storm ``group`` joins (starting one if it crosses the threshold), or
    ``None``: the group opens its own case. ``joining``: the storms this transaction holds,
    and the writes of its joins, which the caller flushes before it commits (without it, they
    are written at once)."""
    if group.kind != GroupKind.ALERT:
        return None
    now = clock.now()
    holding = joining if joining is not None else Joining()
    storm = holding.storms.get(group.service_id)
    if storm is None or storm.last_group_at + quiet_period() <= now:
        holding.flush()  # a storm ending here is written after the joins it had
        storm = _open_storm(group.service_id, now)
    if storm is None:
        count = _recent_count(group, now)
        if count <= storm_threshold(group.integration):
            return None
        storm = storm_start(group, count, actor)
    holding.storms[group.service_id] = storm
    holding.joined[storm.pk] = storm
    storm.group_count += 1
    storm.last_group_at = max(storm.last_group_at, now)
    group.storm = storm
    case = storm.case
    if case is not None:
        holding.events.append(
            audit_build(
                actor=None,
                subject=case,
                action=AuditAction.ALERT_STORM_JOINED,
                field="alert",
                new=group.key,
                reason=f"{group.key} {group.title} joined the storm ({group.alerts_total} alerts)",
            )
        )
    if joining is None:
        holding.flush()
    return case


def storm_end(storm: AlertStorm) -> None:
    """End a storm quiet for its period (at the end of that period) and say so on its case."""
    storm.ended_at = storm.last_group_at + quiet_period()
    storm.save(update_fields=["ended_at"])
    if storm.case is not None:
        audit_record(
            actor=None,
            subject=storm.case,
            action=AuditAction.ALERT_STORM_ENDED,
            field="alert",
            reason=f"The storm is over: {storm.group_count} alert groups joined it, none in the "
            f"last {settings.STORM_QUIET_MINUTES} minutes",
        )
    domain_events.publish(
        AlertStormEnded(
            storm_id=storm.pk,
            service_id=storm.service_id,
            case_id=storm.case_id,
            groups=storm.group_count,
            ended_at=storm.ended_at.isoformat(),
        )
    )


def storms_end() -> int:
    """End every storm quiet for its period (a worker job); returns how many ended."""
    cutoff = clock.now() - quiet_period()
    ended = 0
    with transaction.atomic():
        quiet = AlertStorm.objects.select_for_update(of=("self",)).select_related("case")
        for storm in quiet.filter(ended_at=None, last_group_at__lte=cutoff).order_by("id"):
            storm_end(storm)
            ended += 1
    return ended
