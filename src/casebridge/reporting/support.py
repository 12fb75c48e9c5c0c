"""The support KPIs a support lead is asked for every week, as tables (the page charts some of
them, the CSV export and the API give every one). Reads only.

Definitions (also written on the page, ``DEFINITIONS``):

* opened / resolved: cases created / resolved in the period (a reopened and resolved again case
  counts at its last resolution).
* L2 resolution rate: of the cases resolved in the period, the share never escalated to
  development (no work item linked).
* escalation rate: of the cases opened in the period, the share escalated to development, per
  work item category.
* returned for missing information: escalations in the period whose work item development sent
  back to L2 asking for information (the bug workflow's ``needs_info``) at least once; a
  rejection does not count.
* reopen rate: of the cases resolved in the period, the share reopened at least once.
* first response: creation to the first public reply by staff (comment, question, escalation or
  resolution by a person); resolution: creation to resolution. Wall-clock hours, median and p90.
* time in state: wall-clock hours the period's cases spent in each state (median per case).
* SLA compliance: of the clocks that ended in the period (met when stopped, breached when the
  target passed), the share met, per policy and target.
* MTTA / MTTR (incidents declared in the period): from the first alert (or the case's creation)
  to the declaration, and from the declaration to resolution; mean hours.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek

from casebridge.accounts.models import EXTERNAL_ROLES, UserRole
from casebridge.audit.models import AuditEvent
from casebridge.cases.models import Case, CaseState
from casebridge.core import clock
from casebridge.core.errors import PermissionDenied, ValidationFailed
from casebridge.incidents.models import Incident
from casebridge.occurrences.models import SignatureSighting
from casebridge.sla.clocks import KIND_LABELS, Kind
from casebridge.sla.history import RESPONSE_ACTIONS
from casebridge.sla.models import Clock

PERIODS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}
MAX_DAYS = 366

DEFINITIONS = {
    "volume": "Cases created (opened) and resolved in each period.",
    "outcomes": (
        "L2 resolution rate: resolved cases never escalated to development. Reopen rate: "
        "resolved cases reopened at least once. Returned for missing information: escalations "
        "whose work item development sent back asking L2 for information (not rejections)."
    ),
    "escalations": "Cases opened in the period and escalated, per work item category.",
    "times": (
        "First response: creation to the first public reply by staff. Resolution: creation to "
        "resolution. Wall-clock hours."
    ),
    "states": "Median wall-clock hours a case of the period spent in each state.",
    "compliance": (
        "Clocks that ended in the period: met (stopped within the target) or breached (the "
        "target passed). Compliance is the share met."
    ),
    "signatures": "Log signatures seen on the most cases of the period.",
    "incidents": (
        "MTTA: first alert (or the case's creation) to the declaration. MTTR: declaration to "
        "resolution. Mean hours, incidents declared in the period."
    ),
}


@dataclass(frozen=True)
class Filters:
    start: datetime
    end: datetime
    period: str = "week"
    service: str = ""
    organisation: str = ""
    team: str = ""


@dataclass
class Table:
    name: str
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)

    @property
    def definition(self) -> str:
        return DEFINITIONS[self.name]


def filters_for(
    *,
    start: datetime | None,
    end: datetime | None,
    period: str = "week",
    service: str = "",
    organisation: str = "",
    team: str = "",
) -> Filters:
    end = end or clock.now()
    start = start or end - timedelta(days=28)
    errors: dict[str, str] = {}
    if start >= end:
        errors["start"] = "The start must come before the end."
    elif end - start > timedelta(days=MAX_DAYS):
        errors["start"] = f"Ask for at most {MAX_DAYS} days at a time."
    if period not in PERIODS:
        errors["period"] = f"Use one of {', '.join(PERIODS)}."
    if errors:
        raise ValidationFailed("The report could not be made", fields=errors)
    return Filters(start, end, period, service, organisation, team)


def _cases(f: Filters) -> QuerySet[Case]:
    cases = Case.objects.all()
    if f.service:
        cases = cases.filter(service__slug=f.service)
    if f.organisation:
        cases = cases.filter(organisation__slug=f.organisation)
    if f.team:
        cases = cases.filter(work_item__team__slug=f.team)
    return cases


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def _quantile(values: list[float], q: float) -> float | None:
    """Nearest-rank quantile (p90 = the value 90% of the cases stay within)."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(q * len(ordered)) - 1)], 2)


def _median(values: list[float]) -> float | None:
    return round(median(values), 2) if values else None


