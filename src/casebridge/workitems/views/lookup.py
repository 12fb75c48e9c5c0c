"""The type-ahead of "link to an existing work item" (the escalation form): open work items
by key or title, for staff only. HTMX fetches it as the engineer types."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from casebridge.web.pages import Request, page, viewer
from casebridge.workitems.definitions import workflow_for
from casebridge.workitems.selectors import open_work_items_matching


@require_GET
@page(internal=True)
def lookup(request: Request) -> HttpResponse:
    """``?q=`` (or the escalation form's ``work_item`` field): up to 8 open work items."""
    text = (request.GET.get("q") or request.GET.get("work_item") or "")[:200]
    items = open_work_items_matching(viewer(request), text)
    rows = [(item, workflow_for(item.category).state(item.status).label) for item in items]
    return render(request, "workitems/_lookup.html", {"rows": rows, "query": text.strip()})
