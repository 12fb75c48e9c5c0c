"""Input and output of /api/v1/sprints, /api/v1/backlog and /api/v1/program-increments."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Schema
from pydantic import Field

from casebridge.core.schemas import BoundedInt, Id, InputSchema


class LoadOut(Schema):
    items: int
    points: int = Field(description="Sum of the estimates, in the team's unit")
    unestimated: int


class SprintOut(Schema):
    id: int
    key: str = Field(description="team-slug/Sprint name")
    team: str
    name: str
    start: date
    end: date
    goal: str
    capacity: int | None
    unit: str = Field(description="points or hours (the team's unit)")
    increment: str | None
    state: str = Field(description="future, current, ended or closed")
    current: bool
    closed_at: datetime | None
    load: LoadOut


class SprintIn(InputSchema):
    team: str = Field(description="Team slug")
    name: str = Field(min_length=1, max_length=120)
    start: date
    end: date
    capacity: BoundedInt | None = Field(
        default=None, ge=0, description="In the team's unit; default: the team's default"
    )
    goal: str = Field(default="", max_length=2000)
    increment: Id | None = Field(default=None, description="Program increment id")


class SprintPatch(InputSchema):
    capacity: BoundedInt | None = Field(default=None, ge=0)
    goal: str | None = Field(default=None, max_length=2000)
    start: date | None = None
    end: date | None = None
    increment: Id | None = Field(default=None, description="Program increment id, or null")


class ChoiceOut(Schema):
    rank: int
    key: str
    title: str
    category: str
    priority: str
    estimate: int | None
    taken: bool
    why: str = Field(description="expedited, added, fits, removed, no_estimate, too_big or blocked")
    reason: str
    target: str | None = Field(description="current or next (the sprint it goes into)")
    expedited: bool
    over_capacity: bool


class SlotOut(Schema):
    id: int
    name: str
    capacity: int | None
    load: int = Field(description="The load in the sprint before this plan")


class ProposalOut(Schema):
    team: str
    unit: str
    sprint: SlotOut
    current: SlotOut | None
    load: int = Field(description="The sprint's load with the plan")
    current_load: int = Field(description="The current sprint's load with the expedited bugs")
    over_capacity: bool
    velocity: float | None = Field(
        description="Points done per sprint on average over the team's last closed sprints"
    )
    velocity_sprints: list[int] = Field(description="Points done in each of those sprints")
    over_velocity: bool = Field(description="The sprint's load exceeds `velocity`")
    empty_reason: str = Field(description="Why nothing would be scheduled (empty otherwise)")
    warnings: list[str]
    added: list[str]
    removed: list[str]
    chosen: list[ChoiceOut]
    left_out: list[ChoiceOut] = Field(description="The first `left_out_limit`, in rank order")
    left_out_count: int


class AcceptIn(InputSchema):
    add: list[str] = Field(default_factory=list, description="Backlog keys to take in by hand")
    remove: list[str] = Field(default_factory=list, description="Proposed keys to leave out")
    expect: list[str] | None = Field(
        default=None,
        description="The keys you were shown; if the proposal differs now, 409 plan_changed",
    )
    over_capacity_ok: bool = Field(
        default=False, description="Confirm additions that take the sprint over capacity"
    )


class AcceptOut(Schema):
    sprint: SprintOut
    scheduled: list[str]
    expedited: list[str]
    expedited_into: int | None
    warnings: list[str]


class CloseIn(InputSchema):
    carry_to: Id | None = Field(
        default=None, description="Sprint id for unfinished work; default: the team's next"
    )


class CloseOut(Schema):
    sprint: SprintOut
    carried_to: int | None
    done: list[str]
    carried_over: list[str]
    dropped: list[str]
    committed_points: int
    committed_done_points: int
    done_points: int


class CardOut(Schema):
    key: str
    title: str
    category: str
    priority: str
    status: str
    estimate: int | None
    assignees: list[str]


class ColumnOut(Schema):
    key: str
    label: str
    points: int
    items: list[CardOut]


class BoardOut(Schema):
    sprint: SprintOut
    count: int
    points: int
    columns: list[ColumnOut]


class DayOut(Schema):
    day: date
    scope: int | None
    done: int | None
    remaining: int | None
    ideal: float


class BurndownOut(Schema):
    sprint: SprintOut
    days: list[DayOut]


class VelocityRowOut(Schema):
    id: int
    name: str
    committed: int
    committed_done: int
    done: int
    carried_over: int
    added: int
    predictability: float | None


class VelocityOut(Schema):
    team: str
    unit: str
    sprints: list[VelocityRowOut]


class BacklogItemOut(Schema):
    rank: int
    key: str
    title: str
    category: str
    priority: str
    estimate: int | None
    wsjf: float | None
    cases: int
    impact: str
    pinned: int | None = Field(description="The position the RTE pinned it at")
    reason: str


class BacklogPageOut(Schema):
    team: str
    unit: str
    count: int
    limit: int
    offset: int
    items: list[BacklogItemOut]


class PinIn(InputSchema):
    position: int = Field(ge=1, le=1_000_000, description="1 = top")
    reason: str = Field(default="", max_length=2000)


class MoveIn(InputSchema):
    offset: int = Field(ge=-10_000, le=10_000, description="Places up (negative) or down")


class UnpinIn(InputSchema):
    reason: str = Field(default="", max_length=2000)


class EstimateIn(InputSchema):
    estimate: int | None = Field(ge=0, le=1000, description="In the team's unit; null clears")


class EstimateOut(Schema):
    key: str
    estimate: int | None


class TeamPlanningOut(Schema):
    team: str
    unit: str
    default_capacity: int | None


class TeamPlanningIn(InputSchema):
    unit: str = Field(description="points or hours")
    default_capacity: BoundedInt | None = Field(default=None, ge=0)


class IncrementOut(Schema):
    id: int
    name: str
    start: date
    end: date
    objectives: str
    sprints: list[str]


class IncrementIn(InputSchema):
    name: str = Field(min_length=1, max_length=120)
    start: date
    end: date
    objectives: str = Field(default="", max_length=5000)
