"""The incident room: details, severity, state and roles, the live timeline and the note form.

The actions are exactly ``INCIDENT_WORKFLOW.options_for(viewer, incident)``: state actions in
the head, role actions beside the roles, each a button or a small form built from the
transition's ``requires`` and ``accepts``. A refused action re-renders the room (409) with every
reason in a summary and, when it names a field, beside that field, the form open and what was
chosen kept. The timeline polls a fragment that answers only the entries after the last one
shown (204 when there is none).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from casebridge.accounts.models import User
from casebridge.core.errors import DomainError
from casebridge.core.schemas import bounded_int
from casebridge.incidents.forms import ActionForm, NoteForm, People, action_form
from casebridge.incidents.models import Incident, IncidentState
from casebridge.incidents.selectors import (
    action_items_of,
    incident_get_for,
    participants_of,
    review_of,
    timeline_of,
)
from casebridge.incidents.services import incident_note_add, incident_transition
from casebridge.incidents.workflow import INCIDENT_WORKFLOW, ROLE_ACTIONS
from casebridge.web.actions import ActionView, Refusal, Unavailable, act
from casebridge.web.pages import Request, attach_errors, page, viewer
from casebridge.workflows.engine import Option

#: Polling period of the live timeline.
POLL_SECONDS = 3
TIMELINE_CHANGED = "timeline-changed"


@dataclass
class Actions:
    states: list[ActionView]
    roles: dict[str, ActionView]
    unavailable: list[Unavailable]
    roles_refused: tuple[str, ...]


def _actions(
    options: list[Option[Incident]], people: People, bound: dict[str, ActionForm], opened: str
) -> Actions:
    found = Actions([], {}, [], ())
    refused_roles: list[str] = []
    for option in options:
        t = option.transition
        if not option.allowed:
            reasons = tuple(r.message for r in option.reasons)
            if t.action in ROLE_ACTIONS:
                refused_roles += [r for r in reasons if r not in refused_roles]
            else:
                found.unavailable.append(Unavailable(t.action, t.label, reasons))
            continue
        form = bound.get(t.action) or action_form(t, people)
        view = ActionView(t.action, t.label, t.style, t.description, form, t.action == opened)
        if t.action in ROLE_ACTIONS:
            found.roles[t.action] = view
        else:
            found.states.append(view)
    found.roles_refused = tuple(refused_roles)
    return found


def room_context(
    request: Request,
    incident: Incident,
    *,
    bound: dict[str, ActionForm] | None = None,
    refusal: Refusal | None = None,
    opened: str = "",
    note_form: NoteForm | None = None,
) -> dict[str, object]:
    user = viewer(request)
    people = People(incident)
    options = INCIDENT_WORKFLOW.options_for(user, incident)
    timeline = timeline_of(incident)
    return {
        "incident": incident,
        "workflow": INCIDENT_WORKFLOW,
        "actions": _actions(options, people, dict(bound or {}), opened),
        "refusal": refusal,
        "participants": participants_of(incident),
        "timeline": timeline,
        "last_id": timeline[-1].pk if timeline else 0,
        "live": incident.state != IncidentState.CLOSED,
        "poll_seconds": POLL_SECONDS,
        "note_form": note_form or NoteForm(),
        "review": review_of(incident),
        "action_items": action_items_of(incident),
    }


def render_room(
    request: Request,
    incident: Incident,
    *,
    status: int = 200,
    bound: Mapping[str, forms.Form] | None = None,
    refusal: Refusal | None = None,
    opened: str = "",
    note_form: NoteForm | None = None,
) -> HttpResponse:
    """The room again (``web.actions.act``'s ``rerender``: the refused action's form is one of
    ``action_form``'s)."""
    actions = {k: f for k, f in (bound or {}).items() if isinstance(f, ActionForm)}
    context = room_context(
        request, incident, bound=actions, refusal=refusal, opened=opened, note_form=note_form
    )
    return render(request, "incidents/room.html", context, status=status)


@require_GET
@page(internal=True)
def incident_room(request: Request, key: str) -> HttpResponse:
    incident = incident_get_for(viewer(request), key)
    if incident.key != key:
        return redirect("incidents:room", key=incident.key)
    return render_room(request, incident)


@require_POST
@page(internal=True)
def incident_act(request: Request, key: str, action: str) -> HttpResponse:
    """Apply one action (a state or a role change); a refusal shows every reason (409)."""
    user = viewer(request)
    incident = incident_get_for(user, key)
    transition = INCIDENT_WORKFLOW.transition(action)
    if transition is None:
        raise Http404(f"{incident.key} has no action {action}")
    form = action_form(transition, People(incident), request.POST)

    def done(result: Incident) -> tuple[str, str]:
        state = INCIDENT_WORKFLOW.state(result.state).label
        message = f"{transition.label}: {result.key} is {state.lower()}."
        return message, reverse("incidents:room", kwargs={"key": result.key})

    return act(
        request,
        subject=incident,
        action=action,
        label=transition.label,
        form=form,
        apply=lambda: incident_transition(
            actor=user, incident=incident, action=action, data=form.transition_data()
        ),
        rerender=render_room,
        done=done,
    )


@require_GET
@page(internal=True)
def incident_timeline(request: Request, key: str) -> HttpResponse:
    """The entries after ``?after=<id>`` and the poller asking for the ones after those; 204
    (nothing to swap) when there is none."""
    incident = incident_get_for(viewer(request), key)
    after = bounded_int(request.GET.get("after", "0"), low=0) or 0
    entries = timeline_of(incident, after=after)
    if not entries:
        return HttpResponse(status=204)
    context = {
        "incident": incident,
        "entries": entries,
        "last_id": entries[-1].pk,
        "live": incident.state != IncidentState.CLOSED,
        "poll_seconds": POLL_SECONDS,
        "oob": True,
    }
    return render(request, "incidents/_timeline_new.html", context)


@require_POST
@page(internal=True)
def incident_note(request: Request, key: str) -> HttpResponse:
    """Add a note. From the room (HTMX) it answers with a fresh form and tells the timeline to
    look for it now; a refused note keeps what was typed with the reason beside it."""
    user: User = viewer(request)
    incident = incident_get_for(user, key)
    form = NoteForm(request.POST)
    form.is_valid()
    try:
        incident_note_add(actor=user, incident=incident, body=form.cleaned_data.get("body") or "")
    except DomainError as exc:
        attach_errors(form, exc)
        if request.htmx:
            context = {"incident": incident, "note_form": form}
            return render(request, "incidents/_note_form.html", context, status=exc.status)
        return render_room(request, incident, status=exc.status, note_form=form)
    if request.htmx:
        context = {"incident": incident, "note_form": NoteForm()}
        response = render(request, "incidents/_note_form.html", context)
        response["HX-Trigger"] = TIMELINE_CHANGED
        return response
    messages.success(request, "Note added to the timeline.")
    return redirect(reverse("incidents:room", kwargs={"key": incident.key}) + "#timeline")
