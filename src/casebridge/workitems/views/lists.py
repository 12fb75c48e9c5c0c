"""Boards per category, the filtered work-item list, and the queues per role.

Each page reads its rows through one selector that returns bounded, lean rows; the number of
queries does not depend on the number of items (tests assert it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from casebridge.accounts.models import Role, User
from casebridge.core.csvexport import csv_response
from casebridge.web.pages import Request, page, viewer
from casebridge.workitems.definitions import WORKFLOWS
from casebridge.workitems.forms import BoardFilterForm
from casebridge.workitems.models import Category, Priority, WorkItem
from casebridge.workitems.selectors import (
    CSV_HEADER,
    ROW_FIELDS,
    BoardFilters,
    WorkItemFilters,
    cards_of,
    decision_queue_for,
    devops_queue_for,
    filter_choices_for,
    my_work_for,
    review_requests_for,
    testing_queue_for,
    triage_queue_for,
    validation_queue_for,
    work_item_board_for,
    work_item_csv_rows_for,
    work_item_csv_rows_of,
    work_item_rows_for,
)
from casebridge.workitems.selectors.boards import Card, Row

CARDS_PER_COLUMN = 25
FINISHED_DAYS = 14
PAGE_SIZE = 50
CATEGORY_TABS = [(c.value, c.label) for c in Category]


def _partial(request: Request, full: str, partial: str) -> str:
    return partial if request.htmx and not request.htmx.boosted else full


def _filter_form(request: Request, user: User) -> BoardFilterForm:
    form = BoardFilterForm(request.GET, viewer=user)
    choices = filter_choices_for(user, sprint=form.filters().sprint)
    form.set_choices(choices.teams, choices.sprints, choices.people)
    return form


def _query(f: BoardFilters, **extra: str) -> str:
    params = {"team": f.team, "sprint": str(f.sprint or ""), "assignee": f.assignee, **extra}
    return urlencode({k: v for k, v in params.items() if v})


@require_GET
@page(internal=True)
def board_home(request: Request) -> HttpResponse:
    return redirect("workitems:board", category=Category.BUG)


@require_GET
@vary_on_headers("HX-Request")
@page(internal=True)
def board(request: Request, category: str) -> HttpResponse:
    """One column per state of the category's workflow; filters by team, sprint, assignee."""
    user = viewer(request)
    if category not in WORKFLOWS:
        raise Http404("No such board")
    form = _filter_form(request, user)
    filters = form.filters()
    show_finished = request.GET.get("finished") == "1"
    data = work_item_board_for(
        user,
        category,
        filters,
        per_column=CARDS_PER_COLUMN,
        finished_days=FINISHED_DAYS,
        show_finished=show_finished,
    )
    base = _query(filters)
    context = {
        "board": data,
        "category": category,
        "category_label": Category(category).label,
        "tabs": CATEGORY_TABS,
        "form": form,
        "query": base,
        "list_url": reverse("workitems:list"),
        "show_finished": show_finished,
        "finished_days": FINISHED_DAYS,
        "toggle_query": _query(filters, **({} if show_finished else {"finished": "1"})),
    }
    return render(
        request, _partial(request, "workitems/board.html", "workitems/_board.html"), context
    )


def _page(items: QuerySet[WorkItem], number: str | None) -> tuple[Page[Row], list[Card]]:
    paginator = Paginator(items.values_list(*ROW_FIELDS), PAGE_SIZE)
    current = paginator.get_page(number)
    return current, cards_of(current.object_list)


@require_GET
@vary_on_headers("HX-Request")
@page(internal=True)
def work_item_list(request: Request) -> HttpResponse:
    """Every work item matching the filters, newest first: where a board's "+ more" leads."""
    user = viewer(request)
    form, filters = _list_filters(request, user)
    statuses = filters.statuses
    current, cards = _page(work_item_rows_for(user, filters), request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": current,
        "cards": cards,
        "export_query": query.urlencode(),
        "category": filters.category,
        "statuses": statuses,
        "status_labels": _status_labels(filters.category, statuses),
        "tabs": CATEGORY_TABS,
    }
    return render(
        request, _partial(request, "workitems/list.html", "workitems/_list.html"), context
    )


def _list_filters(request: Request, user: User) -> tuple[BoardFilterForm, WorkItemFilters]:
    form = _filter_form(request, user)
    f = form.filters()
    category = request.GET.get("category", "")
    priority = request.GET.get("priority", "")
    filters = WorkItemFilters(
        category=category if category in WORKFLOWS else "",
        statuses=tuple(s for s in request.GET.get("status", "").split(",") if s),
        assignee=f.assignee,
        priority=priority if priority in Priority.values else "",
        sprint=f.sprint,
        team=f.team,
    )
    return form, filters


