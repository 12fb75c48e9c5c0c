"""Reads behind the sprint pages: the board and the burndown/burnup."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from casebridge.audit.models import AuditEvent
from casebridge.core.actors import Actor
from casebridge.core.expressions import EpochSeconds
from casebridge.sprints import charts
from casebridge.sprints.delivery import RELEASE_STATES, groups, initial_status, is_delivered
from casebridge.sprints.models import EntryOutcome, Sprint, SprintEntry
from casebridge.sprints.selectors.sprints import require_internal, today
from casebridge.workflows.engine import StateGroup
from casebridge.workitems.definitions import WORKFLOWS
from casebridge.workitems.models import PRIORITY_RANK, WorkItem

COLUMNS = (
    ("todo", "To do"),
    ("in_progress", "In progress"),
    ("in_review", "In review"),
    ("in_testing", "In testing"),
    ("release", "Release & validation"),
    ("done", "Done"),
)


def column_of(category: str, status: str) -> str:
    if status in ("in_progress", "in_review", "in_testing"):
        return status
    if status in RELEASE_STATES:
        return "release"
    if groups()[category].get(status) in (StateGroup.DONE, StateGroup.REJECTED):
        return "done"
    return "todo"


@dataclass(frozen=True)
class Card:
    key: str
    title: str
    category: str
    priority: str
    status: str
    status_label: str
    estimate: int | None
    assignees: tuple[str, ...]


@dataclass
class Column:
    key: str
    label: str
    cards: list[Card] = field(default_factory=list)

    @property
    def points(self) -> int:
        return sum(c.estimate or 0 for c in self.cards)


@dataclass(frozen=True)
class Board:
    sprint: Sprint
    columns: tuple[Column, ...]

    @property
    def count(self) -> int:
        return sum(len(c.cards) for c in self.columns)

    @property
    def points(self) -> int:
        return sum(c.points for c in self.columns)

    @property
    def done_points(self) -> int:
        return sum(c.points for c in self.columns if c.key in ("release", "done"))


def _assignees(item_ids: list[int]) -> dict[int, list[str]]:
    through = WorkItem.assignees.through
    found: dict[int, list[str]] = defaultdict(list)
    rows = (
        through.objects.filter(workitem_id__in=item_ids)
        .order_by("user__username")
        .values_list("workitem_id", "user__username")
    )
    for item_id, username in rows:
        found[item_id].append(username)
    return found


def board_for(viewer: Actor, sprint: Sprint) -> Board:
    """The sprint's items in columns by stage; two queries whatever the size."""
    require_internal(viewer, "The sprint")
    rows = list(
        WorkItem.objects.filter(sprint=sprint)
        .order_by("created_at", "pk")
        .values_list("pk", "key", "title", "category", "priority", "status", "estimate")
    )
    people = _assignees([r[0] for r in rows])
    labels = {c: {s.name: s.label for s in w.states} for c, w in WORKFLOWS.items()}
    columns = {key: Column(key, label) for key, label in COLUMNS}
    for pk, key, title, category, priority, status, estimate in rows:
        card = Card(
            key=key,
            title=title,
            category=category,
            priority=priority,
            status=status,
            status_label=labels[category].get(status, status),
            estimate=estimate,
            assignees=tuple(people.get(pk, ())),
        )
        columns[column_of(category, status)].cards.append(card)
    for column in columns.values():
        column.cards.sort(key=lambda c: -PRIORITY_RANK.get(c.priority, 0))  # stable
    return Board(sprint, tuple(columns.values()))


def day_end(day: date) -> float:
    """The first moment after ``day`` in the project's time zone, in POSIX seconds."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min)).timestamp()


def status_histories(sprint: Sprint, categories: dict[str, str]) -> dict[str, charts.StatusAt]:
    """The status changes of every item that was ever in the sprint (one query)."""
    changes: dict[str, list[tuple[float, str]]] = defaultdict(list)
    keys = SprintEntry.objects.filter(sprint=sprint).values("item__key")
    events = (
        AuditEvent.objects.filter(subject_type="work_item", subject_key__in=keys, field="status")
        .order_by("at", "pk")
        .annotate(seconds=EpochSeconds("at"))
        .values_list("subject_key", "seconds", "new")
    )
    for key, at, new in events:
        changes[key].append((at, new))
    return {
        key: charts.StatusAt(initial_status(category), changes.get(key, []))
        for key, category in categories.items()
    }


def burndown_for(viewer: Actor, sprint: Sprint) -> charts.Burndown:
    require_internal(viewer, "The sprint")
    rows = list(
        SprintEntry.objects.filter(sprint=sprint)
        .annotate(added=EpochSeconds("added_at"), left=EpochSeconds("outcome_at"))
        .values_list("item__key", "item__category", "estimate", "added", "outcome", "left")
    )
    stays = [
        charts.Stay(
            key=key,
            category=category,
            estimate=estimate or 0,
            added_at=added_at,
            left_at=outcome_at if outcome == EntryOutcome.MOVED else None,
        )
        for key, category, estimate, added_at, outcome, outcome_at in rows
    ]
    categories = {s.key: s.category for s in stays}
    last = sprint.closed_at.date() if sprint.closed_at else today()
    return charts.burndown(
        start=sprint.start,
        end=sprint.end,
        stays=stays,
        history=status_histories(sprint, categories),
        delivered=is_delivered,
        day_end=day_end,
        today=min(last, today()),
    )
