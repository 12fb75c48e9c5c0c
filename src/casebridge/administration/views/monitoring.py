"""Settings page of the monitoring integrations: add one (its secret shown once), turn on/off,
change its grouping rules and storm threshold."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST

from casebridge.administration.forms import GroupingForm, IntegrationForm
from casebridge.administration.views.common import admin_page, refused, settings_render
from casebridge.catalog.selectors import service_by_slug
from casebridge.core.errors import DomainError
from casebridge.monitoring import rules, selectors, services
from casebridge.web.pages import Request, viewer


@require_http_methods(["GET", "POST"])
@admin_page
def integrations(request: Request) -> HttpResponse:
    admin = viewer(request)
    form = IntegrationForm(request.POST or None)
    created, secret = None, ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created, secret = services.integration_create(
                actor=admin,
                kind=data["kind"],
                name=data["name"],
                slug=data["slug"],
                service=service_by_slug(data["service"]),
                environment=data["environment"],
                auth=data["auth"],
            )
        except DomainError as exc:
            refused(form, exc)
        else:
            form = IntegrationForm()
    context = {
        "integrations": selectors.integration_list_for(admin),
        "form": form,
        "created": created,
        "secret": secret,
    }
    status = 422 if form.errors else 200
    return settings_render(
        request, "administration/monitoring.html", "monitoring", context, status=status
    )


@require_POST
@admin_page
def integration_enable(request: Request, slug: str) -> HttpResponse:
    admin = viewer(request)
    integration = selectors.integration_get_for(admin, slug)
    enabled = request.POST.get("enabled") == "1"
    services.integration_set_enabled(actor=admin, integration=integration, enabled=enabled)
    messages.success(request, f"{integration.name} {'enabled' if enabled else 'disabled'}.")
    return redirect("administration:monitoring")


@require_http_methods(["GET", "POST"])
@admin_page
def integration_grouping(request: Request, slug: str) -> HttpResponse:
    admin = viewer(request)
    integration = selectors.integration_get_for(admin, slug)
    initial: dict[str, object] = {
        "grouping_labels": ", ".join(integration.grouping_labels or []),
        "use_group_labels": integration.use_group_labels,
        "storm_threshold": integration.storm_threshold,
    }
    form = GroupingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        labels = [name.strip() for name in data["grouping_labels"].split(",") if name.strip()]
        try:
            rules.integration_grouping_set(
                actor=admin,
                integration=integration,
                grouping_labels=labels,
                use_group_labels=data["use_group_labels"],
                storm_threshold=data["storm_threshold"],
            )
        except DomainError as exc:
            refused(form, exc)
        else:
            messages.success(request, f"Grouping rules of {integration.name} saved.")
            return redirect("administration:monitoring")
    context = {"integration": integration, "form": form}
    status = 422 if form.errors else 200
    return settings_render(
        request, "administration/monitoring_grouping.html", "monitoring", context, status=status
    )
