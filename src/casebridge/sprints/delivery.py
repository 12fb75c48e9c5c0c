"""When a work item counts as delivered for its sprint, derived from the workflow definitions.

An item is *delivered* once it has left development: tested and in release, deployed and
awaiting validation or acceptance, or done. L2's validation in production (bugs) and the PM's
acceptance (features) often come after the sprint; they are not the team's work, so a sprint
counts an item done when it reaches a release state or the done group. An item in the rejected
group was dropped. A reopened bug is back in development: not delivered.
"""

from __future__ import annotations

from functools import cache

from casebridge.workflows.engine import StateGroup
from casebridge.workitems.definitions import WORKFLOWS

RELEASE_STATES = frozenset({"in_release", "awaiting_validation", "awaiting_acceptance"})
#: Stages where someone works on the item (flow efficiency counts these as work, the rest wait).
WORK_STAGES = frozenset({"in_progress", "in_review", "in_testing"})


@cache
def delivered_statuses(category: str) -> frozenset[str]:
    workflow = WORKFLOWS[category]
    names = {s.name for s in workflow.states}
    return frozenset(workflow.states_in(StateGroup.DONE)) | (RELEASE_STATES & names)


@cache
def dropped_statuses(category: str) -> frozenset[str]:
    return frozenset(WORKFLOWS[category].states_in(StateGroup.REJECTED))


def is_delivered(category: str, status: str) -> bool:
    return status in delivered_statuses(category)


@cache
def groups() -> dict[str, dict[str, StateGroup]]:
    """category -> status -> group, for reading status histories."""
    return {c: {s.name: s.group for s in w.states} for c, w in WORKFLOWS.items()}


@cache
def initial_status(category: str) -> str:
    return WORKFLOWS[category].initial