@require_GET
@page(internal=True)
def work_item_export(request: Request) -> HttpResponseBase:
    """The list as CSV with the page's filters (``?sprint=`` is a sprint's contents), streamed."""
    user = viewer(request)
    _, filters = _list_filters(request, user)
    return csv_response("work-items", CSV_HEADER, work_item_csv_rows_for(user, filters))


def _status_labels(category: str, statuses: tuple[str, ...]) -> list[str]:
    workflow = WORKFLOWS.get(category)
    labels = []
    for status in statuses:
        try:
            labels.append(workflow.state(status).label if workflow else status)
        except KeyError:
            labels.append(status)
    return labels


# --- queues per role -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Queue:
    slug: str
    label: str  # in the navigation and the tabs
    title: str
    lead: str
    roles: frozenset[str]  # whose navigation shows it
    select: Callable[[User], QuerySet[WorkItem]]
    empty_title: str
    empty_text: str


QUEUES: tuple[Queue, ...] = (
    Queue(
        "triage",
        "Triage",
        "RTE triage",
        "Bugs to triage and schedule (not in a sprint yet), and feature requests and improvements "
        "waiting for a decision. Oldest first.",
        frozenset({Role.RTE}),
        triage_queue_for,
        "Nothing to triage",
        "New escalations from L2 land here.",
    ),
    Queue(
        "decisions",
        "Decisions",
        "PM and RTE review",
        "Feature requests and improvements waiting for your role's decision, and deferred ones "
        "whose revisit date has come.",
        frozenset({Role.PRODUCT_MANAGER, Role.RTE}),
        decision_queue_for,
        "No decision waits for you",
        "Feature requests and improvements escalated by L2 appear here until you decide.",
    ),
    Queue(
        "mine",
        "My work",
        "My work",
        "Items you are assigned to or mentor that are not finished, and items of your teams "
        "waiting for someone to take them. Highest priority first.",
        frozenset({Role.DEVELOPER, Role.DEVOPS}),
        my_work_for,
        "Nothing assigned to you",
        "Items you are assigned to or mentor, and unassigned items of your teams, show up here.",
    ),
    Queue(
        "devops",
        "DevOps work",
        "DevOps: improvements and releases",
        "Unfinished items routed to your DevOps team, and every item being released. Highest "
        "priority first.",
        frozenset({Role.DEVOPS}),
        devops_queue_for,
        "Nothing for DevOps",
        "Improvements approved for your DevOps team and items in release appear here.",
    ),
    Queue(
        "testing",
        "Testing",
        "Testing queue",
        "Items in testing, waiting for test evidence. Highest priority first.",
        frozenset({Role.QA}),
        testing_queue_for,
        "Nothing to test",
        "Items reach testing after their review is approved.",
    ),
    Queue(
        "reviews",
        "Reviews",
        "Review requests",
        "Items in review that you may review (you are not an assignee). Those that ask for you "
        "come first.",
        frozenset({Role.DEVELOPER, Role.DEVOPS}),
        review_requests_for,
        "No review waits for you",
        "When an assignee submits work for review it appears here.",
    ),
    Queue(
        "validation",
        "Validation",
        "L2 validation",
        "Bugs deployed and awaiting validation, feature requests awaiting acceptance, and "
        "reviewed improvements awaiting verification.",
        frozenset({Role.L2_ENGINEER, Role.PRODUCT_MANAGER}),
        validation_queue_for,
        "Nothing to validate",
        "Fixes deployed by development wait here for confirmation in their environment.",
    ),
)
QUEUE_BY_SLUG = {q.slug: q for q in QUEUES}


def queues_for(user: User) -> list[Queue]:
    return [q for q in QUEUES if user.has_role(*q.roles)]


@require_GET
@page(internal=True)
def queue(request: Request, slug: str) -> HttpResponse:
    user = viewer(request)
    spec = QUEUE_BY_SLUG.get(slug)
    if spec is None:
        raise Http404("No such queue")
    current, cards = _page(spec.select(user), request.GET.get("page"))
    mine = queues_for(user)
    tabs = [
        {"queue": q, "count": q.select(user).count() if q.slug != slug else current.paginator.count}
        for q in (mine if spec in mine else [*mine, spec])
    ]
    context = {"queue": spec, "tabs": tabs, "page": current, "cards": cards, "viewer": user}
    return render(request, "workitems/queue.html", context)


@require_GET
@page(internal=True)
def queue_export(request: Request, slug: str) -> HttpResponseBase:
    """One queue as CSV: every item in it (no paging), in the page's order, streamed."""
    spec = QUEUE_BY_SLUG.get(slug)
    if spec is None:
        raise Http404("No such queue")
    rows = work_item_csv_rows_of(spec.select(viewer(request)))
    return csv_response(f"queue-{slug}", CSV_HEADER, rows)
