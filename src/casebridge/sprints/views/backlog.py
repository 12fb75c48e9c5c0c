"""The sprints overview, the ranked backlog (reorder by drag or keys, pins, estimates)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from casebridge.accounts.models import Team
from casebridge.core.csvexport import csv_response
from casebridge.core.errors import DomainError, ValidationFailed
from casebridge.sprints import selectors, serializers, services
from casebridge.sprints.selectors.backlog import backlog_for
from casebridge.sprints.selectors.sprints import unit_short
from casebridge.sprints.views.common import abilities, moves, report, safe_next, tabs
from casebridge.web.pages import Request, page, viewer
from casebridge.workitems.selectors import work_item_get_for

PAGE_SIZE = 100


@require_GET
@page(internal=True)
def index(request: Request) -> HttpResponse:
    user = viewer(request)
    teams = list(Team.objects.order_by("name"))
    rows = []
    for team in teams:
        current, nxt = selectors.current_sprint(team), selectors.next_sprint(team)
        rows.append({"team": team, "current": current, "next": nxt})
    ids = [s.pk for r in rows for s in (r["current"], r["next"]) if s is not None]
    context = {
        "rows": rows,
        "loads": selectors.sprint_loads(ids),
        "recent": list(selectors.sprint_list_for(user)[:12]),
        "increments": list(selectors.increment_list_for(user)[:5]),
        **abilities(user),
    }
    return render(request, "sprints/index.html", context)


@require_GET
@page(internal=True)
def backlog(request: Request, team: str) -> HttpResponse:
    user = viewer(request)
    found = selectors.team_get_for(user, team)
    ranked = backlog_for(user, found)
    rows = Paginator(ranked, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "team": found,
        "tabs": tabs(found, "backlog"),
        "page": rows,
        "rows": [
            {
                "r": r,
                "moves": moves(
                    r.rank - 1 if r.rank > 1 else None,
                    r.rank + 1 if r.rank < len(ranked) else None,
                ),
            }
            for r in rows.object_list
        ],
        "count": len(ranked),
        "unit": unit_short(found),
        "here": request.get_full_path(),
        **abilities(user),
    }
    return render(request, "sprints/backlog.html", context)


@require_GET
@page(internal=True)
def backlog_export(request: Request, team: str) -> HttpResponseBase:
    """The whole ranked backlog as CSV (rank, reason and all), streamed."""
    user = viewer(request)
    found = selectors.team_get_for(user, team)
    rows = serializers.backlog_csv_rows(backlog_for(user, found))
    return csv_response(f"backlog-{found.slug}", serializers.BACKLOG_CSV_HEADER, rows)


def _int(value: str | None, field: str) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise ValidationFailed("Bad input", fields={field: "Give a whole number."}) from None


@require_POST
@page(internal=True)
def move(request: Request, team: str) -> HttpResponse:
    """Move to ``position`` (a button or a drop) or by ``offset``: pins the item there (RTE)."""
    user = viewer(request)
    found = selectors.team_get_for(user, team)
    back = safe_next(request, reverse("sprints:backlog", args=[found.slug]))
    try:
        item = work_item_get_for(user, request.POST.get("key", ""))
        if request.POST.get("position"):
            position = _int(request.POST.get("position"), "position")
            how = {"up": "Moved up", "down": "Moved down"}.get(request.POST.get("how", ""))
            services.backlog_pin(
                actor=user,
                team=found,
                item=item,
                position=position,
                reason=f"{how or 'Dragged'} to #{position}",
            )
        else:
            offset = _int(request.POST.get("offset"), "offset")
            services.backlog_move(actor=user, team=found, item=item, offset=offset)
    except DomainError as exc:
        report(request, exc)
    return redirect(back)


@require_POST
@page(internal=True)
def unpin(request: Request, team: str) -> HttpResponse:
    user = viewer(request)
    found = selectors.team_get_for(user, team)
    try:
        item = work_item_get_for(user, request.POST.get("key", ""))
        services.backlog_unpin(actor=user, item=item)
        messages.success(request, f"{item.key} is back in its natural place.")
    except DomainError as exc:
        report(request, exc)
    return redirect(safe_next(request, reverse("sprints:backlog", args=[found.slug])))


@require_POST
@page(internal=True)
def estimate(request: Request) -> HttpResponse:
    user = viewer(request)
    raw = request.POST.get("estimate", "").strip()
    try:
        item = work_item_get_for(user, request.POST.get("key", ""))
        value = _int(raw, "estimate") if raw else None
        services.backlog_estimate(actor=user, item=item, estimate=value)
    except DomainError as exc:
        report(request, exc)
    return redirect(safe_next(request, reverse("sprints:index")))
