"""The L2 queue and the new-case form."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from casebridge.accounts.models import Role
from casebridge.accounts.selectors import user_list_for
from casebridge.cases.forms import (
    STATE_TABS,
    CaseForm,
    QueueFilterForm,
    component_choices,
    reporter_choices,
)
from casebridge.cases.models import OPEN_STATES
from casebridge.cases.selectors import (
    CSV_HEADER,
    case_csv_rows_for,
    case_page_for,
    recent_cases_logged_by,
    state_counts_for,
)
from casebridge.cases.services import case_create
from casebridge.catalog.selectors import component_list, service_list
from casebridge.core.csvexport import csv_response
from casebridge.core.errors import DomainError
from casebridge.web.pages import Request, attach_errors, page, viewer

PAGE_SIZE = 50


def _tabs(counts: dict[str, int], current: str) -> list[dict[str, object]]:
    totals = {
        **counts,
        "open": sum(counts.get(state, 0) for state in OPEN_STATES),
        "all": sum(counts.values()),
    }
    return [
        {"value": value, "label": label, "count": totals.get(value, 0), "active": value == current}
        for value, label in STATE_TABS
    ]


@require_GET
@vary_on_headers("HX-Request")
@page(internal=True)
def queue(request: Request) -> HttpResponse:
    """Cases by state, service, source and owner, oldest first; HTMX swaps just the results."""
    user = viewer(request)
    services = list(service_list())
    form = QueueFilterForm(request.GET, services=services)
    counts = state_counts_for(user)  # the tabs; and the total of a list only states filter
    cases_page = case_page_for(
        user,
        form.filters(user),
        page=request.GET.get("page"),
        per_page=PAGE_SIZE,
        state_counts=counts,
    )
    state = form.value("state", "open")
    context = {
        "form": form,
        "page": cases_page,
        "cases": list(cases_page.object_list),
        "tabs": _tabs(counts, state),
        "state": state,
        "state_label": dict(STATE_TABS).get(state, state).lower(),
        "sort": form.value("sort", "oldest"),
        "filtered": any(form.value(name) for name in ("service", "source", "owner", "q")),
    }
    template = "cases/queue.html"
    if request.htmx and not request.htmx.boosted:
        template = "cases/_queue.html"
    return render(request, template, context)


@require_GET
@page(internal=True)
def queue_export(request: Request) -> HttpResponseBase:
    """The queue as CSV, with the page's filters and sort, every page of it, streamed."""
    user = viewer(request)
    form = QueueFilterForm(request.GET, services=list(service_list()))
    return csv_response("cases", CSV_HEADER, case_csv_rows_for(user, form.filters(user)))


@require_http_methods(["GET", "POST"])
@page(internal=True)
def new_case(request: Request) -> HttpResponse:
    user = viewer(request)
    initial: dict[str, object] = {**request.GET.dict()}  # the fields a link prefills
    form = CaseForm(request.POST or None, viewer=user, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                case = case_create(actor=user, data=form.to_input())
            except DomainError as exc:
                attach_errors(form, exc)
                status = exc.status
            else:
                messages.success(request, f"{case.key} created.")
                return redirect("cases:detail", key=case.key)
        else:
            status = 422
    context = {"form": form, "recent": recent_cases_logged_by(user)}
    return render(request, "cases/new.html", context, status=status)


@require_GET
@page()
def component_options(request: Request) -> HttpResponse:
    """The ``<option>``s of the component select for the chosen service (HTMX)."""
    slug = request.GET.get("service", "")
    choices = component_choices(list(component_list()), slug)
    context = {"choices": choices, "grouped": not slug}
    return render(request, "cases/_component_options.html", context)


@require_GET
@page(internal=True)
def reporter_options(request: Request) -> HttpResponse:
    """The ``<option>``s of the reporter select for the chosen organisation (HTMX): its people
    only, so that a call is logged for one of the caller's organisation."""
    slug = request.GET.get("organisation", "")
    people = user_list_for(viewer(request), role=Role.REPORTER)
    context = {"choices": reporter_choices(people, slug), "grouped": not slug}
    return render(request, "cases/_component_options.html", context)
