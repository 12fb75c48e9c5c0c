"""The sprint board with its burndown and burnup, closing a sprint, and velocity."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from casebridge.core.csvexport import csv_response
from casebridge.core.errors import DomainError
from casebridge.sprints import selectors, serializers, services
from casebridge.sprints.planner import Pace
from casebridge.sprints.selectors.boards import board_for, burndown_for
from casebridge.sprints.selectors.sprints import unit_short
from casebridge.sprints.selectors.velocity import velocity_for
from casebridge.sprints.views.common import abilities, report, tabs
from casebridge.web.pages import Request, page, viewer


@require_GET
@page(internal=True)
def board(request: Request, pk: int) -> HttpResponse:
    user = viewer(request)
    sprint = selectors.sprint_get_for(user, pk)
    chart = burndown_for(user, sprint)
    data: dict[str, object] = {
        "labels": chart.labels,
        "scope": [d.scope for d in chart.days],
        "done": [d.done for d in chart.days],
        "remaining": [d.remaining for d in chart.days],
        "ideal": [d.ideal for d in chart.days],
        "capacity": sprint.capacity,
    }
    following = selectors.following_sprint(sprint)
    state = selectors.sprint_state(sprint)
    context = {
        "sprint": sprint,
        "state": state,
        "can_start_now": state == "future" and selectors.current_sprint(sprint.team) is None,
        "board": board_for(user, sprint),
        "team": sprint.team,
        "tabs": tabs(sprint.team, ""),
        "unit": unit_short(sprint.team),
        "chart": data,
        "days": chart.days,
        "following": following,
        **abilities(user),
    }
    return render(request, "sprints/board.html", context)


@require_POST
@page(internal=True)
def close(request: Request, pk: int) -> HttpResponse:
    user = viewer(request)
    sprint = selectors.sprint_get_for(user, pk)
    try:
        done = services.sprint_close(actor=user, sprint=sprint)
    except DomainError as exc:
        report(request, exc)
        return redirect("sprints:board", pk=sprint.pk)
    text = f"{sprint.name} is closed: {len(done.done)} done"
    if done.carried_over and done.carried_to is not None:
        text += f", {len(done.carried_over)} carried over to {done.carried_to.name}"
    messages.success(request, text + ".")
    return redirect("sprints:board", pk=(done.carried_to or sprint).pk)


@require_GET
@page(internal=True)
def velocity(request: Request, team: str) -> HttpResponse:
    user = viewer(request)
    found = selectors.team_get_for(user, team)
    rows = velocity_for(user, found)
    data = {
        "labels": [v.name for v in rows],
        "committed": [v.committed for v in rows],
        "done": [v.done for v in rows],
        "carried": [v.carried_over for v in rows],
        "predictability": [
            None if v.predictability is None else round(100 * v.predictability) for v in rows
        ],
    }
    context = {
        "team": found,
        "tabs": tabs(found, "velocity"),
        "rows": rows,
        "chart": data,
        "average": Pace(tuple(v.done for v in rows)).average,
        "measured": any(v.predictability is not None for v in rows),
        "unit": unit_short(found),
        **abilities(user),
    }
    return render(request, "sprints/velocity.html", context)


@require_GET
@page(internal=True)
def velocity_export(request: Request, team: str) -> HttpResponseBase:
    """The page's velocity table as CSV (one closed sprint a row, oldest first)."""
    user = viewer(request)
    found = selectors.team_get_for(user, team)
    rows = serializers.velocity_csv_rows(velocity_for(user, found))
    return csv_response(f"velocity-{found.slug}", serializers.VELOCITY_CSV_HEADER, rows)