def volume(f: Filters) -> Table:
    trunc = PERIODS[f.period]
    cases = _cases(f)
    opened = dict(
        cases.filter(created_at__gte=f.start, created_at__lt=f.end)
        .annotate(p=trunc("created_at"))
        .values_list("p")
        .annotate(n=Count("id"))
        .values_list("p", "n")
    )
    resolved = dict(
        cases.filter(resolved_at__gte=f.start, resolved_at__lt=f.end)
        .annotate(p=trunc("resolved_at"))
        .values_list("p")
        .annotate(n=Count("id"))
        .values_list("p", "n")
    )
    table = Table("volume", "Cases in and out", ["period", "opened", "resolved"])
    for p in sorted(set(opened) | set(resolved)):
        table.rows.append([p.date().isoformat(), opened.get(p, 0), resolved.get(p, 0)])
    return table


def _returned_for_info() -> Q:
    return Q(
        Exists(
            AuditEvent.objects.filter(
                subject_type="case",
                subject_key=OuterRef("key"),
                action="work_item_progress",
                data__action="needs_info",
            )
        )
    )


def outcomes(f: Filters) -> Table:
    resolved = _cases(f).filter(resolved_at__gte=f.start, resolved_at__lt=f.end)
    counts = resolved.aggregate(
        total=Count("id"),
        at_l2=Count("id", filter=Q(work_item__isnull=True)),
        reopened=Count("id", filter=Q(reopen_count__gt=0)),
    )
    escalated = _cases(f).filter(_escalated_in(f))
    returned = escalated.filter(_returned_for_info()).count()
    n_escalated = escalated.count()
    table = Table("outcomes", "Outcomes", ["measure", "count", "of", "percent"])
    total = counts["total"]
    table.rows += [
        ["Resolved at L2", counts["at_l2"], total, _pct(counts["at_l2"], total)],
        ["Reopened", counts["reopened"], total, _pct(counts["reopened"], total)],
        ["Escalations returned for missing information", returned, n_escalated,
         _pct(returned, n_escalated)],
    ]  # fmt: skip
    return table


def _escalated_in(f: Filters) -> Q:
    return Q(
        Exists(
            AuditEvent.objects.filter(
                subject_type="case",
                subject_key=OuterRef("key"),
                action="escalate",
                field="state",
                at__gte=f.start,
                at__lt=f.end,
            )
        )
    )


def escalations(f: Filters) -> Table:
    opened = _cases(f).filter(created_at__gte=f.start, created_at__lt=f.end)
    total = opened.count()
    rows = (
        opened.filter(work_item__isnull=False)
        .values_list("work_item__category")
        .annotate(n=Count("id"))
        .order_by("work_item__category")
    )
    table = Table("escalations", "Escalation rate", ["category", "escalated", "opened", "percent"])
    for category, n in rows:
        table.rows.append([category, n, total, _pct(n, total)])
    escalated = sum(r[1] for r in table.rows)
    table.rows.append(["all", escalated, total, _pct(escalated, total)])
    return table


def _staff_reply() -> Q:
    staff = UserRole.objects.filter(user=OuterRef("actor")).exclude(role__in=EXTERNAL_ROLES)
    return Q(public=True, action__in=RESPONSE_ACTIONS, actor__isnull=False) & Q(Exists(staff))


def times(f: Filters) -> Table:
    opened = _cases(f).filter(created_at__gte=f.start, created_at__lt=f.end)
    created = dict(opened.values_list("key", "created_at"))
    replies = (
        AuditEvent.objects.filter(subject_type="case", subject_key__in=opened.values("key"))
        .filter(_staff_reply())
        .values_list("subject_key")
        .annotate(first=_min_at())
        .values_list("subject_key", "first")
    )
    first = [_hours(at - created[key]) for key, at in replies if key in created]
    resolved = _cases(f).filter(resolved_at__gte=f.start, resolved_at__lt=f.end)
    resolution = [
        _hours(r - c) for c, r in resolved.values_list("created_at", "resolved_at") if r is not None
    ]
    table = Table("times", "Response and resolution times (hours)",
                  ["measure", "cases", "median", "p90"])  # fmt: skip
    table.rows += [
        ["First response", len(first), _median(first), _quantile(first, 0.9)],
        ["Resolution", len(resolution), _median(resolution), _quantile(resolution, 0.9)],
    ]
    return table


def _min_at() -> Any:
    return Min("at")


