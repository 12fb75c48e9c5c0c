"""The support report's numbers read from the rollup (``reporting.rollup``), once it has read
every audit event: the counts of the window's whole days from ``DailyRollup``, those of its
partial days (the edges) and the per-case times from ``CaseFact``, with the live computation's
predicates, so the figures equal it (``tests/reporting/test_rollup.py``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connections
from django.db.models import Case, Count, F, FloatField, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Coalesce, Greatest

from casebridge.accounts.models import Organisation, Team
from casebridge.audit.models import AuditEvent
from casebridge.catalog.models import Service
from casebridge.reporting.models import CaseFact, DailyRollup, EscalationDay
from casebridge.reporting.rollup import (
    HOURS,
    epoch_us,
    local_day,
    midnight,
    rollup_current,
    unpack,
    unpack_ints,
)
from casebridge.reporting.tables import Filters

Span = tuple[datetime, datetime]


@dataclass(frozen=True)
class Window:
    """The report's window as whole days (first, after the last; maybe empty) and the partial
    days at its edges; ``ids`` are the filters as fact columns."""

    days: tuple[date, date]
    edges: list[Span]
    ids: dict[str, int]


def _ids(f: Filters) -> dict[str, int]:
    """The filters as fact columns (-1: a slug that names nothing, so nothing matches)."""
    out: dict[str, int] = {}
    for name, model in (("service", Service), ("organisation", Organisation), ("team", Team)):
        slug = getattr(f, name)
        if slug:
            found = model.objects.filter(slug=slug).values_list("id", flat=True).first()
            out[f"{name}_id"] = -1 if found is None else found
    return out


def window(f: Filters) -> Window | None:
    """``f`` for the rollup, or None when the rollup is not built or far behind (read live)."""
    if not rollup_current():
        return None
    first = local_day(f.start)
    if midnight(first) < f.start:
        first += timedelta(days=1)
    after = local_day(f.end)
    if first >= after:
        return Window((first, first), [(f.start, f.end)], _ids(f))
    edges = [(f.start, midnight(first))] if f.start < midnight(first) else []
    if midnight(after) < f.end:
        edges.append((midnight(after), f.end))
    return Window((first, after), edges, _ids(f))


def _facts(w: Window, **span: object) -> QuerySet[CaseFact]:
    return CaseFact.objects.filter(**span, **w.ids)


def _rollups(w: Window) -> QuerySet[DailyRollup]:
    return DailyRollup.objects.filter(day__gte=w.days[0], day__lt=w.days[1], **w.ids)


def period_of(f: Filters, day: date) -> date:
    if f.period == "week":
        return day - timedelta(days=day.weekday())
    if f.period == "month":
        return day.replace(day=1)
    return day


def volume(f: Filters, w: Window) -> tuple[Counter[date], Counter[date]]:
    opened: Counter[date] = Counter()
    resolved: Counter[date] = Counter()
    for day, o, r in _rollups(w).values_list("day", "opened", "resolved"):
        opened[period_of(f, day)] += o
        resolved[period_of(f, day)] += r
    for lo, hi in w.edges:
        p = period_of(f, local_day(lo))
        opened[p] += _facts(w, created_at__gte=lo, created_at__lt=hi).count()
        resolved[p] += _facts(w, resolved_at__gte=lo, resolved_at__lt=hi).count()
    return +opened, +resolved


def outcomes(w: Window) -> Counter[str]:
    counts: Counter[str] = Counter()
    for r, l2, reopened in _rollups(w).values_list(
        "resolved", "resolved_at_l2", "resolved_reopened"
    ):
        counts.update({"total": r, "at_l2": l2, "reopened": reopened})
    for lo, hi in w.edges:
        counts.update(
            _facts(w, resolved_at__gte=lo, resolved_at__lt=hi).aggregate(
                total=Count("pk"),
                at_l2=Count("pk", filter=Q(category="")),
                reopened=Count("pk", filter=Q(reopened=True)),
            )
        )
    return counts


def escalated(w: Window) -> dict[int, bool]:
    """The cases escalated in the window: whether each was returned for missing information."""
    days = EscalationDay.objects.filter(day__gte=w.days[0], day__lt=w.days[1]).values("case_id")
    found = dict(
        CaseFact.objects.filter(case_id__in=days, **w.ids).values_list("case_id", "returned")
    )
    for lo, hi in w.edges:
        keys = AuditEvent.objects.filter(
            subject_type="case", action="escalate", field="state", at__gte=lo, at__lt=hi
        ).values("subject_key")
        found |= dict(
            CaseFact.objects.filter(case__key__in=keys, **w.ids).values_list("case_id", "returned")
        )
    return found


def escalations(w: Window) -> tuple[int, Counter[str]]:
    total = 0
    per: Counter[str] = Counter()
    for opened, by_category in _rollups(w).values_list("opened", "escalated"):
        total += opened
        per.update(by_category or {})
    for lo, hi in w.edges:
        edge = _facts(w, created_at__gte=lo, created_at__lt=hi)
        total += edge.count()
        per.update(
            dict(
                edge.exclude(category="")
                .values_list("category")
                .annotate(n=Count("pk"))
                .values_list("category", "n")
            )
        )
    return total, per


def _floats[R](qs: QuerySet[CaseFact, R]) -> list[float]:
    """The one float column ``qs`` selects, fetched raw (no per-row ORM work: 100,000s of rows)."""
    sql, params = qs.query.sql_with_params()
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _spans(w: Window, days: Iterable[date] = ()) -> list[Span]:
    """The window's edges, and ``days`` as spans (whole days read from the facts)."""
    return [*w.edges, *((midnight(d), midnight(d + timedelta(days=1))) for d in days)]


