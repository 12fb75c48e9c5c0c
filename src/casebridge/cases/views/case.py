"""The case page (the L2 workbench) and what can be done on it: actions, comments, files.

The actions shown are exactly ``CASE_WORKFLOW.options_for(viewer, case)``: allowed ones as
buttons or small forms, refused ones (staff only) disabled with their reasons. Customers and
partners get the same data through the portal template, without internal notes and files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from django import forms
from django.contrib import messages
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from casebridge.accounts.models import User
from casebridge.cases.api import attachment_response
from casebridge.cases.attachments import attachment_add
from casebridge.cases.forms import (
    ACTION_FORMS,
    AttachmentForm,
    CommentForm,
    EmptyForm,
)
from casebridge.cases.milestones import customer_state, development_note, milestones
from casebridge.cases.models import Case
from casebridge.cases.selectors import (
    attachment_get_for,
    attachments_for,
    case_get_for,
    comments_for,
    timeline_for,
)
from casebridge.cases.services import case_transition, comment_add
from casebridge.cases.views.escalate import evidence_response
from casebridge.cases.workflow import CASE_WORKFLOW
from casebridge.core.actors import SYSTEM_ROLE
from casebridge.core.errors import DomainError
from casebridge.knowledge.selectors import known_resolution_list_for
from casebridge.web.pages import Request, attach_errors, page, viewer
from casebridge.web.timeline import entries
from casebridge.workflows.engine import Option

#: What customers call an action (the workflow's labels speak to support staff).
EXTERNAL_LABELS = {
    "close": "Confirm the fix",
    "reopen": "Not fixed: reopen",
    "answer": "Mark as answered",
}
#: Actions that open a form; the others are one button.
FORM_ACTIONS = frozenset({"request_info", "resolve", "reopen"})


@dataclass(frozen=True)
class ActionView:
    action: str
    label: str
    style: str
    allowed: bool
    reasons: str
    description: str
    form: forms.Form | None
    open: bool

    @property
    def kind(self) -> str:
        if self.action == "escalate":
            return "link"
        if self.action == "take":
            return "take"  # one click for me, or "Assign…" to another L2 engineer
        return "form" if self.action in FORM_ACTIONS else "button"


def case_url(user: User, case: Case) -> str:
    name = "portal:detail" if user.is_external else "cases:detail"
    return reverse(name, kwargs={"key": case.key})


def _label(user: User, action: str) -> str:
    transition = CASE_WORKFLOW.transition(action)
    label = transition.label if transition else action.replace("_", " ")
    return EXTERNAL_LABELS.get(action, label) if user.is_external else label


def _action_views(
    user: User, options: list[Option[Case]], bound: dict[str, forms.Form], opened: str
) -> list[ActionView]:
    views = []
    for option in options:
        transition = option.transition
        if transition.roles <= {SYSTEM_ROLE}:
            continue  # automatic (development's progress moves the case): nobody's button
        if not option.allowed and user.is_external:
            continue
        form = bound.get(transition.action)
        if form is None and option.allowed:
            form_class = ACTION_FORMS.get(transition.action, EmptyForm)
            form = form_class(viewer=user, prefix=transition.action)
        views.append(
            ActionView(
                action=transition.action,
                label=_label(user, transition.action),
                style=transition.style,
                allowed=option.allowed,
                reasons=" ".join(r.message + "." for r in option.reasons),
                # The workflow's descriptions speak to support staff ("returns to investigating").
                description="" if user.is_external else transition.description,
                form=form,
                open=transition.action == opened,
            )
        )
    views.sort(key=lambda v: (not v.allowed, v.style != "primary"))
    return views


class RefusedAction(TypedDict):
    """A refused action shown above the page: its name and what was wrong."""

    label: str
    messages: list[str]


def _refusals(
    user: User, actions: list[ActionView], bound: dict[str, forms.Form]
) -> list[RefusedAction]:
    """Errors of a posted action that has no form of its own on the page (a plain button, or an
    action not possible from this state): shown above everything, with the action's name."""
    with_form = {a.action for a in actions if a.kind in ("form", "take") and a.allowed}
    refusals: list[RefusedAction] = []
    for action, form in bound.items():
        if action in with_form or not form.errors:
            continue
        messages = [str(m) for errors in form.errors.values() for m in errors]
        refusals.append({"label": _label(user, action), "messages": messages})
    return refusals


