"""The flow metrics page, the support dashboard, the cases behind its numbers, its CSV."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from casebridge.accounts.models import Organisation, Team
from casebridge.catalog.models import Service
from casebridge.core import clock
from casebridge.core.csvexport import csv_response
from casebridge.core.errors import DomainError, ValidationFailed
from casebridge.core.schemas import aware_datetime, bounded_int
from casebridge.reporting.charts import Chart, chart_of
from casebridge.reporting.drill import MAX_ROWS, drill_for
from casebridge.reporting.schemas import FLOW_CSV_HEADER, flow_csv_rows
from casebridge.reporting.selectors import flow_for
from casebridge.reporting.support import DEFINITIONS, filters_for, support_report_for
from casebridge.reporting.tables import Cell, Filters, Table, report_allowed
from casebridge.sprints.selectors import team_get_for
from casebridge.web.pages import Request, page, viewer

WINDOWS = (14, 28, 56, 91, 182)


@require_GET
@page(internal=True)
def flow(request: Request) -> HttpResponse:
    user = viewer(request)
    slug = request.GET.get("team", "")
    category = request.GET.get("category", "")
    days = bounded_int(request.GET.get("days", ""))
    days = days if days in WINDOWS else 28
    team = team_get_for(user, slug) if slug else None
    end = clock.now()
    context: dict[str, object] = {
        "teams": list(Team.objects.order_by("name")),
        "team": team,
        "category": category,
        "days": days,
        "windows": WINDOWS,
    }
    try:
        metrics = flow_for(user, team=team, category=category, start=end - timedelta(days), end=end)
    except DomainError as exc:
        context["problem"] = exc
        return render(request, "reporting/flow.html", context, status=422)
    active = [s for s in metrics.stages if s.hours.n]
    context.update(
        {
            "m": metrics,
            "chart": {
                "weeks": [f"{w:%b %d}" for w, _ in metrics.throughput_weekly],
                "throughput": [n for _, n in metrics.throughput_weekly],
                "days": [f"{d:%b %d}" for d, _ in metrics.wip_daily],
                "wip": [n for _, n in metrics.wip_daily],
                "stages": [s.label for s in active],
                "median": [s.hours.median for s in active],
            },
            "efficiency_pct": None
            if metrics.flow_efficiency is None
            else round(100 * metrics.flow_efficiency),
            "predictability_pct": None
            if metrics.predictability_overall is None
            else round(100 * metrics.predictability_overall),
        }
    )
    return render(request, "reporting/flow.html", context)


@require_GET
@page(internal=True)
def flow_csv(request: Request) -> HttpResponseBase:
    """The page's flow metrics (same ``team``, ``category``, ``days``) as CSV."""
    user = viewer(request)
    slug = request.GET.get("team", "")
    days = bounded_int(request.GET.get("days", ""))
    end = clock.now()
    try:
        team = team_get_for(user, slug) if slug else None
        metrics = flow_for(
            user,
            team=team,
            category=request.GET.get("category", ""),
            start=end - timedelta(days if days in WINDOWS else 28),
            end=end,
        )
    except DomainError as exc:
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain")
    return csv_response("flow", FLOW_CSV_HEADER, flow_csv_rows(metrics))


class _Echo:
    def write(self, value: str) -> str:
        return value


def _when(text: str | None, name: str) -> datetime | None:
    if not text:
        return None
    try:
        value = aware_datetime(text)
    except ValueError as exc:
        raise ValidationFailed("Bad time", fields={name: str(exc)}) from exc
    return value if isinstance(value, datetime) else None


def _filters(request: Request) -> Filters:
    q = request.GET
    end = _when(q.get("end"), "end")
    if end is not None and len(q.get("end", "").strip()) == 10:
        end += timedelta(days=1)  # a date on the form: up to the end of that day
    return filters_for(
        start=_when(q.get("start"), "start"),
        end=end,
        period=q.get("period", "week"),
        service=q.get("service", "")[:80],
        organisation=q.get("organisation", "")[:80],
        team=q.get("team", "")[:80],
    )


