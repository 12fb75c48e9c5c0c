"""Turning sprints, proposals and boards into the API's output schemas (shared with the CLI)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from casebridge.sprints import charts
from casebridge.sprints.models import Sprint
from casebridge.sprints.planner import Choice, Proposal, Slot
from casebridge.sprints.ranking import IMPACT_NAME, Ranked
from casebridge.sprints.schemas import (
    BacklogItemOut,
    BoardOut,
    BurndownOut,
    CardOut,
    ChoiceOut,
    ColumnOut,
    DayOut,
    LoadOut,
    ProposalOut,
    SlotOut,
    SprintOut,
    VelocityOut,
    VelocityRowOut,
)
from casebridge.sprints.selectors import sprint_loads, sprint_state
from casebridge.sprints.selectors.boards import Board
from casebridge.sprints.selectors.sprints import Load, team_unit


def sprint_out(sprint: Sprint, load: Load | None = None) -> SprintOut:
    load = load or sprint_loads([sprint.pk])[sprint.pk]
    state = sprint_state(sprint)
    return SprintOut(
        id=sprint.pk,
        key=sprint.key,
        team=sprint.team.slug,
        name=sprint.name,
        start=sprint.start,
        end=sprint.end,
        goal=sprint.goal,
        capacity=sprint.capacity,
        unit=team_unit(sprint.team),
        increment=sprint.increment.name if sprint.increment else None,
        state=state,
        current=state == "current",
        closed_at=sprint.closed_at,
        load=LoadOut(items=load.items, points=load.points, unestimated=load.unestimated),
    )


def sprints_out(sprints: Sequence[Sprint]) -> list[SprintOut]:
    loads = sprint_loads([s.pk for s in sprints])
    return [sprint_out(s, loads[s.pk]) for s in sprints]


def choice_out(c: Choice) -> ChoiceOut:
    return ChoiceOut(
        rank=c.rank,
        key=c.key,
        title=c.title,
        category=c.category,
        priority=c.priority,
        estimate=c.estimate,
        taken=c.taken,
        why=c.why.value,
        reason=c.reason,
        target=c.target.value if c.target else None,
        expedited=c.expedited,
        over_capacity=c.over_capacity,
    )


def _slot(s: Slot) -> SlotOut:
    return SlotOut(id=s.id, name=s.name, capacity=s.capacity, load=s.load)


def proposal_out(team: str, unit: str, p: Proposal, left_out_limit: int = 100) -> ProposalOut:
    return ProposalOut(
        team=team,
        unit=unit,
        sprint=_slot(p.sprint),
        current=_slot(p.current) if p.current else None,
        load=p.load,
        current_load=p.current_load,
        over_capacity=p.over_capacity,
        velocity=p.pace.average,
        velocity_sprints=list(p.pace.done),
        over_velocity=p.over_velocity,
        empty_reason=p.empty_reason,
        warnings=list(p.warnings),
        added=list(p.added),
        removed=list(p.removed),
        chosen=[choice_out(c) for c in p.chosen],
        left_out=[choice_out(c) for c in p.left_out[:left_out_limit]],
        left_out_count=len(p.left_out),
    )


def backlog_item_out(r: Ranked) -> BacklogItemOut:
    c = r.item
    return BacklogItemOut(
        rank=r.rank,
        key=c.key,
        title=c.title,
        category=c.category,
        priority=c.priority,
        estimate=c.estimate,
        wsjf=round(float(c.wsjf), 2) if c.wsjf is not None else None,
        cases=c.cases,
        impact=IMPACT_NAME.get(c.impact, ""),
        pinned=c.pin.position if c.pin else None,
        reason=r.reason,
    )


BACKLOG_CSV_HEADER = (
    "rank",
    "key",
    "title",
    "category",
    "priority",
    "estimate",
    "wsjf",
    "cases",
    "impact",
    "pinned",
    "reason",
)


def backlog_csv_rows(ranked: Iterable[Ranked]) -> Iterator[tuple[object, ...]]:
    """The ranked backlog in ``BACKLOG_CSV_HEADER``'s columns (reasons made row by row)."""
    for r in ranked:
        out = backlog_item_out(r)
        yield (
            out.rank,
            out.key,
            out.title,
            out.category,
            out.priority,
            out.estimate,
            out.wsjf,
            out.cases,
            out.impact,
            out.pinned,
            out.reason,
        )


def board_out(board: Board) -> BoardOut:
    return BoardOut(
        sprint=sprint_out(board.sprint),
        count=board.count,
        points=board.points,
        columns=[
            ColumnOut(
                key=col.key,
                label=col.label,
                points=col.points,
                items=[
                    CardOut(
                        key=c.key,
                        title=c.title,
                        category=c.category,
                        priority=c.priority,
                        status=c.status,
                        estimate=c.estimate,
                        assignees=list(c.assignees),
                    )
                    for c in col.cards
                ],
            )
            for col in board.columns
        ],
    )


def burndown_out(sprint: Sprint, chart: charts.Burndown) -> BurndownOut:
    return BurndownOut(
        sprint=sprint_out(sprint),
        days=[
            DayOut(day=d.day, scope=d.scope, done=d.done, remaining=d.remaining, ideal=d.ideal)
            for d in chart.days
        ],
    )


def velocity_out(team: str, unit: str, rows: Iterable[charts.Velocity]) -> VelocityOut:
    return VelocityOut(
        team=team,
        unit=unit,
        sprints=[
            VelocityRowOut(
                id=v.sprint_id,
                name=v.name,
                committed=v.committed,
                committed_done=v.committed_done,
                done=v.done,
                carried_over=v.carried_over,
                added=v.added,
                predictability=v.predictability,
            )
            for v in rows
        ],
    )


VELOCITY_CSV_HEADER = (
    "sprint_id",
    "sprint",
    "committed",
    "committed_done",
    "done",
    "added",
    "carried_over",
    "predictability",
)


def velocity_csv_rows(rows: Iterable[charts.Velocity]) -> Iterator[tuple[object, ...]]:
    """The velocity report in ``VELOCITY_CSV_HEADER``'s columns, oldest sprint first."""
    for v in rows:
        yield (
            v.sprint_id,
            v.name,
            v.committed,
            v.committed_done,
            v.done,
            v.added,
            v.carried_over,
            v.predictability,
        )
