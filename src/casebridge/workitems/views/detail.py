"""The work-item page: what development received, where it stands, the cases that follow it,
and what the viewer can do now.

The actions are exactly ``workflow.options_for(viewer, item)``: allowed ones as a button or a
small form built from the transition's ``requires`` and ``accepts``; every other action of the
current state listed with the reasons it is not available to the viewer. A refused action
re-renders the page (409) with every reason in a summary and beside its field, and what was
typed kept.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from casebridge.accounts.models import User
from casebridge.audit.selectors import events_for
from casebridge.cases.selectors import case_list_for_work_item
from casebridge.core.actors import SYSTEM_ROLE
from casebridge.occurrences.evidence import evidence_for
from casebridge.web.actions import ActionView, Refusal, Unavailable, act
from casebridge.web.pages import Request, page, viewer
from casebridge.workflows.engine import Option, Workflow
from casebridge.workitems.definitions import workflow_for
from casebridge.workitems.documentation import DOC_FIELDS
from casebridge.workitems.forms import ActionForm, Choices, action_form
from casebridge.workitems.models import WorkItem
from casebridge.workitems.selectors import related_keys_for, work_item_get_for
from casebridge.workitems.services import work_item_transition
from casebridge.workitems.views.conversation import conversation_context, link_context
from casebridge.workitems.views.history import history


def _actions(
    user: User,
    item: WorkItem,
    options: list[Option[WorkItem]],
    bound: dict[str, ActionForm],
    opened: str,
) -> tuple[list[ActionView], list[Unavailable]]:
    choices = Choices(user, item)
    allowed: list[ActionView] = []
    unavailable: list[Unavailable] = []
    for option in options:
        t = option.transition
        if t.roles <= {SYSTEM_ROLE}:
            continue  # automatic: nobody's button
        if not option.allowed:
            reasons = tuple(r.message for r in option.reasons)
            unavailable.append(Unavailable(t.action, t.label, reasons))
            continue
        form = bound[t.action] if t.action in bound else action_form(t, choices)
        allowed.append(
            ActionView(t.action, t.label, t.style, t.description, form, t.action == opened)
        )
    allowed.sort(key=lambda a: {"primary": 0, "secondary": 1}.get(a.style, 2))
    return allowed, unavailable


def _docs(item: WorkItem) -> list[tuple[str, str, bool]]:
    """The documentation fields the item holds (the area is shown by its label, apart)."""
    return [
        (f.label, str(getattr(item, f.name)), f.log)
        for f in DOC_FIELDS
        if f.name != "area" and getattr(item, f.name)
    ]


def item_context(
    request: Request,
    item: WorkItem,
    *,
    bound: dict[str, ActionForm] | None = None,
    refusal: Refusal | None = None,
    opened: str = "",
) -> dict[str, object]:
    user = viewer(request)
    workflow: Workflow[WorkItem] = workflow_for(item.category)
    allowed, unavailable = _actions(
        user, item, workflow.options_for(user, item), dict(bound or {}), opened
    )
    events = events_for([("work_item", item.key)], public_only=False)
    return {
        "item": item,
        "workflow": workflow,
        "group": workflow.group_of(item.status),
        "docs": _docs(item),
        "evidence": evidence_for(user, item),
        "actions": allowed,
        "unavailable": unavailable,
        "refusal": refusal,
        "cases": list(case_list_for_work_item(user, item)),
        "tests": list(item.test_records.all()),
        "history": list(reversed(history(workflow, events))),
        "related": related_keys_for(user, item),
        "decides": item.category in ("feature", "improvement"),
        **conversation_context(request, item),
        **link_context(item),
    }


def render_item(
    request: Request, item: WorkItem, *, status: int = 200, **kwargs: Any
) -> HttpResponse:
    return render(
        request, "workitems/detail.html", item_context(request, item, **kwargs), status=status
    )


@require_GET
@page(internal=True)
def work_item_detail(request: Request, key: str) -> HttpResponse:
    item = work_item_get_for(viewer(request), key)
    if item.key != key:
        return redirect("workitems:detail", key=item.key)
    return render_item(request, item)


@require_POST
@page(internal=True)
def work_item_act(request: Request, key: str, action: str) -> HttpResponse:
    """Apply one action; a refusal re-renders the page with every reason (409)."""
    user = viewer(request)
    item = work_item_get_for(user, key)
    transition = workflow_for(item.category).transition(action)
    if transition is None:
        raise Http404(f"{item.key} has no action {action}")
    form = action_form(transition, Choices(user, item), request.POST)

    def done(result: WorkItem) -> tuple[str, str]:
        state = workflow_for(result.category).state(result.status).label
        message = f"{transition.label}: {result.key} is now {state.lower()}."
        return message, reverse("workitems:detail", kwargs={"key": result.key})

    return act(
        request,
        subject=item,
        action=action,
        label=transition.label,
        form=form,
        apply=lambda: work_item_transition(
            actor=user, item=item, action=action, data=form.transition_data()
        ),
        rerender=render_item,
        done=done,
    )
