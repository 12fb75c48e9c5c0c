"""The support report's numbers for whole past days, read from the rollup (``reporting.rollup``);
``support`` adds what it computes live (today, and the partial days at the window's edges) with
the same predicates, so the sum equals the live computation over the whole window."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from django.db.models import QuerySet

from casebridge.accounts.models import Organisation, Team
from casebridge.catalog.models import Service
from casebridge.core import clock
from casebridge.reporting.models import CaseFact, DailyRollup, EscalationDay
from casebridge.reporting.rollup import HOURS, local_day, midnight, rollup_current
from casebridge.reporting.tables import Filters


@dataclass(frozen=True)
class Split:
    """A window as whole past days read from the rollup (``days``: first, after last) and the
    sub-windows computed live."""

    days: tuple[date, date] | None
    live: list[Filters] = field(default_factory=list)


def split(f: Filters) -> Split:
    first = local_day(f.start)
    if midnight(first) < f.start:
        first += timedelta(days=1)
    after = min(local_day(f.end), local_day(clock.now()))
    if first >= after or not rollup_current():
        return Split(None, [f])
    live = []
    if f.start < midnight(first):
        live.append(replace(f, end=midnight(first)))
    if midnight(after) < f.end:
        live.append(replace(f, start=midnight(after)))
    return Split((first, after), live)


def _ids(f: Filters) -> dict[str, int]:
    """The filters as fact columns (-1: a slug that names nothing, so nothing matches)."""
    out: dict[str, int] = {}
    for name, model in (("service", Service), ("organisation", Organisation), ("team", Team)):
        slug = getattr(f, name)
        if slug:
            found = model.objects.filter(slug=slug).values_list("id", flat=True).first()
            out[f"{name}_id"] = -1 if found is None else found
    return out


def facts(f: Filters, days: tuple[date, date], column: str = "day") -> QuerySet[CaseFact]:
    lo, hi = days
    return CaseFact.objects.filter(**{f"{column}__gte": lo, f"{column}__lt": hi}, **_ids(f))


def rollups(f: Filters, days: tuple[date, date]) -> QuerySet[DailyRollup]:
    return DailyRollup.objects.filter(day__gte=days[0], day__lt=days[1], **_ids(f))


def period_of(f: Filters, day: date) -> date:
    if f.period == "week":
        return day - timedelta(days=day.weekday())
    if f.period == "month":
        return day.replace(day=1)
    return day


def volume(f: Filters, days: tuple[date, date]) -> tuple[Counter[date], Counter[date]]:
    opened: Counter[date] = Counter()
    resolved: Counter[date] = Counter()
    for day, o, r in rollups(f, days).values_list("day", "opened", "resolved"):
        opened[period_of(f, day)] += o
        resolved[period_of(f, day)] += r
    return opened, resolved


def outcomes(f: Filters, days: tuple[date, date]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for r, l2, reopened in rollups(f, days).values_list(
        "resolved", "resolved_at_l2", "resolved_reopened"
    ):
        counts["total"] += r
        counts["at_l2"] += l2
        counts["reopened"] += reopened
    return counts


def escalated(f: Filters, days: tuple[date, date]) -> dict[int, bool]:
    """The cases escalated on these days: whether each was returned for missing information."""
    found = EscalationDay.objects.filter(day__gte=days[0], day__lt=days[1]).values("case_id")
    return dict(
        CaseFact.objects.filter(case_id__in=found, **_ids(f)).values_list("case_id", "returned")
    )


def escalations(f: Filters, days: tuple[date, date]) -> tuple[int, Counter[str]]:
    total = 0
    per: Counter[str] = Counter()
    for opened, by_category in rollups(f, days).values_list("opened", "escalated"):
        total += opened
        per.update(by_category or {})
    return total, per


def first_responses(f: Filters, days: tuple[date, date]) -> list[float]:
    return list(
        facts(f, days)
        .filter(first_response_hours__isnull=False)
        .values_list("first_response_hours", flat=True)
    )


def resolutions(f: Filters, days: tuple[date, date]) -> list[float]:
    return list(
        facts(f, days, "resolved_day")
        .filter(resolution_hours__isnull=False)
        .values_list("resolution_hours", flat=True)
    )


def state_hours(
    f: Filters, days: tuple[date, date], horizon: datetime, into: dict[str, list[float]]
) -> list[int]:
    """Append each case's hours per open state up to ``horizon`` to ``into``; returns the ids of
    the cases whose last state change comes after ``horizon`` (the caller walks them live)."""
    columns = list(HOURS.values())
    later: list[int] = []
    for cid, state, since, *hours in (
        facts(f, days)
        .values_list("case_id", "state", "since", *columns)
        .iterator(chunk_size=10_000)
    ):
        if since > horizon:
            later.append(cid)
            continue
        extra = (
            {state: max(0.0, (horizon - since).total_seconds() / 3600)} if (state in HOURS) else {}
        )
        for (name, _), value in zip(HOURS.items(), hours, strict=True):
            if name in extra:
                into.setdefault(name, []).append((value or 0.0) + extra[name])
            elif value is not None:
                into.setdefault(name, []).append(value)
    return later
