"""The support KPIs a support lead is asked for every week, as tables: the page charts each one
and shows its numbers, the CSV export and the API give every one. Reads only.

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
* load per developer level: open work items assigned to the developers of each level, against
  what the developer ladder means each level to carry (``reporting.ladder``).

Every number that counts cases carries a metric (``Table.links``); ``reporting.drill`` lists the
cases behind it from the same case sets (``reporting.tables``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime

from django.db.models import Count, Min, Q, QuerySet
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek

from casebridge.audit.models import AuditEvent
from casebridge.cases.models import Case, CaseState
from casebridge.core import clock
from casebridge.core.actors import Actor
from casebridge.core.errors import ValidationFailed
from casebridge.incidents.models import Incident
from casebridge.occurrences.models import SignatureSighting
from casebridge.reporting import rolled
from casebridge.reporting import tables as t
from casebridge.reporting.ladder import load
from casebridge.reporting.rollup import walk
from casebridge.reporting.tables import Filters, Table, filters_for
from casebridge.sla.clocks import KIND_LABELS, Kind
from casebridge.sla.models import Clock, Policy

__all__ = ["BUILDERS", "DEFINITIONS", "Filters", "Table", "filters_for", "support_report_for"]

TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}

DEFINITIONS = {
    "volume": "Cases created (opened) and resolved in each period.",
    "outcomes": (
        "L2 resolution rate: resolved cases never escalated to development. Reopen rate: "
        "resolved cases reopened at least once. Returned for missing information: cases "
        "escalated in the period whose work item development sent back asking L2 for "
        "information at least once (the bug's needs_info step; a rejection does not count)."
    ),
    "escalations": "Cases opened in the period and escalated, per work item category.",
    "times": (
        "First response: creation to the first public reply by staff (a comment, a question, an "
        "escalation or a resolution by a person). Resolution: creation to the last resolution. "
        "Wall-clock hours; p90 is the time 90% of the cases stayed within."
    ),
    "states": (
        "Wall-clock hours the cases opened in the period spent in each open state, median and "
        "p90 per case."
    ),
    "compliance": (
        "Clocks that ended in the period: met (stopped within the target, in business hours of "
        "the policy's calendar, pauses not counted) or breached (the target passed). Compliance "
        "is the share met."
    ),
    "signatures": "Log signatures seen on the most cases opened in the period.",
    "incidents": (
        "MTTA: first alert (or the case's creation) to the declaration. MTTR: declaration to "
        "resolution. Mean hours over the incidents declared in the period; the list behind them "
        "is their cases."
    ),
    "load": (
        "Open work items assigned to the developers of each level, against the developer "
        "ladder's intent. Outside the intent: an L1's item without an L3+ mentor, or a critical "
        "bug with no L3+ among its assignees."
    ),
}


def _title(name: str, title: str, columns: list[str]) -> Table:
    return Table(name, title, columns)


def _volume_live(g: Filters) -> tuple[Counter[date], Counter[date]]:
    trunc = TRUNC[g.period]
    found: list[Counter[date]] = []
    for qs, column in ((t.opened(g), "created_at"), (t.resolved(g), "resolved_at")):
        rows = qs.annotate(p=trunc(column)).values_list("p").annotate(n=Count("id"))
        found.append(Counter({p.date(): n for p, n in rows.values_list("p", "n")}))
    return found[0], found[1]


def volume(f: Filters) -> Table:
    w = rolled.window(f)
    opened, resolved = rolled.volume(f, w) if w else _volume_live(f)
    table = _title("volume", "Cases in and out", ["period", "opened", "resolved"])
    for p in sorted(set(opened) | set(resolved)):
        day = p.isoformat()
        table.add([day, opened.get(p, 0), resolved.get(p, 0)],
                  {1: f"volume:opened:{day}", 2: f"volume:resolved:{day}"})  # fmt: skip
    return table


def outcomes(f: Filters) -> Table:
    w = rolled.window(f)
    if w is not None:
        counts, escalated = rolled.outcomes(w), rolled.escalated(w)
    else:
        counts = Counter(
            t.resolved(f).aggregate(
                total=Count("id"),
                at_l2=Count("id", filter=Q(work_item__isnull=True)),
                reopened=Count("id", filter=Q(reopen_count__gt=0)),
            )
        )
        found = t.cases(f).filter(t.escalated_in(f))
        returned = set(found.filter(t.returned_for_info()).values_list("id", flat=True))
        escalated = {cid: cid in returned for cid in found.values_list("id", flat=True)}
    n_escalated, returned_n = len(escalated), sum(escalated.values())
    table = _title("outcomes", "Outcomes", ["measure", "count", "of", "percent"])
    total = counts["total"]
    for label, n, of, metric, whole in (
        ("Resolved at L2", counts["at_l2"], total, "outcomes:at_l2", "outcomes:resolved"),
        ("Reopened", counts["reopened"], total, "outcomes:reopened", "outcomes:resolved"),
        ("Escalations returned for missing information", returned_n, n_escalated,
         "outcomes:returned", "outcomes:escalated"),
    ):  # fmt: skip
        table.add([label, n, of, t.pct(n, of)], {1: metric, 2: whole})
    return table


def escalations(f: Filters) -> Table:
    w = rolled.window(f)
    total, per = rolled.escalations(w) if w else (0, Counter())
    if w is None:
        opened = t.opened(f)
        total += opened.count()
        per.update(
            dict(
                opened.filter(work_item__isnull=False)
                .values_list("work_item__category")
                .annotate(n=Count("id"))
                .values_list("work_item__category", "n")
            )
        )
    table = _title("escalations", "Escalation rate", ["category", "escalated", "opened", "percent"])
    escalated = 0
    for category in sorted(c for c, n in per.items() if n):
        n = per[category]
        table.add([category, n, total, t.pct(n, total)],
                  {1: f"escalations:{category}", 2: "escalations:opened"})  # fmt: skip
        escalated += n
    table.add(["all", escalated, total, t.pct(escalated, total)],
              {1: "escalations:all", 2: "escalations:opened"})  # fmt: skip
    return table


def _min_at() -> Min:
    return Min("at")


def _first_live(g: Filters) -> list[float]:
    opened = t.opened(g)
    created = dict(opened.values_list("key", "created_at"))
    replies = (
        AuditEvent.objects.filter(subject_type="case", subject_key__in=opened.values("key"))
        .filter(t.staff_reply())
        .values_list("subject_key")
        .annotate(first=_min_at())
        .values_list("subject_key", "first")
    )
    return [t.hours(at - created[key]) for key, at in replies if key in created]


def times(f: Filters) -> Table:
    w = rolled.window(f)
    if w is not None:
        first, resolution = rolled.first_responses(f, w), rolled.resolutions(f, w)
    else:
        first = _first_live(f)
        resolution = [
            t.hours(r - c)
            for c, r in t.resolved(f).values_list("created_at", "resolved_at")
            if r is not None
        ]
    first.sort()
    resolution.sort()
    table = _title("times", "Response and resolution times (hours)",
                   ["measure", "cases", "median", "p90"])  # fmt: skip
    table.add(["First response", len(first), t.middle(first), t.quantile(first, 0.9)],
              {1: "times:first_response"})  # fmt: skip
    table.add(["Resolution", len(resolution), t.middle(resolution), t.quantile(resolution, 0.9)],
              {1: "times:resolution"})  # fmt: skip
    return table


def _walk_live(cases: QuerySet[Case], horizon: datetime, spent: dict[str, list[float]]) -> None:
    created = dict(cases.values_list("key", "created_at"))
    changes: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for key, at, new in (
        AuditEvent.objects.filter(subject_type="case", subject_key__in=cases.values("key"))
        .filter(field="state")
        .order_by("at", "id")
        .values_list("subject_key", "at", "new")
    ):
        changes[key].append((at, new))
    for key, start in created.items():
        per_case: dict[str, float] = {}
        walk(start, changes.get(key, []), horizon, per_case)
        for state, h in per_case.items():
            spent.setdefault(state, []).append(h)


def states(f: Filters) -> Table:
    w = rolled.window(f)
    spent: dict[str, list[float]] = {}
    horizon = min(f.end, clock.now())
    if w is None:
        _walk_live(t.opened(f), horizon, spent)
    elif later := rolled.state_hours(f, w, horizon, spent):
        _walk_live(Case.objects.filter(pk__in=later), horizon, spent)
    table = _title("states", "Time in each state (hours)", ["state", "cases", "median", "p90"])
    for state in CaseState:
        if spent.get(state.value):
            values = sorted(spent[state.value])  # once: the median and p90 then sort in O(n)
            table.add([state.label, len(values), t.middle(values), t.quantile(values, 0.9)],
                      {1: f"states:{state.value}"})  # fmt: skip
    return table


def ended_clocks(f: Filters) -> Q:
    """Clocks that ended in the period: met when they stopped, breached when the target passed."""
    return Q(stopped_at__gte=f.start, stopped_at__lt=f.end, state="met") | Q(
        breached_at__gte=f.start, breached_at__lt=f.end, state="breached"
    )


ENDED = {"met": "stopped_at", "breached": "breached_at"}


def _ended_counts(f: Filters) -> dict[tuple[int | None, str], Counter[str]]:
    """Per policy and kind, the clocks met and breached in the period: one query each, read
    from its covering index (``sla_clock_met``, ``sla_clock_breached_by``), no clock row."""
    counts: dict[tuple[int | None, str], Counter[str]] = defaultdict(Counter)
    for state, column in ENDED.items():
        clocks = Clock.objects.filter(
            state=state, **{f"{column}__gte": f.start, f"{column}__lt": f.end}
        )
        if f.service or f.organisation or f.team:
            clocks = clocks.filter(case__in=t.cases(f))
        for policy, kind, n in (
            clocks.order_by().values_list("policy_id", "kind").annotate(n=Count("*"))
        ):
            counts[policy, kind][state] += n
    return counts


def compliance(f: Filters) -> Table:
    counts = _ended_counts(f)
    policies: dict[int | None, tuple[str | None, str | None]] = {
        pk: (slug, name)
        for pk, slug, name in Policy.objects.filter(pk__in=[p for p, _ in counts]).values_list(
            "pk", "slug", "name"
        )
    }
    rows = [
        (*policies.get(p, (None, None)), kind, n["met"], n["breached"])
        for (p, kind), n in counts.items()
    ]
    table = _title("compliance", "SLA compliance",
                   ["policy", "target", "met", "breached", "compliance_percent"])  # fmt: skip
    met_all = breached_all = 0
    # by policy name and target, a deleted policy's clocks last
    for slug, policy, kind, met, breached in sorted(
        rows, key=lambda r: (r[1] is None, r[1] or "", r[2])
    ):
        label = KIND_LABELS[Kind(kind)] if kind in Kind.__members__.values() else kind
        key = f"compliance:{slug or '-'}:{kind}"
        table.add([policy or "(deleted)", label, met, breached, t.pct(met, met + breached)],
                  {2: f"{key}:met", 3: f"{key}:breached"})  # fmt: skip
        met_all, breached_all = met_all + met, breached_all + breached
    table.add(["all", "all", met_all, breached_all, t.pct(met_all, met_all + breached_all)],
              {2: "compliance:*:*:met", 3: "compliance:*:*:breached"})  # fmt: skip
    return table


def _sightings(f: Filters) -> QuerySet[SignatureSighting]:
    """Sightings on the cases opened in the window (a join, not a subquery of every case)."""
    found = SignatureSighting.objects.filter(
        case__created_at__gte=f.start, case__created_at__lt=f.end
    )
    if f.service:
        found = found.filter(case__service__slug=f.service)
    if f.organisation:
        found = found.filter(case__organisation__slug=f.organisation)
    if f.team:
        found = found.filter(case__work_item__team__slug=f.team)
    return found


def signatures(f: Filters) -> Table:
    rows = (
        _sightings(f)
        .values_list("signature_id", "signature__template")
        .annotate(cases=Count("case", distinct=True))
        .order_by("-cases", "signature_id")[:10]
    )
    table = _title("signatures", "Top recurring signatures", ["signature", "template", "cases"])
    for sid, template, n in rows:
        table.add([sid, template[:200], n], {2: f"signatures:{sid}"})
    return table


def incidents_in(f: Filters) -> Q:
    found = Q(declared_at__gte=f.start, declared_at__lt=f.end)
    return found & Q(service__slug=f.service) if f.service else found


def incidents(f: Filters) -> Table:
    ack: list[float] = []
    repair: list[float] = []
    for declared, fixed, first_alert, case_created in Incident.objects.filter(
        incidents_in(f)
    ).values_list("declared_at", "resolved_at", "alert_group__first_seen", "case__created_at"):
        began = first_alert or case_created
        if began is not None and declared >= began:
            ack.append(t.hours(declared - began))
        if fixed is not None:
            repair.append(t.hours(fixed - declared))
    table = _title("incidents", "Incidents: MTTA and MTTR (hours)",
                   ["measure", "incidents", "mean"])  # fmt: skip
    table.add(["MTTA", len(ack), round(sum(ack) / len(ack), 2) if ack else None],
              {1: "incidents:mtta"})  # fmt: skip
    table.add(["MTTR", len(repair), round(sum(repair) / len(repair), 2) if repair else None],
              {1: "incidents:mttr"})  # fmt: skip
    return table


BUILDERS: dict[str, Callable[[Filters], Table]] = {
    "volume": volume,
    "outcomes": outcomes,
    "escalations": escalations,
    "times": times,
    "states": states,
    "compliance": compliance,
    "signatures": signatures,
    "incidents": incidents,
    "load": load,
}


def definition(name: str) -> str:
    return DEFINITIONS[name]


def support_report_for(
    viewer: Actor | None, f: Filters, names: Iterable[str] | None = None
) -> list[Table]:
    """The report's tables (every one, or those named): the L2 lead, RTE, PM and admins."""
    t.report_allowed(viewer)
    chosen = list(names) if names is not None else list(BUILDERS)
    unknown = [n for n in chosen if n not in BUILDERS]
    if unknown:
        raise ValidationFailed(
            "Unknown table", fields={"table": f"Use one of {', '.join(BUILDERS)}."}
        )
    return [BUILDERS[n](f) for n in chosen]
