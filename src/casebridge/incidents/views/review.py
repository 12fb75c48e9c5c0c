"""The post-incident review editor: summary, root cause, impact, what went well and badly, and
the action items, each of which becomes an improvement or bug work item once it has an owner.

The page also shows what still keeps the incident from closing: the reasons of the workflow's
``close`` action that concern the review (a field left empty, an action item without an owner or
work item), read from ``INCIDENT_WORKFLOW.options_for``, so the page and the rule cannot drift.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from casebridge.accounts.models import User
from casebridge.accounts.selectors import user_by_username
from casebridge.core.errors import DomainError
from casebridge.incidents.forms import ActionItemForm, OwnerForm, People, ReviewForm
from casebridge.incidents.models import Incident, IncidentState, Review
from casebridge.incidents.selectors import (
    action_item_get,
    action_items_of,
    incident_get_for,
    review_of,
)
from casebridge.incidents.services import action_item_add, action_item_assign, review_update
from casebridge.incidents.workflow import INCIDENT_WORKFLOW
from casebridge.web.pages import Request, attach_errors, page, viewer

#: Reasons of ``close`` that the review's writers can do something about on this page.
CLOSING_CODES = frozenset({"review", "action_item"})


def _initial(review: Review | None) -> dict[str, object]:
    if review is None:
        return {}
    return {name: getattr(review, name) for name in ReviewForm.base_fields}


def _closing(user: User, incident: Incident) -> dict[str, object]:
    """What keeps the incident from closing, and whether the viewer may close it now."""
    option = next(
        (
            o
            for o in INCIDENT_WORKFLOW.options_for(user, incident)
            if o.transition.action == "close"
        ),
        None,
    )
    if option is None:
        return {"open": False, "reasons": [], "can_close": False}
    reasons = [r.message for r in option.reasons if r.code in CLOSING_CODES]
    return {"open": True, "reasons": reasons, "can_close": option.allowed}


def review_context(
    request: Request,
    incident: Incident,
    *,
    form: ReviewForm | None = None,
    item_form: ActionItemForm | None = None,
    owner_forms: dict[int, OwnerForm] | None = None,
) -> dict[str, object]:
    user = viewer(request)
    people = People(incident)
    review = review_of(incident)
    items = action_items_of(incident)
    bound = owner_forms or {}
    return {
        "incident": incident,
        "review": review,
        "editable": review is not None and incident.state == IncidentState.IN_REVIEW,
        "form": form or ReviewForm(initial=_initial(review)),
        "items": [
            (item, bound.get(item.pk) or OwnerForm(people=people, prefix=f"item-{item.pk}"))
            for item in items
        ],
        "item_form": item_form or ActionItemForm(people=people, prefix="new"),
        "closing": _closing(user, incident),
    }


def _render(
    request: Request,
    incident: Incident,
    *,
    status: int = 200,
    form: ReviewForm | None = None,
    item_form: ActionItemForm | None = None,
    owner_forms: dict[int, OwnerForm] | None = None,
) -> HttpResponse:
    context = review_context(
        request, incident, form=form, item_form=item_form, owner_forms=owner_forms
    )
    return render(request, "incidents/review.html", context, status=status)


def _back(incident: Incident, anchor: str = "") -> HttpResponseRedirect:
    url = reverse("incidents:review", kwargs={"key": incident.key})
    return HttpResponseRedirect(url + anchor)


@require_GET
@page(internal=True)
def review_page(request: Request, key: str) -> HttpResponse:
    return _render(request, incident_get_for(viewer(request), key))


@require_POST
@page(internal=True)
def review_save(request: Request, key: str) -> HttpResponse:
    user = viewer(request)
    incident = incident_get_for(user, key)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return _render(request, incident, status=422, form=form)
    try:
        review_update(actor=user, incident=incident, changes=form.changes())
    except DomainError as exc:
        attach_errors(form, exc)
        return _render(request, incident, status=exc.status, form=form)
    messages.success(request, f"The review of {incident.key} is saved.")
    return _back(incident)


def _owner(form: forms.Form, required: bool) -> User | None:
    name = str(form.cleaned_data.get("owner") or "").strip()
    if not name:
        if required:
            form.add_error("owner", "Choose who owns it.")
        return None
    try:
        return user_by_username(name, field="owner")
    except DomainError as exc:
        attach_errors(form, exc)
        return None


@require_POST
@page(internal=True)
def action_item_create(request: Request, key: str) -> HttpResponse:
    """Add an action item; with an owner it becomes a work item at once."""
    user = viewer(request)
    incident = incident_get_for(user, key)
    form = ActionItemForm(request.POST, people=People(incident), prefix="new")
    form.is_valid()
    owner = _owner(form, required=False)
    if form.errors:
        return _render(request, incident, status=422, item_form=form)
    data = form.cleaned_data
    try:
        item = action_item_add(
            actor=user,
            incident=incident,
            title=data.get("title") or "",
            kind=data.get("kind") or "improvement",
            description=data.get("description") or "",
            owner=owner,
        )
    except DomainError as exc:
        attach_errors(form, exc)
        return _render(request, incident, status=exc.status, item_form=form)
    filed = f" as {item.work_item.key}" if item.work_item else ": give it an owner"
    messages.success(request, f"Action item added{filed}.")
    return _back(incident, "#action-items")


@require_POST
@page(internal=True)
def action_item_owner(request: Request, key: str, item_id: int) -> HttpResponse:
    """Give an action item its owner; it becomes a work item then."""
    user = viewer(request)
    incident = incident_get_for(user, key)
    item = action_item_get(incident, item_id)
    form = OwnerForm(request.POST, people=People(incident), prefix=f"item-{item.pk}")
    form.is_valid()
    owner = _owner(form, required=True)
    if owner is None:
        return _render(request, incident, status=422, owner_forms={item.pk: form})
    try:
        item = action_item_assign(actor=user, item=item, owner=owner)
    except DomainError as exc:
        attach_errors(form, exc)
        return _render(request, incident, status=exc.status, owner_forms={item.pk: form})
    key_text = item.work_item.key if item.work_item else ""
    messages.success(request, f"{owner.display_name} owns {item.title} ({key_text}).")
    return _back(incident, "#action-items")
