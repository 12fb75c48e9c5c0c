"""Reads of single work items and of their lists. Work items are internal: customers and partners
see none."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import (
    Prefetch,
    Q,
    QuerySet,
)

from casebridge.accounts.models import Team, User
from casebridge.core.actors import Actor
from casebridge.core.csvexport import CHUNK, Row, chunked
from casebridge.core.errors import NotFound, ValidationFailed
from casebridge.sprints.models import Sprint
from casebridge.sprints.selectors.sprints import is_current
from casebridge.workitems.definitions import WORKFLOWS
from casebridge.workitems.models import Category, TestRecord, WorkItem


@dataclass(frozen=True)
class WorkItemFilters:
    category: str = ""
    statuses: tuple[str, ...] = ()
    group: str = ""
    assignee: str = ""
    priority: str = ""
    sprint: int | None = None
    team: str = ""


def _base(viewer: Actor) -> QuerySet[WorkItem]:
    if not getattr(viewer, "is_authenticated", False) or viewer.is_external:
        return WorkItem.objects.none()
    return WorkItem.objects.select_related(
        "service",
        "component",
        "created_by",
        "sprint__team",
        "team",
        "mentor",
        "requested_reviewer",
        "reviewed_by",
        "duplicate_of",
        "superseded_by",
        "pm_decided_by",
        "rte_decided_by",
    ).prefetch_related("assignees__role_grants", "cases")


def statuses_in_group(category: str, group: str) -> list[str]:
    categories = [category] if category else list(WORKFLOWS)
    return sorted({s.name for c in categories for s in WORKFLOWS[c].states if s.group == group})


def work_item_list_for(viewer: Actor, filters: WorkItemFilters | None = None) -> QuerySet[WorkItem]:
    f = filters or WorkItemFilters()
    if f.category and f.category not in Category.values:
        raise ValidationFailed(
            "Unknown category", fields={"category": "Use bug, feature or improvement."}
        )
    items = _base(viewer)
    if f.category:
        items = items.filter(category=f.category)
    if f.statuses:
        items = items.filter(status__in=f.statuses)
    if f.group:
        items = items.filter(status__in=statuses_in_group(f.category, f.group))
    if f.assignee == "none":
        items = items.filter(assignees__isnull=True)
    elif f.assignee:
        items = items.filter(assignees__username=f.assignee)
    if f.priority:
        items = items.filter(priority=f.priority)
    if f.sprint is not None:
        items = items.filter(sprint_id=f.sprint)
    if f.team:
        items = items.filter(Q(team__slug=f.team) | Q(sprint__team__slug=f.team))
    return items.order_by("-created_at", "-id").distinct()


def work_item_get_for(viewer: Actor, key: str) -> WorkItem:
    item = (
        _base(viewer)
        .prefetch_related(
            Prefetch("test_records", queryset=TestRecord.objects.select_related("recorded_by"))
        )
        .filter(key=key.strip().upper())
        .first()
    )
    if item is None:
        raise NotFound(f"No work item {key}")
    return item


def open_work_items_matching(viewer: Actor, text: str, *, limit: int = 8) -> list[WorkItem]:
    """Open and active work items whose key starts with, or whose title contains, ``text``:
    the type-ahead of "link to an existing work item". Keys first, then the newest."""
    words = text.strip()
    if not words or not is_staff(viewer):
        return []
    live = Q()
    for category, workflow in WORKFLOWS.items():
        statuses = [s.name for s in workflow.states if s.group in ("open", "active")]
        live |= Q(category=category, status__in=statuses)
    items = WorkItem.objects.filter(live).filter(
        Q(key__istartswith=words) | Q(title__icontains=words)
    )
    found = list(items.select_related("sprint").order_by("-created_at", "-id")[: limit * 3])
    found.sort(key=lambda i: not i.key.upper().startswith(words.upper()))
    return found[:limit]


def is_staff(viewer: Actor) -> bool:
    return bool(getattr(viewer, "is_authenticated", False)) and not viewer.is_external


def items_visible_to(viewer: Actor) -> QuerySet[WorkItem]:
    return WorkItem.objects.all() if is_staff(viewer) else WorkItem.objects.none()


def work_item_rows_for(viewer: Actor, filters: WorkItemFilters) -> QuerySet[WorkItem]:
    """``work_item_list_for`` without its relations: for pages that show rows (``cards_of``)."""
    return work_item_list_for(viewer, filters).select_related(None).prefetch_related(None)


CSV_HEADER = (
    "key",
    "category",
    "title",
    "status",
    "priority",
    "service",
    "component",
    "team",
    "sprint",
    "assignees",
    "estimate",
    "created_at",
    "updated_at",
    "closed_at",
)
_CSV_FIELDS = (
    "pk",
    "key",
    "category",
    "title",
    "status",
    "priority",
    "service__slug",
    "component__slug",
    "team__slug",
    "sprint__name",
    "estimate",
    "created_at",
    "updated_at",
    "closed_at",
)


def work_item_csv_rows_for(viewer: Actor, filters: WorkItemFilters) -> Iterator[Row]:
    """Every item of the list in ``CSV_HEADER``'s columns, read in chunks, with the assignees'
    usernames (space-separated) looked up once per chunk. None for customers and partners."""
    return work_item_csv_rows_of(work_item_rows_for(viewer, filters))


def work_item_csv_rows_of(items: QuerySet[WorkItem]) -> Iterator[Row]:
    """``items`` (already narrowed to what the viewer may see: a list or a queue) in
    ``CSV_HEADER``'s columns, in their order, read in chunks with the assignees per chunk."""
    rows = items.select_related(None).prefetch_related(None).values_list(*_CSV_FIELDS)
    return chunked(rows.iterator(CHUNK), _with_assignees)


