"""Reads of work items. Work items are internal: customers and partners see none."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Max,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber

from casebridge.accounts.models import Team, User
from casebridge.audit.models import AuditEvent
from casebridge.core import clock
from casebridge.core.errors import NotFound, ValidationFailed
from casebridge.sprints.models import Sprint
from casebridge.sprints.selectors import is_current
from casebridge.workflows.engine import State, StateGroup
from casebridge.workitems.definitions import WORKFLOWS
from casebridge.workitems.models import PRIORITY_RANK, Category, TestRecord, WorkItem


@dataclass(frozen=True)
class WorkItemFilters:
    category: str = ""
    statuses: tuple[str, ...] = ()
    group: str = ""
    assignee: str = ""
    priority: str = ""
    sprint: int | None = None
    team: str = ""


def _base(viewer: Any) -> QuerySet[WorkItem]:
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


def work_item_list_for(viewer: Any, filters: WorkItemFilters | None = None) -> QuerySet[WorkItem]:
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


def work_item_get_for(viewer: Any, key: str) -> WorkItem:
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


# --- pages: boards and queues --------------------------------------------------------------------
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


def is_staff(viewer: Any) -> bool:
    return bool(getattr(viewer, "is_authenticated", False)) and not viewer.is_external


def _items_for(viewer: Any) -> QuerySet[WorkItem]:
    return WorkItem.objects.all() if is_staff(viewer) else WorkItem.objects.none()


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


def cards_of(rows: Iterable[Sequence[Any]]) -> list[Card]:
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


def _top(items: QuerySet[WorkItem], per_column: int, *order: Any) -> list[Any]:
    """The first ``per_column`` rows of every status, in one query (a window over the statuses)."""
    ranked = items.annotate(
        rank=Window(RowNumber(), partition_by=[F("status")], order_by=[*order, F("pk").asc()])
    )
    return list(ranked.filter(rank__lte=per_column).order_by().values_list(*ROW_FIELDS))


def work_item_board_for(
    viewer: Any,
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
    items = _filtered(_items_for(viewer).filter(category=category), filters or BoardFilters())
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


# --- queues per role -----------------------------------------------------------------------------


def _sources(category: str, action: str) -> list[str]:
    transition = WORKFLOWS[category].transition(action)
    return sorted(transition.sources) if transition else []


def _finished(category: str) -> list[str]:
    return WORKFLOWS[category].states_in(StateGroup.DONE, StateGroup.REJECTED)


def _either(conditions: Iterable[Q]) -> Q:
    combined = Q(pk__in=[])
    for condition in conditions:
        combined |= condition
    return combined


def triage_queue_for(viewer: Any) -> QuerySet[WorkItem]:
    """The RTE's triage: bugs still open (new, needs information, triaged) and in no sprint;
    feature requests and improvements waiting for a decision. Oldest first."""
    bugs = Q(category="bug", status__in=WORKFLOWS["bug"].states_in(StateGroup.OPEN))
    decisions = [
        Q(category=c, status__in=_sources(c, "approve")) for c in ("feature", "improvement")
    ]
    return (
        _items_for(viewer)
        .filter((bugs & Q(sprint__isnull=True)) | _either(decisions))
        .order_by("created_at", "pk")
    )


def decision_queue_for(viewer: Any) -> QuerySet[WorkItem]:
    """Feature requests and improvements waiting for a decision of the viewer's role (PM, RTE),
    and deferred ones whose revisit date has come. Oldest first."""
    undecided = [Q(pm_decision="")] if viewer.has_role("product_manager") else []
    if viewer.has_role("rte"):
        undecided.append(Q(rte_decision=""))
    today = clock.now().date()
    waiting = [
        Q(category=c, status__in=_sources(c, "approve")) & _either(undecided)
        for c in ("feature", "improvement")
    ]
    revisit = [
        Q(category=c, status__in=_sources(c, "reconsider"), revisit_on__lte=today)
        for c in ("feature", "improvement")
    ]
    if not undecided:
        return WorkItem.objects.none()
    return (
        _items_for(viewer)
        .filter(_either([*waiting, *revisit]))
        .order_by("revisit_on", "created_at", "pk")
    )


def my_work_for(viewer: Any) -> QuerySet[WorkItem]:
    """What the viewer is assigned to or mentors, not finished, and what their teams must pick
    up: an unassigned item of one of their teams (a scheduled bug, an improvement routed to
    DevOps). Highest priority, then oldest."""
    mine = WorkItem.assignees.through.objects.filter(user_id=viewer.pk).values("workitem_id")
    unfinished = [Q(category=c) & ~Q(status__in=_finished(c)) for c in WORKFLOWS]
    assigned = WorkItem.assignees.through.objects.values("workitem_id")
    waiting = [
        Q(category=c, status__in=sorted(assign.sources))
        for c in WORKFLOWS
        if (assign := WORKFLOWS[c].transition("assign")) is not None
    ]
    teams = viewer.teams.values("pk") if getattr(viewer, "pk", None) else []
    team_waiting = Q(team_id__in=teams) & ~Q(pk__in=assigned) & _either(waiting)
    return (
        _items_for(viewer)
        .filter(Q(pk__in=mine) | Q(mentor_id=viewer.pk) | team_waiting)
        .filter(_either(unfinished))
        .order_by(PRIORITY_ORDER.desc(), "created_at", "pk")
    )


def testing_queue_for(viewer: Any) -> QuerySet[WorkItem]:
    """Items in testing, waiting for test evidence. Highest priority, then oldest."""
    testing = [Q(category=c, status="in_testing") for c in WORKFLOWS if _has_state(c, "in_testing")]
    return (
        _items_for(viewer)
        .filter(_either(testing))
        .order_by(PRIORITY_ORDER.desc(), "created_at", "pk")
    )


def devops_queue_for(viewer: Any) -> QuerySet[WorkItem]:
    """A DevOps engineer's: unfinished items of their DevOps teams (improvements routed to them)
    and every item being released. Highest priority, then oldest."""
    teams = viewer.teams.filter(kind="devops").values("pk") if getattr(viewer, "pk", None) else []
    unfinished = [Q(category=c) & ~Q(status__in=_finished(c)) for c in WORKFLOWS]
    releasing = [
        Q(category=c, status="in_release") for c in WORKFLOWS if _has_state(c, "in_release")
    ]
    return (
        _items_for(viewer)
        .filter((Q(team_id__in=teams) & _either(unfinished)) | _either(releasing))
        .order_by(PRIORITY_ORDER.desc(), "created_at", "pk")
    )


def _has_state(category: str, state: str) -> bool:
    try:
        WORKFLOWS[category].state(state)
    except KeyError:
        return False
    return True


def review_requests_for(viewer: Any) -> QuerySet[WorkItem]:
    """Items in review, not yet reviewed, where the viewer may review (a reviewer's role, not an
    assignee); those that request the viewer first, then highest priority, then oldest."""
    reviewable = []
    for category, workflow in WORKFLOWS.items():
        transition = workflow.transition("approve_review")
        if transition is not None and viewer.has_role(*transition.roles):
            reviewable.append(Q(category=category, status__in=sorted(transition.sources)))
    mine = WorkItem.assignees.through.objects.filter(user_id=viewer.pk).values("workitem_id")
    requested = Case(
        When(requested_reviewer_id=viewer.pk, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return (
        _items_for(viewer)
        .filter(_either(reviewable), reviewed_by__isnull=True)
        .exclude(pk__in=mine)
        .annotate(requested=requested)
        .order_by("-requested", PRIORITY_ORDER.desc(), "created_at", "pk")
    )


#: The action that confirms each category's delivery (L2 validation, acceptance, verification).
CONFIRMING_ACTIONS = {"bug": "validate", "feature": "accept", "improvement": "verify"}


def validation_queue_for(viewer: Any) -> QuerySet[WorkItem]:
    """Deliveries waiting for their confirmation by the viewer: bugs awaiting L2 validation,
    feature requests awaiting acceptance (PM, L2), reviewed improvements awaiting verification
    (L2, or the proposer). Oldest first."""
    waiting = []
    for category, action in CONFIRMING_ACTIONS.items():
        transition = WORKFLOWS[category].transition(action)
        if transition is None or not viewer.has_role(*transition.roles):
            continue
        condition = Q(category=category, status__in=sorted(transition.sources))
        if category == "improvement":
            proposer = Q() if viewer.has_role("l2_engineer") else Q(created_by_id=viewer.pk)
            condition &= Q(reviewed_by__isnull=False) & proposer
        waiting.append(condition)
    return _items_for(viewer).filter(_either(waiting)).order_by("created_at", "pk")


def work_item_rows_for(viewer: Any, filters: WorkItemFilters) -> QuerySet[WorkItem]:
    """``work_item_list_for`` without its relations: for pages that show rows (``cards_of``)."""
    return work_item_list_for(viewer, filters).select_related(None).prefetch_related(None)


def related_keys_for(viewer: Any, item: WorkItem) -> dict[str, list[str]]:
    """The items that point at this one: its duplicates and the items it supersedes."""
    related: dict[str, list[str]] = {"duplicates": [], "supersedes": []}
    rows = (
        _items_for(viewer)
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


def filter_choices_for(viewer: Any, *, sprint: int | None = None) -> FilterChoices:
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
