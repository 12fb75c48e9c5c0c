"""Settings pages of the outbox (dead letters: list, retry, discard) and of webhooks
(destinations and routes). Administrators only: anyone else gets 404."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casebridge.accounts.models import Role
from casebridge.core.errors import DomainError
from casebridge.core.text import plural
from casebridge.integrations import selectors, services
from casebridge.integrations.forms import DestinationForm, RouteForm
from casebridge.integrations.models import OutboxState, WebhookDestination
from casebridge.integrations.webhooks import services as webhooks
from casebridge.web.pages import Request, View, Wrapped, attach_errors, page, viewer

STATES = [
    (OutboxState.DEAD, "Dead letters"),
    (OutboxState.PENDING, "Waiting"),
    (OutboxState.DELIVERED, "Delivered"),
    (OutboxState.NO_RECEIVER, "No receiver"),
    (OutboxState.DISCARDED, "Discarded"),
]
PAGE_ROWS = 200


def admin_page[**P](view: View[P]) -> Wrapped[P]:
    """A settings page: it does not exist for anyone but administrators."""

    @wraps(view)
    def only_admins(request: Request, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        if not viewer(request).has_role(Role.ADMIN):
            raise Http404("No such page")
        return view(request, *args, **kwargs)

    return page(internal=True)(only_admins)


# --- the outbox -------------------------------------------------------------------------------


def _outbox_context(request: Request) -> dict[str, object]:
    user = viewer(request)
    state = request.GET.get("state", OutboxState.DEAD)
    if state not in OutboxState.values:
        state = OutboxState.DEAD
    destination = request.GET.get("destination", "")
    names = selectors.destination_names()
    rows = selectors.outbox_list_for(
        user, state=state, destination=destination, limit=PAGE_ROWS + 1
    )
    summary = selectors.outbox_summary_for(user)
    return {
        "state": state,
        "states": [(value, label, summary.counts.get(value, 0)) for value, label in STATES],
        "destination": destination,
        "rows": [(m, names.get(m.destination, m.destination)) for m in rows[:PAGE_ROWS]],
        "more": len(rows) > PAGE_ROWS,
        "summary": summary,
        "circuits": [(c, names.get(c.destination, c.destination)) for c in summary.circuits],
    }


@require_GET
@admin_page
def outbox_page(request: Request) -> HttpResponse:
    return render(request, "integrations/outbox.html", _outbox_context(request))


def _message_action(request: Request, message_id: int, action: str) -> HttpResponse:
    user = viewer(request)
    message = selectors.outbox_get_for(user, message_id)
    change = services.outbox_retry if action == "retry" else services.outbox_discard
    try:
        message = change(actor=user, message=message)
    except DomainError as exc:
        if request.htmx:
            return HttpResponse(exc.message, status=exc.status)
        messages.error(request, exc.message)
    else:
        done = "queued again" if action == "retry" else "discarded"
        if request.htmx:
            names = selectors.destination_names()
            context = {"message": message, "name": names.get(message.destination, "")}
            return render(request, "integrations/_message_row.html", context)
        messages.success(request, f"Message {message.pk} {done}.")
    return redirect("integrations:outbox")


@require_POST
@admin_page
def outbox_retry_view(request: Request, message_id: int) -> HttpResponse:
    return _message_action(request, message_id, "retry")


@require_POST
@admin_page
def outbox_discard_view(request: Request, message_id: int) -> HttpResponse:
    return _message_action(request, message_id, "discard")


@require_POST
@admin_page
def outbox_retry_dead_view(request: Request) -> HttpResponse:
    destination = selectors.address_of(request.POST.get("destination", ""))
    count = services.outbox_retry_dead(actor=viewer(request), destination=destination)
    messages.success(request, f"{plural(count, 'dead letter')} queued again.")
    return redirect("integrations:outbox")


# --- webhooks ---------------------------------------------------------------------------------


def _webhooks(
    request: Request,
    *,
    form: DestinationForm | None = None,
    route_forms: dict[str, RouteForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = viewer(request)
    destinations = selectors.webhook_list_for(user)
    forms = route_forms or {}
    context = {
        "destinations": [(d, forms.get(d.slug) or RouteForm(prefix=d.slug)) for d in destinations],
        "form": form or DestinationForm(),
    }
    return render(request, "integrations/webhooks.html", context, status=status)


@require_http_methods(["GET", "POST"])
@admin_page
def webhooks_page(request: Request) -> HttpResponse:
    if request.method != "POST":
        return _webhooks(request)
    form = DestinationForm(request.POST)
    if not form.is_valid():
        return _webhooks(request, form=form, status=422)
    try:
        destination, secret = webhooks.webhook_destination_create(
            actor=viewer(request), **form.cleaned_data
        )
    except DomainError as exc:
        attach_errors(form, exc)
        return _webhooks(request, form=form, status=exc.status)
    if secret:  # shown this once, on this page only
        context = {"destination": destination, "secret": secret}
        return render(request, "integrations/webhook_created.html", context, status=201)
    messages.success(request, f"{destination.name} added. Route some events to it below.")
    return redirect("integrations:webhooks")


def _destination(request: Request, slug: str) -> WebhookDestination:
    return selectors.webhook_get_for(viewer(request), slug)


@require_POST
@admin_page
def webhook_remove_view(request: Request, slug: str) -> HttpResponse:
    destination = _destination(request, slug)
    discarded = webhooks.webhook_destination_remove(actor=viewer(request), destination=destination)
    note = f" {discarded} waiting deliveries discarded." if discarded else ""
    messages.success(request, f"{destination.name} removed.{note}")
    return redirect("integrations:webhooks")


@require_POST
@admin_page
def webhook_test_view(request: Request, slug: str) -> HttpResponse:
    destination = _destination(request, slug)
    result = webhooks.webhook_test(actor=viewer(request), destination=destination)
    if request.htmx:
        context = {"result": result, "destination": destination}
        return render(request, "integrations/_test_result.html", context)
    level = messages.success if result.ok else messages.error
    level(request, f"Test to {destination.name}: {result.detail}")
    return redirect("integrations:webhooks")


@require_POST
@admin_page
def route_add_view(request: Request, slug: str) -> HttpResponse:
    destination = _destination(request, slug)
    form = RouteForm(request.POST, prefix=slug)
    if not form.is_valid():
        return _webhooks(request, route_forms={slug: form}, status=422)
    try:
        webhooks.webhook_route_add(
            actor=viewer(request), destination=destination, **form.cleaned_data
        )
    except DomainError as exc:
        attach_errors(form, exc)
        return _webhooks(request, route_forms={slug: form}, status=exc.status)
    messages.success(request, f"Route added to {destination.name}.")
    return redirect("integrations:webhooks")


@require_POST
@admin_page
def route_remove_view(request: Request, slug: str, route_id: int) -> HttpResponse:
    user = viewer(request)
    route = selectors.webhook_route_get_for(user, _destination(request, slug), route_id)
    webhooks.webhook_route_remove(actor=user, route=route)
    messages.success(request, "Route removed.")
    return redirect("integrations:webhooks")
