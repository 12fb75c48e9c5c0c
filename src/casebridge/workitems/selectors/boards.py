"""Reads for the boards: lean rows, the people and the time in status of many items at once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.expressions import OrderBy
from django.db.models.functions import RowNumber

from casebridge.audit.models import AuditEvent
from casebridge.core import clock
from casebridge.core.actors import Actor
from casebridge.core.errors import NotFound
from casebridge.workflows.engine import State, StateGroup
from casebridge.workitems.definitions import WORKFLOWS
from casebridge.workitems.models import PRIORITY_RANK, WorkItem
from casebridge.workitems.selectors.items import items_visible_to

#
# Lean reads for lists that may hold thousands of items: only the columns a row shows, the
# assignees in one query, the time each item entered its status in one grouped query over the
# audit log. Which statuses a board or queue shows comes from the workflow definitions.

ROW_FIELDS = (
    "pk",
    "key",
    "category",
    "title",
    "status",
    "priority",
    "created_at",
    "closed_at",
    "requested_reviewer_id",
)
#: A ``ROW_FIELDS`` tuple: pk, key, category, title, status, priority, created, closed, reviewer.
type Row = tuple[int, str, str, str, str, str, datetime, datetime | None, int | None]
PRIORITY_ORDER = Case(
    *(When(priority=name, then=Value(rank)) for name, rank in PRIORITY_RANK.items() if name),
    default=Value(0),
    output_field=IntegerField(),
)


@dataclass(frozen=True)
class Person:
    username: str
    name: str

    @property
    def initials(self) -> str:
        parts = [p for p in self.name.replace(".", " ").split() if p]
        if len(parts) >= 2:
            return (parts[0][0] + parts[-1][0]).upper()
        digits = len(self.name) - len(self.name.rstrip("0123456789"))
        if 0 < digits < len(self.name):  # "dev3" -> "D3"
            return (self.name[0] + self.name[-digits:]).upper()[:3]
        return self.name[:2].upper()


@dataclass(frozen=True)
class Card:
    """One work item on a board or in a queue: what a row or a card shows."""

    pk: int
    key: str
    category: str
    title: str
    status: str
    priority: str
    created_at: datetime
    entered_at: datetime
    assignees: tuple[Person, ...] = ()
    reviewer_id: int | None = None  # the reviewer asked for, if any


def people_of(item_ids: Sequence[int]) -> dict[int, tuple[Person, ...]]:
    """The assignees of many items in one query, by item id."""
    found: dict[int, list[Person]] = defaultdict(list)
    rows = (
        WorkItem.assignees.through.objects.filter(workitem_id__in=list(item_ids))
        .order_by("user__username")
        .values_list("workitem_id", "user__username", "user__first_name", "user__last_name")
    )
    for item_id, username, first, last in rows:
        found[item_id].append(Person(username, f"{first} {last}".strip() or username))
    return {item_id: tuple(people) for item_id, people in found.items()}


def entered_status_at(keys: Sequence[str]) -> dict[str, datetime]:
    """When each item entered its current status (its last status change; an action that
    keeps the status, such as an assignment, does not count), in one query."""
    rows = (
        AuditEvent.objects.filter(subject_type="work_item", subject_key__in=list(keys))
        .filter(field="status")
        .exclude(old=F("new"))
        .values("subject_key")
        .annotate(at=Max("at"))
        .order_by()
        .values_list("subject_key", "at")
    )
    return dict(rows)


def cards_of(rows: Iterable[Row]) -> list[Card]:
    """Cards from ``ROW_FIELDS`` tuples, with their assignees and time in status (two queries)."""
    rows = list(rows)
    people = people_of([r[0] for r in rows])
    entered = entered_status_at([r[1] for r in rows])
    return [
        Card(
            pk=pk,
            key=key,
            category=category,
            title=title,
            status=status,
            priority=priority,
            created_at=created,
            entered_at=entered.get(key) or closed or created,
            assignees=people.get(pk, ()),
            reviewer_id=reviewer,
        )
        for pk, key, category, title, status, priority, created, closed, reviewer in rows
    ]


@dataclass(frozen=True)
class BoardFilters:
    team: str = ""
    sprint: int | None = None
    assignee: str = ""  # a username, or "none"


@dataclass
class BoardColumn:
    state: State
    count: int
    cards: list[Card] = field(default_factory=list)
    finished: bool = False  # a done/rejected column: recent items only, collapsed by default
    shown: bool = True

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.cards))


@dataclass(frozen=True)
class Board:
    category: str
    columns: tuple[BoardColumn, ...]
    since: datetime  # finished columns hold what finished since then

    @property
    def total(self) -> int:
        return sum(c.count for c in self.columns if not c.finished)


def _filtered(items: QuerySet[WorkItem], f: BoardFilters) -> QuerySet[WorkItem]:
    if f.team:
        items = items.filter(Q(team__slug=f.team) | Q(sprint__team__slug=f.team))
    if f.sprint is not None:
        items = items.filter(sprint_id=f.sprint)
    if f.assignee == "none":
        items = items.filter(assignees__isnull=True)
    elif f.assignee:
        items = items.filter(assignees__username=f.assignee)
    return items


def _top(items: QuerySet[WorkItem], per_column: int, *order: OrderBy) -> list[Row]:
    """The first ``per_column`` rows of every status, in one query (a window over the statuses)."""
    ranked = items.annotate(
        rank=Window(RowNumber(), partition_by=[F("status")], order_by=[*order, F("pk").asc()])
    )
    return list(ranked.filter(rank__lte=per_column).order_by().values_list(*ROW_FIELDS))


def work_item_board_for(
    viewer: Actor,
    category: str,
    filters: BoardFilters | None = None,
    *,
    per_column: int = 25,
    finished_days: int = 14,
    show_finished: bool = False,
) -> Board:
    """A category's board: one column per state of its workflow, in definition order.

    Open and active columns show their first ``per_column`` cards (highest priority, then
    oldest) and the count of all. Done and rejected columns count only what finished in the last
    ``finished_days`` days, and hold cards only when ``show_finished``. A fixed number of queries,
    whatever the number of items.
    """
    if category not in WORKFLOWS:
        raise NotFound(f"No board for {category}")
    workflow = WORKFLOWS[category]
    since = clock.now() - timedelta(days=finished_days)
    items = _filtered(items_visible_to(viewer).filter(category=category), filters or BoardFilters())
    finished = set(workflow.states_in(StateGroup.DONE, StateGroup.REJECTED))
    working = [s.name for s in workflow.states if s.name not in finished]
    counts = dict(
        items.filter(Q(status__in=working) | Q(status__in=finished, closed_at__gte=since))
        .values("status")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("status", "n")
    )
    rows = _top(
        items.filter(status__in=working), per_column, PRIORITY_ORDER.desc(), F("created_at").asc()
    )
    if show_finished:
        recent = items.filter(status__in=finished, closed_at__gte=since)
        rows += _top(recent, per_column, F("closed_at").desc())
    by_status: dict[str, list[Card]] = defaultdict(list)
    for card in cards_of(rows):
        by_status[card.status].append(card)
    columns = []
    for state in workflow.states:
        done = state.name in finished
        cards = by_status.get(state.name, [])
        if done:
            cards.sort(key=lambda c: c.entered_at, reverse=True)
        else:
            cards.sort(key=lambda c: (-PRIORITY_RANK.get(c.priority, 0), c.created_at, c.pk))
        columns.append(
            BoardColumn(
                state=state,
                count=counts.get(state.name, 0),
                cards=cards,
                finished=done,
                shown=show_finished or not done,
            )
        )
    return Board(category=category, columns=tuple(columns), since=since)
