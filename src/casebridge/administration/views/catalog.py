"""Settings pages of services and their components."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST

from casebridge.accounts.selectors import team_by_slug
from casebridge.administration.forms import (
    ComponentForm,
    FirstComponentForm,
    ServiceEditForm,
    ServiceForm,
)
from casebridge.administration.views.common import admin_page, refused, settings_render
from casebridge.catalog import selectors, services
from casebridge.core.errors import DomainError
from casebridge.web.pages import Request, viewer


@require_http_methods(["GET", "POST"])
@admin_page
def service_list(request: Request) -> HttpResponse:
    form = ServiceForm(request.POST or None)
    component_form = FirstComponentForm(request.POST or None, prefix="first")
    if request.method == "POST" and form.is_valid() and component_form.is_valid():
        data = form.cleaned_data
        first = component_form.cleaned_data
        try:
            team = (
                team_by_slug(data["owner_team"], field="owner_team") if data["owner_team"] else None
            )
            service = services.service_create(
                actor=viewer(request),
                name=data["name"],
                slug=data["slug"],
                description=data["description"],
                owner_team=team,
                components=[(first["name"], first["critical"])] if first["name"] else [],
            )
        except DomainError as exc:
            refused(form, exc)
        else:
            messages.success(request, f"Service {service.name} created.")
            return redirect("administration:service", service.slug)
    status = 422 if form.errors or component_form.errors else 200
    context = {"services": selectors.service_list(), "form": form, "component_form": component_form}
    return settings_render(
        request, "administration/services.html", "services", context, status=status
    )


@require_http_methods(["GET", "POST"])
@admin_page
def service_detail(request: Request, slug: str) -> HttpResponse:
    admin = viewer(request)
    service = selectors.service_get_for(admin, slug)
    which = request.POST.get("form", "")
    initial = {
        "name": service.name,
        "description": service.description,
        "owner_team": getattr(service.owner_team, "slug", ""),
    }
    form = ServiceEditForm(request.POST if which == "service" else None, initial=initial)
    component_form = ComponentForm(request.POST if which == "component" else None)
    bound = {"service": form, "component": component_form}.get(which)
    if request.method == "POST" and bound is not None and bound.is_valid():
        data = bound.cleaned_data
        try:
            if which == "service":
                team = (
                    team_by_slug(data["owner_team"], field="owner_team")
                    if data["owner_team"]
                    else None
                )
                services.service_update(
                    actor=admin,
                    service=service,
                    name=data["name"],
                    description=data["description"],
                    owner_team=team,
                )
            else:
                services.component_create(
                    actor=admin, service=service, name=data["name"], critical=data["critical"]
                )
        except DomainError as exc:
            refused(bound, exc)
        else:
            messages.success(request, f"Service {service.name} saved.")
            return redirect("administration:service", service.slug)
    context = {
        "service": service,
        "components": selectors.component_list(service),
        "form": form,
        "component_form": component_form,
    }
    status = 422 if bound is not None and bound.errors else 200
    return settings_render(
        request, "administration/service.html", "services", context, status=status
    )


@require_POST
@admin_page
def component_critical(request: Request, slug: str, component: str) -> HttpResponse:
    """Mark a component critical or not (the button says which)."""
    admin = viewer(request)
    service = selectors.service_get_for(admin, slug)
    found = selectors.component_get(service, component)
    critical = request.POST.get("critical") == "1"
    services.component_update(actor=admin, component=found, critical=critical)
    state = "critical" if critical else "not critical"
    messages.success(request, f"{found.name} is {state}.")
    return redirect("administration:service", service.slug)
