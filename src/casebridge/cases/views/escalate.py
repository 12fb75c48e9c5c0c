"""The escalation form and its live checklist (the gate of PRODUCT §3).

The checklist beside the form is ``casebridge.cases.escalation.checklist`` over what has been
typed so far; HTMX posts the form to ``escalate_checklist`` as the engineer types. A refusal on
submit lists every missing item at once, beside the fields and in the checklist.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from casebridge.accounts.models import User
from casebridge.cases.escalation import ChecklistLine, checklist
from casebridge.cases.forms import LINK, AttachmentForm, EscalateForm
from casebridge.cases.models import Attachment, Case
from casebridge.cases.selectors import attachments_for, case_get_for
from casebridge.cases.services import case_transition
from casebridge.cases.workflow import CASE_WORKFLOW
from casebridge.core.errors import DomainError, NotFound
from casebridge.web.pages import Request, attach_errors, page, viewer
from casebridge.workitems.models import Category, WorkItem
from casebridge.workitems.selectors import work_item_get_for


@dataclass(frozen=True)
class Checklist:
    category: str
    label: str
    lines: list[ChecklistLine] = field(default_factory=list)
    work_item_key: str = ""
    work_item: WorkItem | None = None

    @property
    def done(self) -> int:
        if self.category == LINK:
            return int(self.work_item is not None)
        return sum(1 for line in self.lines if line.done)

    @property
    def total(self) -> int:
        return 1 if self.category == LINK else len(self.lines)

    @property
    def ready(self) -> bool:
        return bool(self.category) and self.done == self.total


def checklist_for(user: User, case: Case, form: EscalateForm) -> Checklist:
    category = form.chosen()
    if category == LINK:
        key = form.value("work_item").strip().upper()
        item = None
        if key:
            try:
                item = work_item_get_for(user, key)
            except NotFound:
                item = None
        return Checklist(LINK, "Link to a work item", work_item_key=key, work_item=item)
    if category not in Category.values:
        return Checklist("", "")
    lines = checklist(case, category, form.docs())
    return Checklist(category, str(Category(category).label), lines)


def _initial(case: Case) -> dict[str, object]:
    return {"title": case.title, "description": case.description, "version": case.version}


def escalate_context(
    request: Request,
    case: Case,
    form: EscalateForm,
    *,
    attachment_form: AttachmentForm | None = None,
) -> dict[str, object]:
    user = viewer(request)
    option = next(
        (o for o in CASE_WORKFLOW.options_for(user, case) if o.transition.action == "escalate"),
        None,
    )
    return {
        "case": case,
        "form": form,
        "option": option,
        "refusal": (
            "Escalation is not possible from this state."
            if option is None
            else " ".join(r.message + "." for r in option.reasons)
        ),
        "checklist": checklist_for(user, case, form),
        "error_count": sum(len(errors) for errors in form.errors.values()) if form.is_bound else 0,
        "attachments": list(attachments_for(user, case)),
        "attachment_form": attachment_form or AttachmentForm(viewer=user),
    }


@require_http_methods(["GET", "POST"])
@page(internal=True)
def escalate(request: Request, key: str) -> HttpResponse:
    user = viewer(request)
    case = case_get_for(user, key)
    form = EscalateForm(request.POST or None, initial=_initial(case))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                case = case_transition(
                    actor=user, case=case, action="escalate", data=form.transition_data()
                )
            except DomainError as exc:
                attach_errors(form, exc)
                status = exc.status
            else:
                item = case.work_item
                assert item is not None
                messages.success(request, f"{case.key} escalated: it now follows {item.key}.")
                return redirect("cases:detail", key=case.key)
        else:
            status = 422
    context = escalate_context(request, case, form)
    return render(request, "cases/escalate.html", context, status=status)


@require_POST
@page(internal=True)
def escalate_checklist(request: Request, key: str) -> HttpResponse:
    """The checklist for what is typed so far (HTMX). Reads only."""
    user = viewer(request)
    case = case_get_for(user, key)
    form = EscalateForm(request.POST)
    form.is_valid()
    context = {"case": case, "checklist": checklist_for(user, case, form)}
    return render(request, "cases/_checklist.html", context)


def evidence_response(
    request: Request, case: Case, form: AttachmentForm, attachment: Attachment | None, status: int
) -> HttpResponse:
    """After an upload from the escalation page: the evidence panel (HTMX) or the page."""
    user = viewer(request)
    if attachment is not None and not request.htmx:
        messages.success(request, f"{attachment.filename} attached.")
        return redirect("cases:escalate", key=case.key)
    if not request.htmx:
        context = escalate_context(
            request, case, EscalateForm(initial=_initial(case)), attachment_form=form
        )
        return render(request, "cases/escalate.html", context, status=status)
    context = {
        "case": case,
        "attachments": list(attachments_for(user, case)),
        "attachment_form": AttachmentForm(viewer=user) if attachment is not None else form,
        "just_added": attachment,
    }
    response = render(
        request, "cases/_evidence.html", context, status=200 if attachment else status
    )
    if attachment is not None:
        response["HX-Trigger"] = "attachments-changed"
    return response
