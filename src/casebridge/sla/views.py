"""Settings pages of SLAs under /settings/sla/: calendars, policies and their order.
Administrators only: anyone else gets 404."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casebridge.accounts.models import Role
from casebridge.core.errors import DomainError
from casebridge.sla import calendars, items, policies, selectors
from casebridge.sla.forms import CalendarForm, ItemTargetForm, PolicyForm
from casebridge.sla.models import Calendar, ItemPolicy, Policy
from casebridge.web.pages import Request, View, Wrapped, attach_errors, page, viewer


def admin_page[**P](view: View[P]) -> Wrapped[P]:
    """A settings page: it does not exist for anyone but administrators."""

    @wraps(view)
    def only_admins(request: Request, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        if not viewer(request).has_role(Role.ADMIN):
            raise Http404("No such page")
        return view(request, *args, **kwargs)

    return page(internal=True)(only_admins)


@require_GET
@admin_page
def overview(request: Request) -> HttpResponse:
    user = viewer(request)
    context = {
        "policies": list(selectors.policy_list_for(user)),
        "calendars": list(selectors.calendar_list_for(user)),
        "item_targets": list(selectors.item_policy_list_for(user)),
    }
    return render(request, "sla/settings.html", context)


def _submit[T: Calendar | Policy | ItemPolicy](
    request: Request,
    form: CalendarForm | PolicyForm | ItemTargetForm,
    save: Callable[[dict[str, object]], T],
    done: str,
) -> tuple[T | None, int]:
    """A settings form's POST: validated, then saved by ``save`` (the service), ``done`` told.
    Returns what was saved (None: nothing, or a GET) and the status to answer the form with."""
    if request.method != "POST":
        return None, 200
    if not form.is_valid():
        return None, 422
    # values() may put an unreadable input beside its field; the service still runs, so every
    # other problem is shown at once (it refuses what values() could not read).
    try:
        saved = save(form.values())
    except DomainError as exc:
        attach_errors(form, exc)
        return None, exc.status
    messages.success(request, done.format(name=saved.name))
    return saved, 200


def _save(
    request: Request,
    form: CalendarForm | PolicyForm,
    save: Callable[[dict[str, object]], Calendar | Policy],
    template: str,
    *,
    context: dict[str, object],
    done: str,
) -> HttpResponse:
    saved, status = _submit(request, form, save, done)
    if saved is not None:
        return redirect("sla:settings")
    return render(request, template, {**context, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
@admin_page
def calendar_new(request: Request) -> HttpResponse:
    user = viewer(request)
    form = CalendarForm(request.POST or None, initial={"timezone": "UTC"})

    def save(values: dict[str, object]) -> Calendar:
        slug = form.cleaned_data.get("slug") or ""
        return calendars.calendar_create(actor=user, slug=slug, **values)

    return _save(
        request,
        form,
        save,
        "sla/calendar_form.html",
        context={"calendar": None},
        done="Calendar {name} added.",
    )


@require_http_methods(["GET", "POST"])
@admin_page
def calendar_edit(request: Request, slug: str) -> HttpResponse:
    user = viewer(request)
    calendar = selectors.calendar_get_for(user, slug)
    form = CalendarForm(
        request.POST or None, initial=CalendarForm.initial_of(calendar), editing=True
    )

    def save(values: dict[str, object]) -> Calendar:
        return calendars.calendar_update(actor=user, calendar=calendar, changes=values)

    return _save(
        request,
        form,
        save,
        "sla/calendar_form.html",
        context={"calendar": calendar},
        done="Calendar {name} saved; open cases' clocks follow within a minute.",
    )


@require_POST
@admin_page
def calendar_delete(request: Request, slug: str) -> HttpResponse:
    user = viewer(request)
    calendar = selectors.calendar_get_for(user, slug)
    try:
        calendars.calendar_delete(actor=user, calendar=calendar)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Calendar {calendar.name} deleted.")
    return redirect("sla:settings")


@require_http_methods(["GET", "POST"])
@admin_page
def policy_new(request: Request) -> HttpResponse:
    user = viewer(request)
    form = PolicyForm(request.POST or None)

    def save(values: dict[str, object]) -> Policy:
        slug = form.cleaned_data.get("slug") or ""
        return policies.policy_create(actor=user, slug=slug, **values)

    return _save(
        request,
        form,
        save,
        "sla/policy_form.html",
        context={"policy": None},
        done="Policy {name} added; open cases' clocks follow within a minute.",
    )


@require_http_methods(["GET", "POST"])
@admin_page
def policy_edit(request: Request, slug: str) -> HttpResponse:
    user = viewer(request)
    policy = selectors.policy_get_for(user, slug)
    form = PolicyForm(request.POST or None, initial=PolicyForm.initial_of(policy), editing=True)

    def save(values: dict[str, object]) -> Policy:
        return policies.policy_update(actor=user, policy=policy, changes=values)

    return _save(
        request,
        form,
        save,
        "sla/policy_form.html",
        context={"policy": policy},
        done="Policy {name} saved; open cases' clocks follow within a minute.",
    )


@require_POST
@admin_page
def policy_delete(request: Request, slug: str) -> HttpResponse:
    user = viewer(request)
    policy = selectors.policy_get_for(user, slug)
    policies.policy_delete(actor=user, policy=policy)
    messages.success(request, f"Policy {policy.name} deleted.")
    return redirect("sla:settings")


@require_POST
@admin_page
def policy_move(request: Request, slug: str) -> HttpResponse:
    """Move a policy one place up or down (the first match wins)."""
    user = viewer(request)
    order = [p.slug for p in selectors.policy_list_for(user)]
    if slug not in order:
        raise Http404("No such policy")
    i = order.index(slug)
    j = i - 1 if request.POST.get("direction") == "up" else i + 1
    if 0 <= j < len(order):
        order[i], order[j] = order[j], order[i]
        policies.policies_reorder(actor=user, slugs=order)
    return redirect("sla:settings")


# --- fix targets for work items: the form posts with HTMX (refused: 422 with each error beside
# its field; saved: the browser goes back to the settings) ---------------------------------------

TARGET_TEMPLATE = "sla/item_target_form.html"


def _save_target(
    request: Request,
    form: ItemTargetForm,
    save: Callable[[dict[str, object]], ItemPolicy],
    policy: ItemPolicy | None,
) -> HttpResponse:
    saved, status = _submit(request, form, save, "Fix target {name} saved.")
    if saved is not None:
        if request.headers.get("HX-Request"):
            done = HttpResponse(status=204)
            done["HX-Redirect"] = reverse("sla:settings")
            return done
        return redirect("sla:settings")
    partial = request.method == "POST" and bool(request.headers.get("HX-Request"))
    template = "sla/_item_target_form.html" if partial else TARGET_TEMPLATE
    return render(request, template, {"form": form, "policy": policy}, status=status)


@require_http_methods(["GET", "POST"])
@admin_page
def item_target_new(request: Request) -> HttpResponse:
    user = viewer(request)
    form = ItemTargetForm(request.POST or None)

    def save(values: dict[str, object]) -> ItemPolicy:
        slug = form.cleaned_data.get("slug") or ""
        return items.item_policy_create(actor=user, slug=slug, **values)

    return _save_target(request, form, save, None)


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

    return _save_target(request, form, save, policy)


@require_POST
@admin_page
def item_target_delete(request: Request, slug: str) -> HttpResponse:
    user = viewer(request)
    policy = selectors.item_policy_get_for(user, slug)
    items.item_policy_delete(actor=user, policy=policy)
    messages.success(request, f"Fix target {policy.name} deleted.")
    return redirect("sla:settings")
