"""The three development workflows, one declarative definition per category."""

from __future__ import annotations

from casebridge.workflows.engine import StateGroup, Workflow
from casebridge.workitems.definitions.bug import BUG
from casebridge.workitems.definitions.feature import FEATURE
from casebridge.workitems.definitions.improvement import IMPROVEMENT
from casebridge.workitems.models import WorkItem

WORKFLOWS: dict[str, Workflow[WorkItem]] = {
    "bug": BUG,
    "feature": FEATURE,
    "improvement": IMPROVEMENT,
}


def workflow_for(category: str) -> Workflow[WorkItem]:
    return WORKFLOWS[category]


def ready_states(category: str) -> frozenset[str]:
    """The states development takes an item of ``category`` from: the open states that a
    transition leaves for the active group (a triaged bug, an approved feature or improvement)."""
    workflow = WORKFLOWS[category]
    active = set(workflow.states_in(StateGroup.ACTIVE))
    opened = set(workflow.states_in(StateGroup.OPEN))
    return frozenset(
        source
        for transition in workflow.transitions
        if transition.targets() & active
        for source in transition.sources & opened
    )
