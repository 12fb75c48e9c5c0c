"""The flow metrics page."""

from __future__ import annotations

import csv
import itertools
from datetime import datetime, timedelta

from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from casebridge.accounts.models import Team
from casebridge.core import clock
from casebridge.core.csvexport import csv_response
from casebridge.core.errors import DomainError, ValidationFailed
from casebridge.core.schemas import aware_datetime, bounded_int
from casebridge.reporting.schemas import FLOW_CSV_HEADER, flow_csv_rows
from casebridge.reporting.selectors import flow_for
from casebridge.reporting.support import filters_for, support_report_for
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


@require_GET
@page(internal=True)
def support_csv(request: Request, table: str) -> HttpResponseBase:
    """One table of the support report as CSV, streamed (?start=&end=&period=&service=...)."""
    user = viewer(request)
    try:
        f = filters_for(
            start=_when(request.GET.get("start")),
            end=_when(request.GET.get("end")),
            period=request.GET.get("period", "week"),
            service=request.GET.get("service", "")[:80],
            organisation=request.GET.get("organisation", "")[:80],
            team=request.GET.get("team", "")[:80],
        )
        (found,) = support_report_for(user, f, [table])
    except DomainError as exc:
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain")
    writer = csv.writer(_Echo())
    rows = itertools.chain([found.columns], found.rows)
    response = StreamingHttpResponse((writer.writerow(r) for r in rows), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="support-{found.name}.csv"'
    return response


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = aware_datetime(text)
    except ValueError as exc:
        raise ValidationFailed("Bad time", fields={"start": str(exc)}) from exc
    return value if isinstance(value, datetime) else None
