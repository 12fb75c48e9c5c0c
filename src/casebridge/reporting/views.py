"""The flow metrics page."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from casebridge.accounts.models import Team
from casebridge.core import clock
from casebridge.core.errors import DomainError
from casebridge.core.schemas import bounded_int
from casebridge.reporting.selectors import flow_for
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
