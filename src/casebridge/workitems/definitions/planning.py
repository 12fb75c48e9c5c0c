"""What sprint planning adds to the three workflows (decision 0004).

* ``reschedule`` moves an item that is already in a sprint to another one without changing its
  status: closing a sprint carries unfinished work over with it, and the RTE can move an item
  by hand. One path sets an item's sprint: the workflow, with its audit event.
* Improvements have no ``scheduled`` state; their ``schedule`` is a stay transition on
  ``approved`` that records the sprint of the implementing team.
* Every sprint change publishes ``WorkItemTransitioned`` with the sprint; its subscriber
  ``sprints.subscribers.sprint_entry_on_transition`` records the item's entry into the sprint
  (the record behind burndown, velocity and carry-over), in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterator

from casebridge.core.actors import SYSTEM_ROLE
from casebridge.core.errors import Reason
from casebridge.workflows.engine import Context, Requirement, Transition
from casebridge.workitems.definitions.common import RTE, Changes
from casebridge.workitems.models import WorkItem


def check_sprint_open(ctx: Context[WorkItem]) -> Iterator[Reason]:
    sprint = ctx.data.get("sprint")
    if sprint is not None and sprint.closed_at is not None:
        yield Reason("sprint_closed", f"{sprint.name} is closed", "sprint")


def check_sprint_of_team(ctx: Context[WorkItem]) -> Iterator[Reason]:
    """An improvement goes into a sprint of the team that implements it."""
    sprint, item = ctx.data.get("sprint"), ctx.subject
    if sprint is None or item.team_id is None or sprint.team_id == item.team_id:
        return
    yield Reason(
        "team",
        f"{item.team} implements this; {sprint.name} is a sprint of {sprint.team}",
        "sprint",
    )


def check_not_in_sprint(ctx: Context[WorkItem]) -> Iterator[Reason]:
    sprint = ctx.subject.sprint
    if sprint is not None:
        yield Reason("in_sprint", f"Already in {sprint.name}: move it instead")


def check_in_sprint(ctx: Context[WorkItem]) -> Iterator[Reason]:
    if ctx.subject.sprint_id is None:
        yield Reason("not_in_sprint", "Not in a sprint yet: schedule it first")


def check_other_sprint(ctx: Context[WorkItem]) -> Iterator[Reason]:
    sprint = ctx.data.get("sprint")
    if sprint is not None and sprint.pk == ctx.subject.sprint_id:
        yield Reason("same_sprint", f"Already in {sprint.name}", "sprint")


def effect_set_sprint(ctx: Context[WorkItem]) -> Changes:
    item: WorkItem = ctx.subject
    old, item.sprint = item.sprint, ctx.data["sprint"]
    old_team, item.team = item.team, item.sprint.team if item.sprint else None
    return {
        "sprint": (old and old.key, item.sprint and item.sprint.key),
        "team": (old_team, item.team),
    }


def schedule_improvement() -> Transition[WorkItem]:
    return Transition(
        "schedule",
        "Schedule",
        frozenset({"approved"}),
        None,
        frozenset({RTE}),
        requires=(Requirement("sprint", "Choose the sprint"),),
        checks=(check_not_in_sprint, check_sprint_open, check_sprint_of_team),
        effect=effect_set_sprint,
        style="primary",
        description="Records the sprint of the implementing team; the status stays approved.",
    )


def reschedule(sources: frozenset[str], *, same_team: bool = False) -> Transition[WorkItem]:
    team_check = (check_sprint_of_team,) if same_team else ()
    return Transition(
        "reschedule",
        "Move to sprint",
        sources,
        None,
        frozenset({RTE, SYSTEM_ROLE}),
        requires=(
            Requirement("sprint", "Choose the sprint"),
            Requirement("reason", "Say why it moves"),
        ),
        checks=(check_in_sprint, check_sprint_open, check_other_sprint, *team_check),
        effect=effect_set_sprint,
        description="Carries unfinished work over, or moves it; the status stays.",
        automatic="when its sprint closes with the item unfinished",
    )
