"""Pages of monitoring: the health panel of a case's service (loaded into the case page). The
service's own health is a section of its page (``occurrences.views.service_page``); failed
intake payloads are listed and retried in the admin (``monitoring/admin.py``)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from casebridge.cases.selectors import case_get_for
from casebridge.incidents.forms import DeclareForm, People
from casebridge.incidents.health import service_health_for
from casebridge.incidents.selectors import incidents_of_case
from casebridge.incidents.workflow import STAFF
from casebridge.monitoring.selectors import alert_groups_of_case
from casebridge.web.pages import Request, page, viewer


@require_GET
@vary_on_headers("HX-Request")
@page(internal=True)
def case_health(request: Request, key: str) -> HttpResponse:
    """The health of the case's service, the case's own alerts and incidents, and the form to
    declare an incident from it. A partial for the case page; a page of its own without HTMX."""
    user = viewer(request)
    case = case_get_for(user, key)
    incidents = incidents_of_case(user, case)
    open_incident = next((i for i in incidents if i.state != "closed"), None)
    can_declare = user.has_role(*STAFF) and open_incident is None
    context = {
        "case": case,
        "health": service_health_for(user, case.service, exclude_case=case),
        "incidents": incidents,
        "groups": alert_groups_of_case(user, case),
        "can_declare": user.has_role(*STAFF),
        "declare_form": DeclareForm(
            initial={"case": case.key, "title": case.title}, people=People()
        )
        if can_declare
        else None,
    }
    partial = request.htmx and not request.htmx.boosted
    template = "monitoring/_case_health.html" if partial else "monitoring/case_health.html"
    return render(request, template, context)
