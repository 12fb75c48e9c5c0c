"""/api/v1/sprints, /api/v1/backlog and /api/v1/program-increments.

Planning is internal: customers and partners get empty lists and 404s. Writes check roles in
the services (the RTE plans, pins, accepts and closes; the team estimates).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponseBase
from ninja import Query, Router, Schema, Status
from pydantic import Field

from casebridge.core.actors import Actor
from casebridge.core.csvexport import CSV_OPENAPI, ExportFormat, csv_response
from casebridge.core.errors import NotFound, ValidationFailed
from casebridge.core.http import ApiRequest
from casebridge.core.schemas import ERRORS, WRITE_ERRORS, Id, Offset
from casebridge.sprints import selectors, serializers, services
from casebridge.sprints.models import ProgramIncrement
from casebridge.sprints.schemas import (
    AcceptIn,
    AcceptOut,
    BacklogPageOut,
    BoardOut,
    BurndownOut,
    CloseIn,
    CloseOut,
    EstimateIn,
    EstimateOut,
    IncrementIn,
    IncrementOut,
    MoveIn,
    PinIn,
    ProposalOut,
    SprintIn,
    SprintOut,
    SprintPatch,
    TeamPlanningIn,
    TeamPlanningOut,
    UnpinIn,
    VelocityOut,
)
from casebridge.sprints.selectors.backlog import backlog_for, proposal_for
from casebridge.sprints.selectors.boards import board_for, burndown_for
from casebridge.sprints.selectors.sprints import require_internal, team_unit
from casebridge.sprints.selectors.velocity import velocity_for
from casebridge.workitems.selectors import work_item_get_for

router = Router(tags=["sprints"])
backlog_router = Router(tags=["backlog"])
increments_router = Router(tags=["program-increments"])


class SprintQuery(Schema):
    team: str = Field(default="", description="Team slug")
    state: str = Field(default="", description="current, next, future, open or closed")
    limit: int = Field(default=100, ge=1, le=500)


class VelocityQuery(Schema):
    team: str = Field(description="Team slug")
    last: int = Field(default=6, ge=1, le=50, description="How many closed sprints")
    format: ExportFormat = Field(default="json", description="csv: one sprint a row")


class PageQuery(Schema):
    limit: int = Field(default=100, ge=1, le=1000)
    offset: Offset = 0


class BacklogQuery(PageQuery):
    format: ExportFormat = Field(
        default="json", description="csv: the whole backlog (no paging), streamed"
    )


class EditsQuery(Schema):
    add: list[str] = Field(default_factory=list, description="Keys to take in by hand")
    remove: list[str] = Field(default_factory=list, description="Keys to leave out")
    left_out_limit: int = Field(default=100, ge=0, le=10_000)


def _increment(viewer: Actor, increment_id: int | None) -> ProgramIncrement | None:
    if increment_id is None:
        return None
    try:
        return selectors.increment_get_for(viewer, increment_id)
    except NotFound as exc:
        raise ValidationFailed(
            "Unknown program increment", fields={"increment": f"No increment {increment_id}."}
        ) from exc


@router.get("", response={200: list[SprintOut], **ERRORS}, summary="List sprints")
def list_sprints(request: ApiRequest, query: Query[SprintQuery]) -> list[SprintOut]:
    sprints = selectors.sprint_list_for(request.auth, team=query.team, state=query.state)
    return serializers.sprints_out(list(sprints[: query.limit]))


@router.post("", response={201: SprintOut, **WRITE_ERRORS}, summary="Create a sprint (RTE)")
def create_sprint(request: ApiRequest, body: SprintIn) -> Status[SprintOut]:
    team = selectors.team_get_for(request.auth, body.team)
    sprint = services.sprint_create(
        actor=request.auth,
        team=team,
        name=body.name,
        start=body.start,
        end=body.end,
        capacity=body.capacity,
        goal=body.goal,
        increment=_increment(request.auth, body.increment),
    )
    return Status(201, serializers.sprint_out(sprint))


@router.get(
    "/velocity",
    response={200: VelocityOut, **ERRORS},
    summary="A team's velocity",
    openapi_extra=CSV_OPENAPI,
)
def velocity(request: ApiRequest, query: Query[VelocityQuery]) -> VelocityOut | HttpResponseBase:
    found = selectors.team_get_for(request.auth, query.team)
    rows = velocity_for(request.auth, found, last=query.last)
    if query.format == "csv":
        csv_rows = serializers.velocity_csv_rows(rows)
        return csv_response(f"velocity-{found.slug}", serializers.VELOCITY_CSV_HEADER, csv_rows)
    return serializers.velocity_out(found.slug, team_unit(found), rows)


@router.get("/{sprint_id}", response={200: SprintOut, **ERRORS}, summary="One sprint")
def get_sprint(request: ApiRequest, sprint_id: Id) -> SprintOut:
    return serializers.sprint_out(selectors.sprint_get_for(request.auth, sprint_id))


@router.patch(
    "/{sprint_id}", response={200: SprintOut, **WRITE_ERRORS}, summary="Change capacity, goal, …"
)
def update_sprint(request: ApiRequest, sprint_id: Id, body: SprintPatch) -> SprintOut:
    sprint = selectors.sprint_get_for(request.auth, sprint_id)
    given: dict[str, Any] = {name: getattr(body, name) for name in body.model_fields_set}
    if "increment" in given:
        given["increment"] = _increment(request.auth, given["increment"])
    sprint = services.sprint_update(actor=request.auth, sprint=sprint, **given)
    return serializers.sprint_out(sprint)


@router.get(
    "/{sprint_id}/proposal",
    response={200: ProposalOut, **ERRORS},
    summary="The planner's proposal for this sprint, with reasons",
)
def sprint_proposal(request: ApiRequest, sprint_id: Id, edits: Query[EditsQuery]) -> ProposalOut:
    sprint = selectors.sprint_get_for(request.auth, sprint_id)
    proposal = proposal_for(
        request.auth, sprint.team, sprint=sprint, add=edits.add, remove=edits.remove
    )
    unit = team_unit(sprint.team)
    return serializers.proposal_out(sprint.team.slug, unit, proposal, edits.left_out_limit)


@router.post(
    "/{sprint_id}/accept",
    response={200: AcceptOut, **WRITE_ERRORS},
    summary="Accept the proposal (with edits): schedules every item through its workflow",
)
def accept(request: ApiRequest, sprint_id: Id, body: AcceptIn) -> AcceptOut:
    sprint = selectors.sprint_get_for(request.auth, sprint_id)
    done = services.sprint_plan_accept(
        actor=request.auth,
        team=sprint.team,
        sprint=sprint,
        add=body.add,
        remove=body.remove,
        expect=body.expect,
        over_capacity_ok=body.over_capacity_ok,
    )
    return AcceptOut(
        sprint=serializers.sprint_out(done.sprint),
        scheduled=done.scheduled,
        expedited=done.expedited,
        expedited_into=done.current.pk if done.current and done.expedited else None,
        warnings=list(done.proposal.warnings),
    )


@router.post(
    "/{sprint_id}/start",
    response={200: SprintOut, **WRITE_ERRORS},
    summary="Start a future sprint today (RTE); refused while another sprint of the team runs",
)
def start(request: ApiRequest, sprint_id: Id) -> SprintOut:
    sprint = selectors.sprint_get_for(request.auth, sprint_id)
    return serializers.sprint_out(services.sprint_start(actor=request.auth, sprint=sprint))


@router.post(
    "/{sprint_id}/close",
    response={200: CloseOut, **WRITE_ERRORS},
    summary="Close the sprint; unfinished items carry over (recorded)",
)
def close(request: ApiRequest, sprint_id: Id, body: CloseIn) -> CloseOut:
    sprint = selectors.sprint_get_for(request.auth, sprint_id)
    carry_to = selectors.sprint_get_for(request.auth, body.carry_to) if body.carry_to else None
    done = services.sprint_close(actor=request.auth, sprint=sprint, carry_to=carry_to)
    return CloseOut(
        sprint=serializers.sprint_out(done.sprint),
        carried_to=done.carried_to.pk if done.carried_to else None,
        done=done.done,
        carried_over=done.carried_over,
        dropped=done.dropped,
        committed_points=done.committed_points,
        committed_done_points=done.committed_done_points,
        done_points=done.done_points,
    )


@router.get("/{sprint_id}/board", response={200: BoardOut, **ERRORS}, summary="Sprint board")
def board(request: ApiRequest, sprint_id: Id) -> BoardOut:
    sprint = selectors.sprint_get_for(request.auth, sprint_id)
    return serializers.board_out(board_for(request.auth, sprint))


@router.get(
    "/{sprint_id}/burndown", response={200: BurndownOut, **ERRORS}, summary="Burndown and burnup"
)
def burndown(request: ApiRequest, sprint_id: Id) -> BurndownOut:
    sprint = selectors.sprint_get_for(request.auth, sprint_id)
    return serializers.burndown_out(sprint, burndown_for(request.auth, sprint))


@router.get("/teams/{team}", response={200: TeamPlanningOut, **ERRORS}, summary="How a team plans")
def team_planning(request: ApiRequest, team: str) -> TeamPlanningOut:
    found = selectors.team_get_for(request.auth, team)
    planning = getattr(found, "planning", None)
    return TeamPlanningOut(
        team=found.slug,
        unit=team_unit(found),
        default_capacity=planning.default_capacity if planning else None,
    )


@router.put(
    "/teams/{team}",
    response={200: TeamPlanningOut, **WRITE_ERRORS},
    summary="Set a team's unit (points or hours) and default capacity (RTE)",
)
def set_team_planning(request: ApiRequest, team: str, body: TeamPlanningIn) -> TeamPlanningOut:
    found = selectors.team_get_for(request.auth, team)
    planning = services.team_capacity_set(
        actor=request.auth, team=found, unit=body.unit, default_capacity=body.default_capacity
    )
    return TeamPlanningOut(
        team=found.slug, unit=planning.unit, default_capacity=planning.default_capacity
    )


# --- the backlog ---------------------------------------------------------------------------


@backlog_router.get(
    "/{team}",
    response={200: BacklogPageOut, **ERRORS},
    summary="A team's backlog, ranked",
    openapi_extra=CSV_OPENAPI,
)
def backlog(
    request: ApiRequest, team: str, page: Query[BacklogQuery]
) -> BacklogPageOut | HttpResponseBase:
    if page.format == "csv":
        found = selectors.team_get_for(request.auth, team)
        rows = serializers.backlog_csv_rows(backlog_for(request.auth, found))
        return csv_response(f"backlog-{found.slug}", serializers.BACKLOG_CSV_HEADER, rows)
    return _backlog_page(request, team, page.limit, page.offset)


def _backlog_page(request: ApiRequest, team: str, limit: int, offset: int) -> BacklogPageOut:
    found = selectors.team_get_for(request.auth, team)
    ranked = backlog_for(request.auth, found)
    return BacklogPageOut(
        team=found.slug,
        unit=team_unit(found),
        count=len(ranked),
        limit=limit,
        offset=offset,
        items=[serializers.backlog_item_out(r) for r in ranked[offset : offset + limit]],
    )


@backlog_router.get(
    "/{team}/proposal",
    response={200: ProposalOut, **ERRORS},
    summary="The planner's proposal for the team's next sprint, with reasons",
)
def proposal(request: ApiRequest, team: str, edits: Query[EditsQuery]) -> ProposalOut:
    found = selectors.team_get_for(request.auth, team)
    p = proposal_for(request.auth, found, add=edits.add, remove=edits.remove)
    return serializers.proposal_out(found.slug, team_unit(found), p, edits.left_out_limit)


@backlog_router.post(
    "/{team}/items/{key}/pin",
    response={200: BacklogPageOut, **WRITE_ERRORS},
    summary="Pin an item at a position (RTE; recorded)",
)
def pin(request: ApiRequest, team: str, key: str, body: PinIn) -> BacklogPageOut:
    found = selectors.team_get_for(request.auth, team)
    item = work_item_get_for(request.auth, key)
    services.backlog_pin(
        actor=request.auth, team=found, item=item, position=body.position, reason=body.reason
    )
    return _backlog_page(request, team, 100, 0)


@backlog_router.post(
    "/{team}/items/{key}/move",
    response={200: BacklogPageOut, **WRITE_ERRORS},
    summary="Move an item up (negative offset) or down; pins it there (RTE)",
)
def move(request: ApiRequest, team: str, key: str, body: MoveIn) -> BacklogPageOut:
    found = selectors.team_get_for(request.auth, team)
    item = work_item_get_for(request.auth, key)
    services.backlog_move(actor=request.auth, team=found, item=item, offset=body.offset)
    return _backlog_page(request, team, 100, 0)


@backlog_router.post(
    "/{team}/items/{key}/unpin",
    response={200: BacklogPageOut, **WRITE_ERRORS},
    summary="Return an item to its natural place (RTE; recorded)",
)
def unpin(request: ApiRequest, team: str, key: str, body: UnpinIn) -> BacklogPageOut:
    selectors.team_get_for(request.auth, team)
    item = work_item_get_for(request.auth, key)
    services.backlog_unpin(actor=request.auth, item=item, reason=body.reason)
    return _backlog_page(request, team, 100, 0)


@backlog_router.post(
    "/items/{key}/estimate",
    response={200: EstimateOut, **WRITE_ERRORS},
    summary="Estimate a work item in its team's unit (RTE, developers, DevOps)",
)
def estimate(request: ApiRequest, key: str, body: EstimateIn) -> EstimateOut:
    item = work_item_get_for(request.auth, key)
    item = services.backlog_estimate(actor=request.auth, item=item, estimate=body.estimate)
    return EstimateOut(key=item.key, estimate=item.estimate)


# --- program increments --------------------------------------------------------------------


def increment_out(increment: ProgramIncrement) -> IncrementOut:
    return IncrementOut(
        id=increment.pk,
        name=increment.name,
        start=increment.start,
        end=increment.end,
        objectives=increment.objectives,
        sprints=[s.key for s in increment.sprints.all()],
    )


@increments_router.get("", response={200: list[IncrementOut], **ERRORS}, summary="List PIs")
def list_increments(request: ApiRequest) -> list[IncrementOut]:
    return [increment_out(i) for i in selectors.increment_list_for(request.auth)]


@increments_router.post(
    "", response={201: IncrementOut, **WRITE_ERRORS}, summary="Create a program increment (RTE)"
)
def create_increment(request: ApiRequest, body: IncrementIn) -> Status[IncrementOut]:
    require_internal(request.auth, "The resource")
    increment = services.increment_create(
        actor=request.auth,
        name=body.name,
        start=body.start,
        end=body.end,
        objectives=body.objectives,
    )
    return Status(201, increment_out(selectors.increment_get_for(request.auth, increment.pk)))