def states(f: Filters) -> Table:
    opened = _cases(f).filter(created_at__gte=f.start, created_at__lt=f.end)
    created = dict(opened.values_list("key", "created_at"))
    changes: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for key, at, new in (
        AuditEvent.objects.filter(subject_type="case", subject_key__in=opened.values("key"))
        .filter(field="state")
        .order_by("at", "id")
        .values_list("subject_key", "at", "new")
    ):
        changes[key].append((at, new))
    spent: dict[str, list[float]] = defaultdict(list)
    horizon = min(f.end, clock.now())
    for key, start in created.items():
        per_case: defaultdict[str, float] = defaultdict(float)
        timeline = [(start, CaseState.NEW.value), *changes.get(key, [])]
        for (at, state), nxt in zip(timeline, [*timeline[1:], (horizon, "")], strict=True):
            if state in (CaseState.RESOLVED, CaseState.CLOSED):
                continue
            per_case[state] += max(0.0, _hours(min(nxt[0], horizon) - at))
        for state, h in per_case.items():
            spent[state].append(h)
    table = Table("states", "Time in each state (hours)", ["state", "cases", "median", "p90"])
    for state in CaseState:
        if spent.get(state.value):
            values = spent[state.value]
            table.rows.append([state.label, len(values), _median(values), _quantile(values, 0.9)])
    return table


def compliance(f: Filters) -> Table:
    clocks = Clock.objects.filter(
        Q(stopped_at__gte=f.start, stopped_at__lt=f.end, state="met")
        | Q(breached_at__gte=f.start, breached_at__lt=f.end, state="breached")
    ).filter(case__in=_cases(f))
    rows = (
        clocks.values_list("policy__name", "kind")
        .annotate(
            met=Count("id", filter=Q(state="met")),
            breached=Count("id", filter=Q(state="breached")),
        )
        .order_by("policy__name", "kind")
    )
    table = Table("compliance", "SLA compliance",
                  ["policy", "target", "met", "breached", "compliance_percent"])  # fmt: skip
    met_all = breached_all = 0
    for policy, kind, met, breached in rows:
        label = KIND_LABELS[Kind(kind)] if kind in Kind.__members__.values() else kind
        table.rows.append([policy or "(deleted)", label, met, breached, _pct(met, met + breached)])
        met_all, breached_all = met_all + met, breached_all + breached
    table.rows.append(["all", "all", met_all, breached_all, _pct(met_all, met_all + breached_all)])
    return table


def signatures(f: Filters) -> Table:
    opened = _cases(f).filter(created_at__gte=f.start, created_at__lt=f.end)
    rows = (
        SignatureSighting.objects.filter(case__in=opened)
        .values_list("signature_id", "signature__template")
        .annotate(cases=Count("case", distinct=True))
        .order_by("-cases", "signature_id")[:10]
    )
    table = Table("signatures", "Top recurring signatures", ["signature", "template", "cases"])
    table.rows += [[sid, template[:200], n] for sid, template, n in rows]
    return table


def incidents(f: Filters) -> Table:
    found = Incident.objects.filter(declared_at__gte=f.start, declared_at__lt=f.end)
    if f.service:
        found = found.filter(service__slug=f.service)
    ack: list[float] = []
    repair: list[float] = []
    for declared, resolved, first_alert, case_created in found.values_list(
        "declared_at", "resolved_at", "alert_group__first_seen", "case__created_at"
    ):
        began = first_alert or case_created
        if began is not None and declared >= began:
            ack.append(_hours(declared - began))
        if resolved is not None:
            repair.append(_hours(resolved - declared))
    table = Table("incidents", "Incidents: MTTA and MTTR (hours)", ["measure", "incidents", "mean"])
    table.rows += [
        ["MTTA", len(ack), round(sum(ack) / len(ack), 2) if ack else None],
        ["MTTR", len(repair), round(sum(repair) / len(repair), 2) if repair else None],
    ]
    return table


BUILDERS = {
    "volume": volume,
    "outcomes": outcomes,
    "escalations": escalations,
    "times": times,
    "states": states,
    "compliance": compliance,
    "signatures": signatures,
    "incidents": incidents,
}


def support_report_for(viewer: Any, f: Filters, names: Iterable[str] | None = None) -> list[Table]:
    """The report's tables (every one, or those named); support staff only."""
    if viewer is None or viewer.is_external or not viewer.is_authenticated:
        raise PermissionDenied("Reports are for support staff")
    chosen = list(names) if names is not None else list(BUILDERS)
    unknown = [n for n in chosen if n not in BUILDERS]
    if unknown:
        raise ValidationFailed(
            "Unknown table", fields={"table": f"Use one of {', '.join(BUILDERS)}."}
        )
    return [BUILDERS[n](f) for n in chosen]
