"""The incident list (filtered by state and severity) and declaring an incident from a case or an
alert group."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from casebridge.accounts.models import Role, User
from casebridge.accounts.selectors import user_by_username
from casebridge.cases.models import Case
from casebridge.cases.selectors import case_get_for
from casebridge.core.csvexport import csv_response
from casebridge.core.errors import DomainError, NotFound
from casebridge.incidents.forms import DeclareForm, FilterForm, People
from casebridge.incidents.models import Incident
from casebridge.incidents.selectors import (
    CSV_HEADER,
    incident_csv_rows_for,
    incident_list_for,
    proposals_open_for,
)
from casebridge.incidents.services import Declaration, incident_declare
from casebridge.incidents.workflow import STAFF
from casebridge.monitoring.models import AlertGroup
from casebridge.monitoring.selectors import alert_group_get_for, payload_counts
from casebridge.web.pages import Request, attach_errors, page, viewer


@require_http_methods(["GET"])
@vary_on_headers("HX-Request")
@page(internal=True)
def incident_list(request: Request) -> HttpResponse:
    """Incidents, open ones first by default; an unknown filter is named beside its field."""
    user = viewer(request)
    form = FilterForm(request.GET)
    filters = form.filters()
    context: dict[str, object] = {
        "form": form,
        "incidents": incident_list_for(user, state=filters["state"], severity=filters["severity"]),
        "filters": filters,
        "can_declare": user.has_role(*STAFF),
        "failed_payloads": payload_counts(user)["failed"] if user.has_role(Role.ADMIN) else 0,
        "proposals": proposals_open_for(user),
    }
    status = 422 if form.errors else 200
    partial = request.htmx and not request.htmx.boosted
    template = "incidents/_list.html" if partial else "incidents/list.html"
    return render(request, template, context, status=status)


@require_http_methods(["GET"])
@page(internal=True)
def incident_export(request: Request) -> HttpResponseBase:
    """The list as CSV with the page's filters, every incident (the page shows 200), streamed."""
    user = viewer(request)
    filters = FilterForm(request.GET).filters()
    rows = incident_csv_rows_for(user, state=filters["state"], severity=filters["severity"])
    return csv_response("incidents", CSV_HEADER, rows)


def _sources(user: User, form: DeclareForm) -> tuple[Case | None, AlertGroup | None]:
    """The case and the alert group named in the form; an unknown one is named beside its field."""
    case = group = None
    if form.text("case"):
        try:
            case = case_get_for(user, form.text("case"))
        except NotFound:
            form.add_error("case", f"No case {form.text('case')}.")
    if form.text("alert_group"):
        try:
            group = alert_group_get_for(user, form.text("alert_group"))
        except NotFound:
            form.add_error("alert_group", f"No alert group {form.text('alert_group')}.")
    return case, group


def _people(form: DeclareForm) -> tuple[User | None, User | None]:
    found: dict[str, User | None] = {"lead": None, "owner": None}
    for name in found:
        if form.text(name):
            try:
                found[name] = user_by_username(form.text(name), field=name)
            except DomainError as exc:
                attach_errors(form, exc)
    return found["lead"], found["owner"]


def _declare(user: User, form: DeclareForm) -> tuple[Incident | None, int]:
    """The incident, or None and a status with the reasons beside the fields of ``form``."""
    form.is_valid()
    case, group = _sources(user, form)
    lead, owner = _people(form)
    if form.errors:
        return None, 422
    data = Declaration(
        title=form.text("title"),
        severity=form.text("severity"),
        lead=lead,
        owner=owner,
        case=case,
        group=group,
        summary=form.text("summary"),
    )
    try:
        return incident_declare(actor=user, data=data), 201
    except DomainError as exc:
        attach_errors(form, exc)
        return None, exc.status


def _initial(user: User, request: Request) -> dict[str, str]:
    """A declaration from a case or an alert group starts with its title."""
    initial = {
        "case": request.GET.get("case", ""),
        "alert_group": request.GET.get("alert_group", ""),
    }
    if initial["case"]:
        initial["title"] = case_get_for(user, initial["case"]).title
    elif initial["alert_group"]:
        initial["title"] = alert_group_get_for(user, initial["alert_group"]).title
    return initial


@require_http_methods(["GET", "POST"])
@page(internal=True)
def incident_declare_page(request: Request) -> HttpResponse:
    """GET ``?case=CB-1`` or ``?alert_group=AG-3`` shows the form; POST declares."""
    user = viewer(request)
    people = People()
    if request.method == "GET":
        form = DeclareForm(initial=_initial(user, request), people=people)
        return render(request, "incidents/declare.html", {"form": form})
    form = DeclareForm(request.POST, people=people)
    incident, status = _declare(user, form)
    if incident is None:
        return render(request, "incidents/declare.html", {"form": form}, status=status)
    messages.success(request, f"{incident.key} declared: {incident.lead.display_name} leads it.")
    return redirect("incidents:room", key=incident.key)
