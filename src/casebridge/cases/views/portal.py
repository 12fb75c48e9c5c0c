"""The customer portal: the viewer's organisation's cases (partners: those they serve)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from casebridge.cases.forms import CaseForm
from casebridge.cases.models import OPEN_STATES
from casebridge.cases.selectors import CaseFilters, case_get_for, case_page_for
from casebridge.cases.services import case_create
from casebridge.cases.views.case import render_case
from casebridge.core.errors import DomainError
from casebridge.web.pages import Request, attach_errors, page, viewer

PAGE_SIZE = 50


@require_GET
@page()
def portal_home(request: Request) -> HttpResponse:
    user = viewer(request)
    if not user.is_external:
        return redirect("cases:queue")
    show = "all" if request.GET.get("show") == "all" else "open"
    states = () if show == "all" else (*OPEN_STATES, "escalated")
    filters = CaseFilters(states=states, sort="newest")
    cases_page = case_page_for(
        user,
        filters,
        page=request.GET.get("page"),
        per_page=PAGE_SIZE,
        relations=("service", "reporter"),  # what the portal's list shows
    )
    context = {"page": cases_page, "cases": list(cases_page.object_list), "show": show}
    return render(request, "cases/portal.html", context)


@require_http_methods(["GET", "POST"])
@page()
def portal_new(request: Request) -> HttpResponse:
    user = viewer(request)
    if not user.is_external:
        return redirect("cases:new")
    form = CaseForm(request.POST or None, viewer=user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                case = case_create(actor=user, data=form.to_input())
            except DomainError as exc:
                attach_errors(form, exc)
                status = exc.status
            else:
                messages.success(request, f"Thank you. Your case {case.key} is with our support.")
                return redirect("portal:detail", key=case.key)
        else:
            status = 422
    return render(request, "cases/portal_new.html", {"form": form}, status=status)


@require_GET
@page()
def portal_case(request: Request, key: str) -> HttpResponse:
    user = viewer(request)
    case = case_get_for(user, key)
    if not user.is_external:
        return redirect("cases:detail", key=case.key)
    return render_case(request, case)
