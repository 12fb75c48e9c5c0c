"""Creating, editing and starting a sprint early, from the planning pages (RTE or admin)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from casebridge.core.errors import ValidationFailed
from casebridge.sprints import selectors, services
from casebridge.sprints.forms import SprintEditForm, SprintForm
from casebridge.sprints.views.common import report, safe_next
from casebridge.sprints.views.planning import render_plan
from casebridge.web.pages import Request, attach_errors, page, viewer


@require_POST
@page(internal=True)
def start(request: Request, pk: int) -> HttpResponse:
    """Start a future sprint today (the path a blocked critical bug's message points to)."""
    user = viewer(request)
    sprint = selectors.sprint_get_for(user, pk)
    back = safe_next(request, reverse("sprints:board", args=[sprint.pk]))
    try:
        started = services.sprint_start(actor=user, sprint=sprint)
    except ValidationFailed as exc:
        report(request, exc)
        return redirect(back)
    messages.success(
        request, f"{started.name} started today; it runs until {started.end:%a %d %b %Y}."
    )
    return redirect(back)


@require_POST
@page(internal=True)
def create(request: Request, team: str) -> HttpResponse:
    """A new sprint of the team; refused input comes back beside the fields of the form."""
    user = viewer(request)
    found = selectors.team_get_for(user, team)
    form = SprintForm(request.POST, prefix="new")
    if form.is_valid():
        data = form.cleaned_data
        try:
            sprint = services.sprint_create(
                actor=user,
                team=found,
                name=data["name"],
                start=data["start"],
                end=data["end"],
                capacity=data["capacity"],
                goal=data["goal"],
            )
        except ValidationFailed as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"{sprint.name} created: {sprint.start} to {sprint.end}.")
            return redirect(f"{reverse('sprints:plan', args=[found.slug])}?sprint={sprint.pk}")
    return render_plan(request, found, form=form, status=422)


@require_http_methods(["GET", "POST"])
@page(internal=True)
def edit(request: Request, pk: int) -> HttpResponse:
    """Change a sprint's dates, capacity or goal; refusals beside the fields."""
    user = viewer(request)
    sprint = selectors.sprint_get_for(user, pk)
    initial = {
        "start": sprint.start,
        "end": sprint.end,
        "capacity": sprint.capacity,
        "goal": sprint.goal,
    }
    form = SprintEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.sprint_update(
                actor=user,
                sprint=sprint,
                start=data["start"],
                end=data["end"],
                capacity=data["capacity"],
                goal=data["goal"],
            )
        except ValidationFailed as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"{sprint.name} saved.")
            return redirect("sprints:board", sprint.pk)
    status = 422 if form.errors else 200
    return render(request, "sprints/edit.html", {"sprint": sprint, "form": form}, status=status)
