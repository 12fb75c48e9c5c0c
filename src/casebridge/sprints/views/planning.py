"""Sprint planning: the planner's proposal with its reasons, edited by the RTE, then accepted."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from casebridge.accounts.models import Team
from casebridge.core.actors import Actor
from casebridge.core.errors import DomainError
from casebridge.core.text import plural
from casebridge.sprints import selectors, services
from casebridge.sprints.forms import SprintForm
from casebridge.sprints.models import Sprint
from casebridge.sprints.planner import Choice, Target
from casebridge.sprints.selectors.backlog import NoSprintToPlan, proposal_for
from casebridge.sprints.selectors.sprints import unit_short
from casebridge.sprints.views.common import abilities, neighbour_moves, report, tabs
from casebridge.web.pages import Request, page, viewer

LEFT_OUT_SHOWN = 60


def _edits(data: QueryDict) -> tuple[list[str], list[str]]:
    getlist = data.getlist
    add = sorted({k.strip().upper() for k in getlist("add") if k.strip()})
    remove = sorted({k.strip().upper() for k in getlist("remove") if k.strip()})
    return [k for k in add if k not in remove], remove


def _sprint(user: Actor, team: Team, value: str | None) -> Sprint | None:
    if not value:
        return None
    sprint = selectors.sprint_find_for(user, value)
    return sprint if sprint.team_id == team.pk else None


def plan_url(team: Team, sprint: Sprint | None, add: list[str], remove: list[str]) -> str:
    query = [("sprint", str(sprint.pk))] if sprint else []
    query += [("add", k) for k in add] + [("remove", k) for k in remove]
    url = reverse("sprints:plan", args=[team.slug])
    return f"{url}?{urlencode(query)}" if query else url


def _toggle(
    team: Team, sprint: Sprint | None, add: list[str], remove: list[str], *, key: str, taken: bool
) -> str:
    """The URL after taking ``key`` out of the sprint (``taken``) or putting it in."""
    if taken:
        return plan_url(team, sprint, [k for k in add if k != key], sorted({*remove, key}))
    return plan_url(team, sprint, sorted({*add, key}), [k for k in remove if k != key])


@require_GET
@vary_on_headers("HX-Request")
@page(internal=True)
def plan(request: Request, team: str) -> HttpResponse:
    user = viewer(request)
    return render_plan(request, selectors.team_get_for(user, team))


def render_plan(
    request: Request, found: Team, *, form: SprintForm | None = None, status: int = 200
) -> HttpResponse:
    """The planning page. A team without a sprint to plan, or a link to a sprint that can no
    longer be planned, gets a page that says so and what to do (create or start a sprint),
    never an error status: only a refused new-sprint form answers 422."""
    user = viewer(request)
    add, remove = _edits(request.GET)
    sprint = _sprint(user, found, request.GET.get("sprint"))
    can = abilities(user)
    partial = bool(request.htmx and not request.htmx.boosted)  # the planner only
    if form is None and can["can_plan"] and not partial:
        form = SprintForm.suggested(found)
    context: dict[str, object] = {
        "team": found,
        "tabs": tabs(found, "plan"),
        "unit": unit_short(found),
        "sprint_form": form,
        **can,
    }
    try:
        proposal = proposal_for(user, found, sprint=sprint, add=add, remove=remove, strict=False)
    except NoSprintToPlan as exc:
        context["no_sprint"] = exc
        return render(request, "sprints/plan.html", context, status=status)
    except DomainError as exc:
        context["problem"] = exc
        return render(request, "sprints/plan.html", context, status=status)
    target = Sprint.objects.select_related("team").get(pk=proposal.sprint.id)
    ignored = sorted(set(add + remove) - set(proposal.added + proposal.removed))
    add, remove = list(proposal.added), list(proposal.removed)

    def rows(choices: list[Choice]) -> list[dict[str, object]]:
        return [
            {
                "c": c,
                "toggle": _toggle(found, sprint, add, remove, key=c.key, taken=c.taken),
                "moves": move,
            }
            for c, move in zip(choices, neighbour_moves([c.rank for c in choices]), strict=True)
        ]

    expedited = rows([c for c in proposal.chosen if c.expedited])
    planned = rows([c for c in proposal.chosen if c.target is Target.NEXT and not c.expedited])
    capacity = proposal.sprint.capacity or 0
    context.update(
        {
            "proposal": proposal,
            "target": target,
            "target_state": selectors.sprint_state(target),
            "expedited": expedited,
            "planned": planned,
            "left_out": rows(list(proposal.left_out[:LEFT_OUT_SHOWN])),
            "left_out_more": max(0, len(proposal.left_out) - LEFT_OUT_SHOWN),
            "add": add,
            "remove": remove,
            "ignored": ignored,
            "here": plan_url(found, sprint, add, remove),
            "fill": min(100, round(100 * proposal.load / capacity)) if capacity else 100,
            "added_over": any(c.over_capacity and not c.expedited for c in proposal.chosen),
            "can_start": (
                can["can_plan"]
                and proposal.blocked
                and proposal.current is None
                and selectors.sprint_state(target) == "future"
            ),
        }
    )
    template = "sprints/_planner.html" if partial else "sprints/plan.html"
    return render(request, template, context, status=status)


@require_POST
@page(internal=True)
def accept(request: Request, team: str) -> HttpResponse:
    user = viewer(request)
    found = selectors.team_get_for(user, team)
    add, remove = _edits(request.POST)
    sprint = _sprint(user, found, request.POST.get("sprint"))
    expect = [k for k in request.POST.getlist("expect") if k.strip()]
    try:
        done = services.sprint_plan_accept(
            actor=user,
            team=found,
            sprint=sprint,
            add=add,
            remove=remove,
            expect=expect,
            over_capacity_ok=request.POST.get("over_capacity_ok") == "on",
        )
    except DomainError as exc:
        report(request, exc)
        return redirect(plan_url(found, sprint, add, remove))
    text = f"{done.sprint.name} is planned: {plural(len(done.scheduled), 'item')} scheduled"
    if done.expedited and done.current is not None:
        critical = plural(len(done.expedited), "critical bug")
        text += f"; {critical} expedited into {done.current.name}"
    messages.success(request, text + ".")
    return redirect("sprints:board", pk=done.sprint.pk)
