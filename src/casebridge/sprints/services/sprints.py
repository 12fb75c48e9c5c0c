"""Writes to sprints, program increments and team capacity, and the sprint-entry record."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Literal

from django.db import transaction
from django.db.models import Q

from casebridge.accounts.models import Role, Team, User
from casebridge.audit.actions import AuditAction
from casebridge.audit.services import audit_changes, audit_record
from casebridge.core import clock
from casebridge.core.actors import Actor
from casebridge.core.errors import PermissionDenied, ValidationFailed
from casebridge.sprints.models import (
    CapacityUnit,
    EntryKind,
    EntryOutcome,
    ProgramIncrement,
    Sprint,
    SprintEntry,
    TeamCapacity,
)
from casebridge.sprints.selectors.sprints import today
from casebridge.workitems.models import WorkItem

MAX_CAPACITY = 100_000


def require_planner(actor: Actor | None, what: str = "plans sprints") -> None:
    """The RTE plans; an admin may set sprints up. ``None`` is the system (demo, migrations)."""
    if actor is not None and not actor.has_role(Role.RTE, Role.ADMIN):
        raise PermissionDenied(f"Only the RTE or an admin {what}")


def real_user(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) else None


def _check_capacity(capacity: int | None, errors: dict[str, str]) -> None:
    if capacity is not None and not 0 <= capacity <= MAX_CAPACITY:
        errors["capacity"] = f"Use a capacity from 0 to {MAX_CAPACITY}."


def _check_dates(
    team: Team,
    start: date,
    end: date,
    *,
    increment: ProgramIncrement | None,
    errors: dict[str, str],
    exclude: int | None = None,
) -> None:
    if end < start:
        errors["end"] = "The sprint ends before it starts."
        return
    # A sprint closed early holds its days only until it closed: the next one may start on
    # the day it closed (a critical bug needs a running sprint to go into).
    others = Sprint.objects.filter(team=team, start__lte=end, end__gte=start).exclude(
        closed_at__isnull=False, closed_at__date__lte=start
    )
    if exclude is not None:
        others = others.exclude(pk=exclude)
    overlapping = others.order_by("start").first()
    if overlapping is not None:
        errors["start"] = (
            f"{team.name}'s {overlapping.name} runs {overlapping.start} to {overlapping.end}; "
            "sprints of a team do not overlap."
        )
    if increment is not None and not (increment.start <= start and end <= increment.end):
        errors["increment"] = (
            f"{increment.name} runs {increment.start} to {increment.end}; "
            "the sprint must lie within it."
        )


@transaction.atomic
def sprint_create(
    *,
    actor: User | None,
    team: Team,
    name: str,
    start: date,
    end: date,
    capacity: int | None = None,
    goal: str = "",
    increment: ProgramIncrement | None = None,
) -> Sprint:
    require_planner(actor)
    errors: dict[str, str] = {}
    name = name.strip()
    if not name or len(name) > 120 or "/" in name:
        errors["name"] = "Name the sprint (at most 120 characters, no '/')."
    elif Sprint.objects.filter(team=team, name=name).exists():
        errors["name"] = f"{team.name} already has a sprint '{name}'."
    _check_dates(team, start, end, increment=increment, errors=errors)
    _check_capacity(capacity, errors)
    if errors:
        raise ValidationFailed("The sprint could not be created", fields=errors)
    if capacity is None:
        planning = TeamCapacity.objects.filter(team=team).first()
        capacity = planning.default_capacity if planning else None
    sprint = Sprint.objects.create(
        team=team,
        name=name,
        start=start,
        end=end,
        capacity=capacity,
        goal=goal.strip(),
        increment=increment,
    )
    audit_record(
        actor=actor,
        subject=sprint,
        action=AuditAction.CREATED,
        data={
            "start": str(start),
            "end": str(end),
            "capacity": capacity,
            "increment": increment.name if increment else None,
        },
    )
    return sprint


class _Unset(Enum):
    """Not given (``None`` is a value: no capacity, no increment)."""

    UNSET = "unset"


_UNSET = _Unset.UNSET


@transaction.atomic
def sprint_update(
    *,
    actor: User | None,
    sprint: Sprint,
    capacity: int | Literal[_Unset.UNSET] | None = _UNSET,
    goal: str | None = None,
    start: date | None = None,
    end: date | None = None,
    increment: ProgramIncrement | Literal[_Unset.UNSET] | None = _UNSET,
) -> Sprint:
    """Change a sprint's capacity, goal, dates or increment; a closed sprint is history."""
    require_planner(actor)
    locked = Sprint.objects.select_for_update(of=("self",)).select_related("team").get(pk=sprint.pk)
    if locked.closed_at is not None:
        raise ValidationFailed("The sprint is closed", fields={"sprint": "Closed sprints stay."})
    new_start, new_end = start or locked.start, end or locked.end
    new_increment = locked.increment if increment is _UNSET else increment
    errors: dict[str, str] = {}
    if capacity is not _UNSET:
        _check_capacity(capacity, errors)
    _check_dates(
        locked.team,
        new_start,
        new_end,
        increment=new_increment,
        errors=errors,
        exclude=locked.pk,
    )
    if errors:
        raise ValidationFailed("The sprint could not be changed", fields=errors)
    changes: dict[str, tuple[object, object]] = {}

    def change(field: str, value: object) -> None:
        changes[field] = (getattr(locked, field), value)
        setattr(locked, field, value)

    if capacity is not _UNSET:
        change("capacity", capacity)
    if goal is not None:
        change("goal", goal.strip())
    change("start", new_start)
    change("end", new_end)
    change("increment", new_increment)
    events = audit_changes(actor=actor, subject=locked, action=AuditAction.UPDATED, changes=changes)
    if events:
        locked.save()
    return locked