def case_context(
    request: Request,
    case: Case,
    *,
    bound: dict[str, forms.Form] | None = None,
    opened: str = "",
    comment_form: CommentForm | None = None,
    attachment_form: AttachmentForm | None = None,
) -> dict[str, object]:
    user = viewer(request)
    bound = dict(bound or {})
    apply_key = request.GET.get("apply", "")
    if apply_key and "resolve" not in bound:
        form_class = ACTION_FORMS["resolve"]
        bound["resolve"] = form_class(
            viewer=user,
            prefix="resolve",
            initial={"resolution": "known_fix", "known_resolution": apply_key.upper()},
        )
        opened = "resolve"
    options = CASE_WORKFLOW.options_for(user, case)
    actions = _action_views(user, options, bound, opened)
    context: dict[str, object] = {
        "case": case,
        "actions": actions,
        "refusals": _refusals(user, actions, bound),
        "can_resolve": any(a.action == "resolve" and a.allowed for a in actions),
        "comments": list(comments_for(user, case)),
        "attachments": list(attachments_for(user, case)),
        "comment_form": comment_form or CommentForm(viewer=user),
        "attachment_form": attachment_form or AttachmentForm(viewer=user),
    }
    if user.is_external:
        context["milestones"] = milestones(timeline_for(user, case))
        context["development_note"] = development_note(case.work_item)
    else:
        context["timeline"] = entries(timeline_for(user, case))
        context["known_fixes"] = list(
            known_resolution_list_for(user, service=case.service.slug)[:5]
        )
    return context


def render_case(request: Request, case: Case, *, status: int = 200, **kwargs: Any) -> HttpResponse:
    user = viewer(request)
    template = "cases/portal_case.html" if user.is_external else "cases/case.html"
    return render(request, template, case_context(request, case, **kwargs), status=status)


@require_GET
@page()
def case_page(request: Request, key: str) -> HttpResponse:
    user = viewer(request)
    case = case_get_for(user, key)
    if user.is_external:
        return redirect("portal:detail", key=case.key)
    return render_case(request, case)


@require_POST
@page()
def case_act(request: Request, key: str, action: str) -> HttpResponse:
    """Apply one workflow action; a refusal re-renders the page with reasons beside the fields."""
    user = viewer(request)
    case = case_get_for(user, key)
    form = ACTION_FORMS.get(action, EmptyForm)(request.POST, viewer=user, prefix=action)
    if form.is_valid():
        try:
            case = case_transition(
                actor=user, case=case, action=action, data=form.transition_data()
            )
        except DomainError as exc:
            attach_errors(form, exc)
            status = exc.status
        else:
            messages.success(request, _done_message(user, case, action))
            return redirect(case_url(user, case))
    else:
        status = 422
    return render_case(request, case, status=status, bound={action: form}, opened=action)


def _done_message(user: User, case: Case, action: str) -> str:
    if user.is_external:
        return f"{_label(user, action)}: {case.key} is now {customer_state(case.state).lower()}."
    state = CASE_WORKFLOW.state(case.state).label
    return f"{_label(user, action)}: {case.key} is now {state.lower()}."


@require_POST
@page()
def comment_create(request: Request, key: str) -> HttpResponse:
    user = viewer(request)
    case = case_get_for(user, key)
    form = CommentForm(request.POST, viewer=user)
    if form.is_valid():
        try:
            comment = comment_add(
                actor=user,
                case=case,
                body=form.cleaned_data["body"] or "",
                internal=bool(form.cleaned_data.get("internal")),
            )
        except DomainError as exc:
            attach_errors(form, exc)
            return render_case(request, case, status=exc.status, comment_form=form)
        messages.success(request, "Internal note added." if comment.internal else "Reply posted.")
        return redirect(case_url(user, case) + "#comments")
    return render_case(request, case, status=422, comment_form=form)


@require_POST
@page()
def attachment_upload(request: Request, key: str) -> HttpResponse:
    """Store a file on the case. From the escalation page (HTMX) it answers with the evidence
    panel and tells the checklist to look again."""
    user = viewer(request)
    case = case_get_for(user, key)
    form = AttachmentForm(request.POST, request.FILES, viewer=user)
    status, attachment = 422, None
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            attachment = attachment_add(
                actor=user,
                case=case,
                upload=upload,
                filename=upload.name or "upload",
                internal=form.internal_choice(),
            )
        except DomainError as exc:
            attach_errors(form, exc)
            status = exc.status
    if request.POST.get("from") == "escalate" and not user.is_external:
        return evidence_response(request, case, form, attachment, status)
    if attachment is None:
        return render_case(request, case, status=status, attachment_form=form)
    messages.success(request, f"{attachment.filename} attached.")
    return redirect(case_url(user, case) + "#attachments")


@require_GET
@page()
def attachment_download(request: Request, key: str, attachment_id: int) -> FileResponse:
    user = viewer(request)
    case = case_get_for(user, key)
    return attachment_response(attachment_get_for(user, case, attachment_id))