def _with_assignees(block: list[tuple[object, ...]]) -> list[Row]:
    names: dict[object, list[str]] = defaultdict(list)
    through = WorkItem.assignees.through.objects.filter(workitem_id__in=[r[0] for r in block])
    for item_id, username in through.order_by("user__username").values_list(
        "workitem_id", "user__username"
    ):
        names[item_id].append(username)
    return [(*r[1:10], " ".join(names.get(r[0], ())), *r[10:]) for r in block]


def related_keys_for(viewer: Actor, item: WorkItem) -> dict[str, list[str]]:
    """The items that point at this one: its duplicates and the items it supersedes."""
    related: dict[str, list[str]] = {"duplicates": [], "supersedes": []}
    rows = (
        items_visible_to(viewer)
        .filter(Q(duplicate_of=item) | Q(superseded_by=item))
        .order_by("pk")
        .values_list("key", "duplicate_of_id")
    )
    for key, duplicate_of in rows:
        related["duplicates" if duplicate_of == item.pk else "supersedes"].append(key)
    return related


@dataclass(frozen=True)
class FilterChoices:
    teams: list[tuple[str, str]]
    sprints: list[tuple[str, str]]
    people: list[tuple[str, str]]


def filter_choices_for(viewer: Actor, *, sprint: int | None = None) -> FilterChoices:
    """The options of the board and list filters: teams, open sprints (and the chosen one),
    the people who can be assigned. Three queries."""
    if not is_staff(viewer):
        return FilterChoices([], [], [])
    teams = list(Team.objects.order_by("name").values_list("slug", "name"))
    sprints = Sprint.objects.select_related("team").filter(
        Q(closed_at__isnull=True) | Q(pk=sprint or 0)
    )
    sprint_choices = [
        (str(s.pk), f"{s.team.name} · {s.name}{' (current)' if is_current(s) else ''}")
        for s in sprints.order_by("start", "team__name")
    ]
    people = (
        User.objects.filter(is_active=True, role_grants__role__in=["developer", "devops"])
        .distinct()
        .order_by("username")
        .values_list("username", "first_name", "last_name")
    )
    person_choices = [("me", "Me"), ("none", "Nobody (unassigned)")] + [
        (username, f"{first} {last}".strip() or username) for username, first, last in people
    ]
    return FilterChoices(teams, sprint_choices, person_choices)