@transaction.atomic
def sprint_start(*, actor: User | None, sprint: Sprint) -> Sprint:
    """Start a future sprint today instead of on its planned day; its end stays.

    The way to get a running sprint when the team has none (its last one closed early, say)
    and a critical bug must be expedited. Refused while another sprint of the team runs.
    """
    require_planner(actor, "starts sprints")
    locked = Sprint.objects.select_for_update(of=("self",)).select_related("team").get(pk=sprint.pk)
    day = today()
    problem = ""
    if locked.closed_at is not None:
        problem = f"{locked.name} is closed."
    elif locked.start <= day:
        problem = f"{locked.name} started on {locked.start}."
    else:
        running = (
            Sprint.objects.filter(
                team_id=locked.team_id, closed_at__isnull=True, start__lte=day, end__gte=day
            )
            .exclude(pk=locked.pk)
            .first()
        )
        if running is not None:
            problem = (
                f"{running.name} is running until {running.end}: close it first to start "
                f"{locked.name} today."
            )
    if problem:
        raise ValidationFailed("The sprint cannot start now", fields={"sprint": problem})
    errors: dict[str, str] = {}
    _check_dates(
        locked.team, day, locked.end, increment=locked.increment, errors=errors, exclude=locked.pk
    )
    if errors:
        raise ValidationFailed("The sprint cannot start now", fields=errors)
    audit_changes(
        actor=actor,
        subject=locked,
        action=AuditAction.STARTED,
        changes={"start": (locked.start, day)},
    )
    locked.start = day
    locked.save(update_fields=["start"])
    return locked


@transaction.atomic
def team_capacity_set(
    *, actor: User | None, team: Team, unit: str, default_capacity: int | None = None
) -> TeamCapacity:
    """How the team plans: story points or hours, and a default capacity for new sprints."""
    require_planner(actor, "sets how a team plans")
    errors: dict[str, str] = {}
    if unit not in CapacityUnit.values:
        errors["unit"] = "Use points or hours."
    _check_capacity(default_capacity, errors)
    if errors:
        raise ValidationFailed("The team's capacity could not be set", fields=errors)
    planning = TeamCapacity.objects.select_for_update().filter(team=team).first()
    if planning is None:
        planning = TeamCapacity(team=team)
        old: tuple[object, object] = ("", None)
    else:
        old = (planning.unit, planning.default_capacity)
    planning.unit, planning.default_capacity = unit, default_capacity
    changes = {"unit": (old[0], unit), "default_capacity": (old[1], default_capacity)}
    if audit_changes(actor=actor, subject=planning, action=AuditAction.UPDATED, changes=changes):
        planning.save()
    return planning


@transaction.atomic
def increment_create(
    *, actor: User | None, name: str, start: date, end: date, objectives: str = ""
) -> ProgramIncrement:
    require_planner(actor, "plans program increments")
    errors: dict[str, str] = {}
    name = name.strip()
    if not name or len(name) > 120:
        errors["name"] = "Name the increment (at most 120 characters)."
    elif ProgramIncrement.objects.filter(name=name).exists():
        errors["name"] = f"There is already a program increment '{name}'."
    if end < start:
        errors["end"] = "The increment ends before it starts."
    if errors:
        raise ValidationFailed("The program increment could not be created", fields=errors)
    increment = ProgramIncrement.objects.create(
        name=name, start=start, end=end, objectives=objectives.strip()
    )
    audit_record(
        actor=actor,
        subject=increment,
        action=AuditAction.CREATED,
        data={"start": str(start), "end": str(end)},
    )
    return increment


def entry_kind(item: WorkItem, sprint: Sprint, day: date) -> str:
    """How an item scheduled on ``day`` comes into the sprint. Work scheduled before the sprint
    starts or on its first day (sprint planning is usually held that morning) is committed; a
    critical bug scheduled once the sprint runs is expedited; anything later is added."""
    if day < sprint.start:
        return EntryKind.PLANNED
    if item.category == "bug" and item.priority == "critical":
        return EntryKind.EXPEDITED
    if day == sprint.start:
        return EntryKind.PLANNED
    return EntryKind.ADDED


def sprint_entry_follow(*, actor: Actor, item: WorkItem) -> SprintEntry | None:
    """Record that ``item`` is now in ``item.sprint`` (and no longer in any other).

    Called by ``sprints.subscribers`` inside the schedule / reschedule transaction.
    """
    now = clock.now()
    entries = list(
        SprintEntry.objects.select_for_update().filter(
            Q(outcome=EntryOutcome.OPEN) | Q(sprint_id=item.sprint_id), item=item
        )
    )
    for entry in entries:
        if entry.outcome == EntryOutcome.OPEN and entry.sprint_id != item.sprint_id:
            entry.outcome, entry.outcome_at = EntryOutcome.MOVED, now
            entry.save(update_fields=["outcome", "outcome_at"])
    if item.sprint is None:
        return None
    again = next((e for e in entries if e.sprint_id == item.sprint_id), None)
    if again is not None:  # moved back into a sprint it had left
        again.outcome, again.outcome_at, again.carried_to = EntryOutcome.OPEN, None, None
        again.estimate = item.estimate
        again.save(update_fields=["outcome", "outcome_at", "carried_to", "estimate"])
        return again
    return SprintEntry.objects.create(
        sprint=item.sprint,
        item=item,
        kind=entry_kind(item, item.sprint, today()),
        estimate=item.estimate,
        added_at=now,
        added_by=real_user(actor),
    )