@dataclass(frozen=True)
class Shown:
    """A table as the page shows it: each cell with the link to the list behind it."""

    table: Table
    definition: str
    chart: Chart | None
    cells: list[list[tuple[Cell, str]]]
    csv: str


def _shown(table: Table, query: dict[str, str]) -> Shown:
    drill = reverse("reporting:support_cases")
    cells = [
        [(cell, f"{drill}?{urlencode({**query, 'metric': m})}" if m else "")
         for cell, m in zip(row, links, strict=True)]
        for row, links in zip(table.rows, table.links, strict=True)
    ]  # fmt: skip
    csv_url = reverse("reporting:support_csv", args=[table.name])
    return Shown(table, DEFINITIONS[table.name], chart_of(table), cells,
                 f"{csv_url}?{urlencode(query)}")  # fmt: skip


def _choices() -> dict[str, object]:
    return {
        "services": Service.objects.order_by("name").values_list("slug", "name"),
        "organisations": Organisation.objects.order_by("name").values_list("slug", "name"),
        "teams": Team.objects.order_by("name").values_list("slug", "name"),
        "periods": ("day", "week", "month"),
    }


@require_GET
@page(internal=True)
def support(request: Request) -> HttpResponse:
    """The support dashboard: every KPI table as a chart and its numbers, filtered."""
    user = viewer(request)
    report_allowed(user)
    q = request.GET
    context: dict[str, object] = {
        **_choices(),
        "start_day": q.get("start", "")[:40],
        "end_day": q.get("end", "")[:40],
        "sel": {n: q.get(n, "")[:80] for n in ("period", "service", "organisation", "team")},
    }
    try:
        f = _filters(request)
        found = support_report_for(user, f)
    except ValidationFailed as exc:
        context["problem"] = exc
        return render(request, "reporting/support.html", context, status=422)
    query = f.query()
    context.update(
        {
            "sel": {
                "period": f.period,
                "service": f.service,
                "organisation": f.organisation,
                "team": f.team,
            },
            "start_day": f.start.date().isoformat(),
            "end_day": (f.end - timedelta(microseconds=1)).date().isoformat(),
            "tables": [_shown(t, query) for t in found],
        }
    )
    return render(request, "reporting/support.html", context)


@require_GET
@page(internal=True)
def support_cases(request: Request) -> HttpResponse:
    """The cases (or work items) behind one number of the dashboard, as the viewer may see them."""
    user = viewer(request)
    report_allowed(user)
    try:
        f = _filters(request)
        drill = drill_for(user, f, request.GET.get("metric", "")[:200])
    except ValidationFailed as exc:
        return render(request, "reporting/support_cases.html", {"problem": exc}, status=422)
    rows = drill.cases if drill.cases is not None else drill.work_items
    count = rows.count() if rows is not None else 0
    back = f"{reverse('reporting:support')}?{urlencode(f.query())}"
    context = {"drill": drill, "f": f, "count": count, "limit": MAX_ROWS, "back": back,
               "rows": list(rows[:MAX_ROWS]) if rows is not None else []}  # fmt: skip
    return render(request, "reporting/support_cases.html", context)


@require_GET
@page(internal=True)
def support_csv(request: Request, table: str) -> HttpResponseBase:
    """One table of the support report as CSV, streamed (?start=&end=&period=&service=...)."""
    user = viewer(request)
    try:
        (found,) = support_report_for(user, _filters(request), [table])
    except DomainError as exc:
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain")
    writer = csv.writer(_Echo())
    rows: Iterator[Sequence[Cell]] = itertools.chain([found.columns], found.rows)
    response = StreamingHttpResponse((writer.writerow(r) for r in rows), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="support-{found.name}.csv"'
    return response
