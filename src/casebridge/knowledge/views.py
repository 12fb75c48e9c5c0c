"""The knowledge base pages: search, read, create, edit. Internal: customers get 404."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from casebridge.core.csvexport import csv_response
from casebridge.core.errors import DomainError
from casebridge.knowledge.forms import KnownResolutionForm
from casebridge.knowledge.models import KnownResolution
from casebridge.knowledge.selectors import (
    CSV_HEADER,
    known_resolution_csv_rows_for,
    known_resolution_get_for,
    known_resolution_list_for,
)
from casebridge.knowledge.services import known_resolution_create, known_resolution_update
from casebridge.occurrences.signatures import known_fix_draft_from_case, signature_choices_for
from casebridge.web.pages import Request, attach_errors, page, viewer

LIMIT = 100


@require_GET
@vary_on_headers("HX-Request")
@page(internal=True)
def known_list(request: Request) -> HttpResponse:
    user = viewer(request)
    query = request.GET.get("q", "").strip()
    items = list(known_resolution_list_for(user, query=query)[: LIMIT + 1])
    context = {"items": items[:LIMIT], "more": len(items) > LIMIT, "query": query}
    template = "knowledge/list.html"
    if request.htmx and not request.htmx.boosted:
        template = "knowledge/_results.html"
    return render(request, template, context)


@require_GET
@page(internal=True)
def known_export(request: Request) -> HttpResponseBase:
    """Every known resolution matching the page's search, as CSV (no limit), streamed."""
    query = request.GET.get("q", "").strip()
    rows = known_resolution_csv_rows_for(viewer(request), query=query)
    return csv_response("known-resolutions", CSV_HEADER, rows)


@require_GET
@page(internal=True)
def known_detail(request: Request, key: str) -> HttpResponse:
    item = known_resolution_get_for(viewer(request), key)
    return render(request, "knowledge/detail.html", {"item": item})


def _save(request: Request, item: KnownResolution | None) -> HttpResponse:
    user = viewer(request)
    initial = KnownResolutionForm.initial_of(item) if item is not None else None
    source = request.GET.get("from", "")
    if item is None and source:
        initial = known_fix_draft_from_case(user, source)  # "save as known fix" from a case
    choices = signature_choices_for(user, item, case_key=source)
    form = KnownResolutionForm(request.POST or None, initial=initial, signature_choices=choices)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                if item is None:
                    item = known_resolution_create(actor=user, data=form.to_input())
                else:
                    item = known_resolution_update(
                        actor=user, resolution=item, data=form.to_input()
                    )
            except DomainError as exc:
                attach_errors(form, exc)
                status = exc.status
            else:
                messages.success(request, f"{item.key} saved.")
                return redirect("knowledge:detail", key=item.key)
        else:
            status = 422
    return render(request, "knowledge/form.html", {"form": form, "item": item}, status=status)


@require_http_methods(["GET", "POST"])
@page(internal=True)
def known_new(request: Request) -> HttpResponse:
    return _save(request, None)


@require_http_methods(["GET", "POST"])
@page(internal=True)
def known_edit(request: Request, key: str) -> HttpResponse:
    return _save(request, known_resolution_get_for(viewer(request), key))
