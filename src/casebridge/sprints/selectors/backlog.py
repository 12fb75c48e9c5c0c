"""Reads of the backlog: which items are ready to plan for a team, ranked, and the proposal.

An item is in a team's backlog when it is ready to plan and not in a sprint:

* it is in a state its workflow leaves from the open group for the active one (derived from the
  definitions: today a bug in ``triaged``, a feature request or an improvement in ``approved``);
* and it belongs to the team: its team is the team, or it has none and its service is owned by
  the team. Items nobody owns (no team, no owning service) appear in every development team's
  backlog until one schedules them.

Everything is loaded in three queries (items, their cases' counts and impact, and the pins), so
a 10k-item backlog is ranked in well under the planner's budget.
"""

from __future__ import annotations

import operator
from collections.abc import Collection
from datetime import datetime
from functools import reduce

from django.db.models import Case as DbCase
from django.db.models import Count, IntegerField, Max, Q, QuerySet, Value, When

from casebridge.accounts.models import Team, TeamKind
from casebridge.cases.models import Case as SupportCase
from casebridge.core import clock
from casebridge.core.actors import Actor
from casebridge.core.errors import ValidationFailed
from casebridge.sprints import planner
from casebridge.sprints.models import BacklogPin, Sprint
from casebridge.sprints.ranking import IMPACT_RANK, Candidate, Pin, Ranked, rank_backlog
from casebridge.sprints.selectors.sprints import (
    current_sprint,
    next_sprint,
    require_internal,
    sprint_loads,
    today,
    unit_short,
)
from casebridge.sprints.selectors.velocity import team_pace
from casebridge.workitems.definitions import WORKFLOWS, ready_states
from casebridge.workitems.models import WorkItem


def ready() -> Q:
    """Ready to plan, from the workflow definitions: an item in a state that its workflow leaves
    from the open group for the active one (``definitions.ready_states``)."""
    return reduce(
        operator.or_,
        (
            Q(category=category, status=status)
            for category in WORKFLOWS
            for status in sorted(ready_states(category))
        ),
    )


FIELDS = (
    "pk",
    "key",
    "category",
    "title",
    "created_at",
    "priority",
    "business_value",
    "time_criticality",
    "risk_reduction",
    "job_size",
    "estimate",
)


def ownership(team: Team) -> Q:
    owned = Q(team=team) | Q(team__isnull=True, service__owner_team=team)
    if team.kind == TeamKind.DEVELOPMENT:
        owned |= Q(team__isnull=True) & (
            Q(service__isnull=True) | Q(service__owner_team__isnull=True)
        )
    return owned


def backlog_items(team: Team) -> QuerySet[WorkItem]:
    """The team's ready, unscheduled items (unordered)."""
    return WorkItem.objects.filter(ready(), ownership(team), sprint__isnull=True)


def in_backlog(team: Team, item: WorkItem) -> bool:
    return backlog_items(team).filter(pk=item.pk).exists()


def _impact() -> Max:
    whens = [When(impact=name, then=Value(rank)) for name, rank in IMPACT_RANK.items()]
    return Max(DbCase(*whens, default=Value(0), output_field=IntegerField()))


def case_impacts(team: Team) -> dict[int, tuple[int, int]]:
    """item id -> (linked cases, highest impact rank), for the backlog's items: one query."""
    rows = (
        SupportCase.objects.filter(work_item__in=backlog_items(team).values("pk"))
        .values("work_item_id")
        .order_by()
        .annotate(n=Count("pk"), top=_impact())
        .values_list("work_item_id", "n", "top")
    )
    return {item_id: (n, top or 0) for item_id, n, top in rows}


def candidates(team: Team) -> list[Candidate]:
    rows = backlog_items(team).order_by().values_list(*FIELDS)
    impacts = case_impacts(team)
    pins = {
        p.item_id: Pin(
            position=p.position,
            by=p.pinned_by.username if p.pinned_by else "casebridge",
            at=p.pinned_at,
            reason=p.reason,
        )
        for p in BacklogPin.objects.filter(team=team).select_related("pinned_by")
    }
    return [
        Candidate(
            key=key,
            category=category,
            title=title,
            created_at=created_at,
            priority=priority,
            impact=impacts.get(pk, (0, 0))[1],
            cases=impacts.get(pk, (0, 0))[0],
            business_value=bv,
            time_criticality=tc,
            risk_reduction=rr,
            job_size=js,
            estimate=estimate,
            pin=pins.get(pk),
        )
        for (
            pk,
            key,
            category,
            title,
            created_at,
            priority,
            bv,
            tc,
            rr,
            js,
            estimate,
        ) in rows
    ]


def backlog_for(viewer: Actor, team: Team, *, now: datetime | None = None) -> list[Ranked]:
    """The team's backlog in order, each with its rank and the reason for its place."""
    require_internal(viewer, "The backlog")
    return rank_backlog(candidates(team), now=now or clock.now())


def _slot(sprint: Sprint, load: int, unit: str) -> planner.Slot:
    return planner.Slot(
        id=sprint.pk, name=sprint.name, capacity=sprint.capacity, load=load, unit=unit
    )


class NoSprintToPlan(ValidationFailed):
    code = "no_sprint"


def plan_target(team: Team, sprint: Sprint | None) -> Sprint:
    """The sprint to plan: the one given (an open, unfinished sprint of the team), else the
    team's next sprint, else its running one (a team that has not created its next sprint yet,
    or started it early, still plans and expedites into the sprint it is in)."""
    target = sprint or next_sprint(team) or current_sprint(team)
    if target is None:
        raise NoSprintToPlan(
            f"{team.name} has no sprint to plan",
            fields={"sprint": f"Create a sprint of {team.name} to plan it."},
        )
    problem = ""
    if target.team_id != team.pk:
        problem = f"{target.name} is a sprint of another team."
    elif target.closed_at is not None:
        problem = f"{target.name} is closed."
    elif target.end < today():
        problem = f"{target.name} has ended."
    if problem:
        raise ValidationFailed("That sprint cannot be planned", fields={"sprint": problem})
    return target


def proposal_for(
    viewer: Actor,
    team: Team,
    *,
    sprint: Sprint | None = None,
    add: Collection[str] = (),
    remove: Collection[str] = (),
    strict: bool = True,
) -> planner.Proposal:
    """The planner's proposal for the team's next sprint (or ``sprint``), with the RTE's edits.

    An edit naming an item that is not in the backlog is refused, or with ``strict=False``
    (a shared planning link that went stale) left out of the proposal's ``added`` / ``removed``.
    """
    require_internal(viewer, "The backlog")
    target = plan_target(team, sprint)
    current = current_sprint(team)
    ranked = backlog_for(viewer, team)
    keys = {r.key for r in ranked}
    add = [k.strip().upper() for k in add if k.strip()]
    remove = [k.strip().upper() for k in remove if k.strip()]
    errors = {
        name: f"Not in the backlog of {team.name}: {', '.join(missing)}."
        for name, wanted in (("add", add), ("remove", remove))
        if (missing := sorted(set(wanted) - keys))
    }
    if errors and strict:
        raise ValidationFailed("Only backlog items can be added or removed", fields=errors)
    ids = [target.pk] + ([current.pk] if current is not None else [])
    loads = sprint_loads(ids)
    unit = unit_short(team)
    return planner.propose(
        ranked,
        sprint=_slot(target, loads[target.pk].points, unit),
        current=_slot(current, loads[current.pk].points, unit) if current else None,
        add=add,
        remove=remove,
        pace=team_pace(team),
    )
