"""/settings/azure-devops/: list the connections, connect a project, see one, edit a category's
mapping. Administrators only: for anyone else these pages do not exist (404)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casebridge.core.actors import Actor
from casebridge.core.errors import DomainError
from casebridge.integrations.azure_devops import conflicts, selectors, services
from casebridge.integrations.azure_devops.forms import ConnectForm, MappingForm
from casebridge.integrations.azure_devops.schemas import token_source
from casebridge.web.pages import Request, attach_errors, page, viewer


def admin_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponseBase]:
    @wraps(view)
    def wrapper(request: Request, *args: object, **kwargs: object) -> HttpResponse:
        if not selectors.is_admin(viewer(request)):
            raise Http404("This page is for administrators")
        return view(request, *args, **kwargs)

    return page(internal=True)(wrapper)


@require_GET
@admin_page
def connection_list(request: Request) -> HttpResponse:
    connections = list(selectors.connection_list_for(viewer(request)))
    return render(request, "azure_devops/list.html", {"connections": connections})


@require_http_methods(["GET", "POST"])
@admin_page
def connection_new(request: Request) -> HttpResponse:
    form = ConnectForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                connection, secret = services.connection_connect(
                    actor=viewer(request), **form.to_input()
                )
            except DomainError as exc:
                attach_errors(form, exc)
                status = exc.status
            else:  # the secret is shown on this answer only: no redirect, nothing in a session
                context = _detail(viewer(request), connection.slug)
                context["hook_secret"] = secret
                return render(request, "azure_devops/detail.html", context, status=201)
        else:
            status = 422
    return render(request, "azure_devops/new.html", {"form": form}, status=status)


def _detail(user: Actor, slug: str) -> dict[str, object]:
    status = selectors.connection_status_for(user, slug)
    connection = status.connection
    return {
        "connection": connection,
        "status": status,
        "token": token_source(connection),
        "hook_url": connection.hook_source.door,
    }


@require_GET
@admin_page
def connection_detail(request: Request, slug: str) -> HttpResponse:
    return render(request, "azure_devops/detail.html", _detail(viewer(request), slug))


@require_http_methods(["GET", "POST"])
@admin_page
def connection_mapping(request: Request, slug: str, category: str) -> HttpResponse:
    user = viewer(request)
    connection = selectors.connection_get_for(user, slug)
    if category not in connection.categories:
        raise Http404(f"'{slug}' has no {category} mapping")
    form = MappingForm(request.POST or None, connection=connection, category=category)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.connection_map(
                    actor=user, connection=connection, category=category, **form.to_input()
                )
            except DomainError as exc:
                attach_errors(form, exc, aliases=form.aliases)
                status = exc.status
            else:
                messages.success(request, f"The {category} mapping of {connection.name} is saved.")
                return redirect("azure_devops:detail", slug=slug)
        else:
            status = 422
    context = {"connection": connection, "category": category, "form": form}
    return render(request, "azure_devops/mapping.html", context, status=status)


@require_GET
@page(internal=True)
def conflict_list(request: Request) -> HttpResponse:
    """The sync conflicts, for staff to see and the RTE to resolve."""

    state = request.GET.get("state", "open")
    state = state if state in ("open", "resolved", "all") else "open"
    user = viewer(request)
    rows = list(conflicts.conflict_list_for(user, state=state)[:200])
    context = {"conflicts": rows, "state": state, "can_resolve": conflicts.can_resolve(user)}
    return render(request, "azure_devops/conflicts.html", context)


@require_POST
@page(internal=True)
def conflict_resolve(request: Request, conflict_id: int) -> HttpResponse:

    user = viewer(request)
    conflict = conflicts.conflict_get_for(user, conflict_id)
    try:
        conflicts.conflict_resolve(
            actor=user,
            conflict=conflict,
            resolution=str(request.POST.get("resolution", "")),
            note=str(request.POST.get("note", ""))[:2000],
        )
    except DomainError as exc:
        messages.error(request, f"Conflict {conflict_id}: {exc.message}")
        for message in exc.fields.values():
            messages.error(request, message)
    else:
        messages.success(
            request, f"Conflict {conflict_id} on {conflict.link.work_item.key} is resolved."
        )
    return redirect("azure_devops:conflicts")