def _times(w: Window, packed: str, stamp: str, hours: str) -> list[float]:
    """The per-case hours of the window: whole days from their rollup rows' packed ``packed``
    list, the partial days at the edges from the facts whose ``stamp`` falls in them."""
    found: list[float] = []
    for (blob,) in _rollups(w).values_list(packed):
        found += unpack(blob).tolist()
    for lo, hi in w.edges:
        edge = {f"{stamp}__gte": lo, f"{stamp}__lt": hi, f"{hours}__isnull": False}
        found += _floats(_facts(w, **edge).values_list(hours))
    return found


def first_responses(f: Filters, w: Window) -> list[float]:
    return _times(w, "first_response", "created_at", "first_response_hours")


def resolutions(f: Filters, w: Window) -> list[float]:
    return _times(w, "resolution", "resolved_at", "resolution_hours")


def state_hours(
    f: Filters, w: Window, horizon: datetime, into: dict[str, list[float]]
) -> list[int]:
    """Append each case's hours per open state up to ``horizon`` to ``into`` (the cases opened in
    the window); returns the ids of the cases whose last state change comes after ``horizon``
    (the caller walks them live). Whole days come from the rollup's times (each open case's
    current state grows by ``(until - since) / 10**6 / 3600``: the double operations of
    ``rollup.walk``), unless a case of the day changed state after ``horizon``: that day, and
    the edges, are read from the facts."""
    until = epoch_us(horizon)
    names = list(HOURS)
    rows = list(
        _rollups(w).values_list(
            "day", "last_change_us", "open_counts", "open_hours", "open_since", *HOURS.values()
        )
    )
    # a day with a case that changed state after the horizon is read from the facts, whole
    later = {row[0] for row in rows if row[1] > until}
    for day, _, counts, hours, since, *kept in rows:
        if day in later:
            continue
        for name, blob in zip(names, kept, strict=True):
            if blob:
                into.setdefault(name, []).extend(unpack(blob).tolist())
        at = 0
        pairs = list(zip(unpack(hours).tolist(), unpack_ints(since).tolist(), strict=True))
        for name, n in zip(names, unpack_ints(counts).tolist(), strict=True):
            if n:
                # since <= last <= until: the interval is never negative (walk's max(0, ...))
                into.setdefault(name, []).extend(
                    h + (until - s) / 1_000_000 / 3600 for h, s in pairs[at : at + n]
                )
            at += n
    walk_live: list[int] = []
    for lo, hi in _spans(w, sorted(later)):
        walk_live += _state_hours_of_facts(w, lo, hi, until, into)
    return walk_live


def _state_hours_of_facts(
    w: Window, lo: datetime, hi: datetime, until: int, into: dict[str, list[float]]
) -> list[int]:
    """``state_hours`` for the cases opened from ``lo`` to ``hi``, from their facts: the
    database adds the current state's open interval in double precision, the same operations as
    ``rollup.walk``: ``(until - since) / 10**6 / 3600``."""
    opened = _facts(w, created_at__gte=lo, created_at__lt=hi)
    interval = Greatest(
        Value(0.0),
        Cast(Value(until) - F("since_us"), FloatField()) / Value(1_000_000.0) / Value(3600.0),
        output_field=FloatField(),
    )
    columns: dict[str, Case] = {}  # per state: its hours, or null when the case was never in it
    for name, column in HOURS.items():
        hours = Coalesce(F(column), Value(0.0), output_field=FloatField()) + Case(
            When(state=name, then=interval), default=Value(0.0), output_field=FloatField()
        )
        columns[name] = Case(
            When(Q(**{f"{column}__isnull": False}) | Q(state=name), then=hours),
            default=None,
            output_field=FloatField(),
        )
    query = opened.filter(since_us__lte=until).annotate(**columns).values_list(*columns)
    sql, params = query.query.sql_with_params()
    with connections[opened.db].cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    for i, name in enumerate(columns):
        if spent := [row[i] for row in found if row[i] is not None]:
            into.setdefault(name, []).extend(spent)
    return list(opened.filter(since_us__gt=until).values_list("case_id", flat=True))
