"""Reads of sprints, program increments and team capacity. All of it is internal planning:
customers and partners see none of it (lists are empty, single objects are 404)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Min, Q, QuerySet, Sum
from django.utils import timezone

from casebridge.accounts.models import Team
from casebridge.core import clock
from casebridge.core.actors import Actor
from casebridge.core.errors import NotFound, ValidationFailed
from casebridge.core.schemas import bounded_int
from casebridge.sprints.models import (
    UNIT_SHORT,
    CapacityUnit,
    EntryOutcome,
    ProgramIncrement,
    Sprint,
    SprintEntry,
)
from casebridge.workitems.models import WorkItem

SPRINT_STATES = ("current", "next", "future", "open", "closed", "")


def today() -> date:
    return timezone.localdate(clock.now())


def is_internal(viewer: Actor) -> bool:
    return bool(getattr(viewer, "is_authenticated", False)) and not viewer.is_external


def require_internal(viewer: Actor, what: str = "That") -> None:
    if not is_internal(viewer):
        raise NotFound(f"{what} does not exist")


def is_current(sprint: Sprint, day: date | None = None) -> bool:
    d = day or today()
    return sprint.closed_at is None and sprint.start <= d <= sprint.end


def sprint_state(sprint: Sprint, day: date | None = None) -> str:
    d = day or today()
    if sprint.closed_at is not None:
        return "closed"
    if sprint.start > d:
        return "future"
    return "current" if d <= sprint.end else "ended"


def _sprints() -> QuerySet[Sprint]:
    return Sprint.objects.select_related("team", "team__planning", "increment", "closed_by")


def sprint_list_for(viewer: Actor, *, team: str = "", state: str = "") -> QuerySet[Sprint]:
    """Sprints, newest first; ``state`` is current, next, future, open or closed."""
    if not is_internal(viewer):
        return Sprint.objects.none()
    if state not in SPRINT_STATES:
        raise ValidationFailed(
            "Unknown state", fields={"state": "Use current, next, future, open or closed."}
        )
    sprints = _sprints().order_by("-start", "team__name")
    if team:
        sprints = sprints.filter(team__slug=team)
    d = today()
    if state == "closed":
        sprints = sprints.filter(closed_at__isnull=False)
    elif state:
        sprints = sprints.filter(closed_at__isnull=True)
    if state == "current":
        sprints = sprints.filter(start__lte=d, end__gte=d)
    elif state in ("future", "next"):
        sprints = sprints.filter(start__gt=d)
    if state == "next":
        firsts = (
            Sprint.objects.filter(closed_at__isnull=True, start__gt=d)
            .values("team")
            .order_by()
            .annotate(first=Min("start"))
        )
        condition = Q(pk__in=[])
        for row in firsts:
            condition |= Q(team_id=row["team"], start=row["first"])
        sprints = sprints.filter(condition)
    return sprints


def sprint_get_for(viewer: Actor, sprint_id: int) -> Sprint:
    require_internal(viewer, "The sprint")
    sprint = _sprints().filter(pk=sprint_id).first()
    if sprint is None:
        raise NotFound(f"No sprint {sprint_id}")
    return sprint


def sprint_find_for(viewer: Actor, ref: str) -> Sprint:
    """A sprint by id or by ``team-slug/Sprint name`` (the CLI's way)."""
    require_internal(viewer, "The sprint")
    ref = ref.strip()
    if ref.isdigit():
        number = bounded_int(ref)
        if number is None:
            raise NotFound(f"No sprint {ref}")
        return sprint_get_for(viewer, number)
    slug, _, name = ref.partition("/")
    sprint = _sprints().filter(team__slug=slug, name=name).first()
    if sprint is None:
        raise NotFound(f"No sprint {ref} (use an id or team/name)")
    return sprint


def team_get_for(viewer: Actor, slug: str) -> Team:
    require_internal(viewer, "The team")
    team = Team.objects.select_related("planning").filter(slug=slug).first()
    if team is None:
        raise NotFound(f"No team '{slug}'")
    return team


def team_unit(team: Team) -> str:
    planning = getattr(team, "planning", None)
    return planning.unit if planning is not None else CapacityUnit.POINTS


def unit_short(team: Team) -> str:
    return UNIT_SHORT[CapacityUnit(team_unit(team))]


def current_sprint(team: Team, day: date | None = None) -> Sprint | None:
    d = day or today()
    return (
        _sprints()
        .filter(team=team, closed_at__isnull=True, start__lte=d, end__gte=d)
        .order_by("start", "pk")
        .first()
    )


def next_sprint(team: Team, day: date | None = None) -> Sprint | None:
    d = day or today()
    return (
        _sprints()
        .filter(team=team, closed_at__isnull=True, start__gt=d)
        .order_by("start", "pk")
        .first()
    )


def following_sprint(sprint: Sprint) -> Sprint | None:
    """The team's first open sprint after ``sprint``: where unfinished work carries over."""
    return (
        _sprints()
        .filter(team_id=sprint.team_id, closed_at__isnull=True, start__gt=sprint.start)
        .exclude(pk=sprint.pk)
        .order_by("start", "pk")
        .first()
    )


def free_days(team: Team) -> tuple[date, date | None]:
    """The first day from today on that no sprint of the team holds (a sprint closed early
    holds its days only until it closed), and the last free day after it (None: no limit)."""
    day = today()
    for sprint in Sprint.objects.filter(team=team, end__gte=day).order_by("start"):
        held_until = sprint.end
        if sprint.closed_at is not None:
            held_until = min(held_until, timezone.localdate(sprint.closed_at) - timedelta(days=1))
        if sprint.start > day and held_until >= sprint.start:
            return day, sprint.start - timedelta(days=1)
        day = max(day, held_until + timedelta(days=1))
    return day, None


def sprint_name_suggestion(team: Team) -> str:
    """ "Sprint N+1" after the team's highest "Sprint N", else "Sprint 1"; never a taken name."""
    names = set(Sprint.objects.filter(team=team).values_list("name", flat=True))
    numbers = [int(n.split()[-1]) for n in names if re.fullmatch(r"Sprint \d+", n)]
    number = max(numbers, default=0) + 1
    while f"Sprint {number}" in names:
        number += 1
    return f"Sprint {number}"


@dataclass(frozen=True)
class Load:
    items: int
    points: int
    unestimated: int


def sprint_loads(sprint_ids: list[int]) -> dict[int, Load]:
    """Items and estimate totals currently in each sprint, in one query."""
    rows = (
        WorkItem.objects.filter(sprint_id__in=sprint_ids)
        .values("sprint_id")
        .order_by()
        .annotate(
            n=Count("pk"),
            points=Sum("estimate"),
            unestimated=Count("pk", filter=Q(estimate__isnull=True)),
        )
    )
    loads = dict.fromkeys(sprint_ids, Load(0, 0, 0))
    for row in rows:
        loads[row["sprint_id"]] = Load(row["n"], row["points"] or 0, row["unestimated"])
    return loads


def open_entries(sprint: Sprint) -> QuerySet[SprintEntry]:
    return SprintEntry.objects.filter(sprint=sprint, outcome=EntryOutcome.OPEN)


def increment_list_for(viewer: Actor) -> QuerySet[ProgramIncrement]:
    if not is_internal(viewer):
        return ProgramIncrement.objects.none()
    return ProgramIncrement.objects.prefetch_related("sprints__team").order_by("-start", "name")


def increment_get_for(viewer: Actor, increment_id: int) -> ProgramIncrement:
    require_internal(viewer, "The program increment")
    increment = increment_list_for(viewer).filter(pk=increment_id).first()
    if increment is None:
        raise NotFound(f"No program increment {increment_id}")
    return increment
