"""Settings pages of the work items' fix targets under /settings/sla/item-targets/
(administrators only). The form posts with HTMX: refused, it comes back (422) with each error
beside its field; saved, the browser goes back to the settings."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from casebridge.core.errors import DomainError
from casebridge.sla import items, selectors
from casebridge.sla.forms import ItemTargetForm
from casebridge.sla.models import ItemPolicy
from casebridge.sla.views import admin_page
from casebridge.web.pages import Request, attach_errors, viewer

TEMPLATE = "sla/item_target_form.html"


def _save(
    request: Request,
    form: ItemTargetForm,
    save: Callable[[dict[str, object]], ItemPolicy],
    policy: ItemPolicy | None,
) -> HttpResponse:
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                saved = save(form.values())
            except DomainError as exc:
                attach_errors(form, exc)
                status = exc.status
            else:
                messages.success(request, f"Fix target {saved.name} saved.")
                if request.headers.get("HX-Request"):
                    done = HttpResponse(status=204)
                    done["HX-Redirect"] = reverse("sla:settings")
                    return done
                return redirect("sla:settings")
    partial = request.method == "POST" and bool(request.headers.get("HX-Request"))
    template = "sla/_item_target_form.html" if partial else TEMPLATE
    return render(request, template, {"form": form, "policy": policy}, status=status)


@require_http_methods(["GET", "POST"])
@admin_page
def item_target_new(request: Request) -> HttpResponse:
    user = viewer(request)
    form = ItemTargetForm(request.POST or None)

    def save(values: dict[str, object]) -> ItemPolicy:
        slug = form.cleaned_data.get("slug") or ""
        return items.item_policy_create(actor=user, slug=slug, **values)

    return _save(request, form, save, None)


@require_http_methods(["GET", "POST"])
@admin_page
def item_target_edit(request: Request, slug: str) -> HttpResponse:
    user = viewer(request)
    policy = selectors.item_policy_get_for(user, slug)
    form = ItemTargetForm(
        request.POST or None, initial=ItemTargetForm.initial_of(policy), editing=True
    )

    def save(values: dict[str, object]) -> ItemPolicy:
        return items.item_policy_update(actor=user, policy=policy, changes=values)

    return _save(request, form, save, policy)


@require_POST
@admin_page
def item_target_delete(request: Request, slug: str) -> HttpResponse:
    user = viewer(request)
    policy = selectors.item_policy_get_for(user, slug)
    items.item_policy_delete(actor=user, policy=policy)
    messages.success(request, f"Fix target {policy.name} deleted.")
    return redirect("sla:settings")
