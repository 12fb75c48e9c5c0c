"""The bug workflow (PRODUCT §4): triage by the RTE, sprint, assignment under the ladder
policies, peer review, testing, release and deployment, and L2's validation."""

from __future__ import annotations

from collections.abc import Iterator

from casebridge.accounts.models import ROLE_LABELS
from casebridge.core.errors import Reason
from casebridge.sprints.selectors.sprints import is_current
from casebridge.workflows.engine import (
    Context,
    Requirement,
    State,
    StateGroup,
    Transition,
    Workflow,
)
from casebridge.workitems.definitions.common import (
    L2,
    RTE,
    Changes,
    delivery,
    effect_back_to_work,
    effect_finish,
    testing_and_release,
    transitioned,
)
from casebridge.workitems.definitions.outcomes import (
    check_duplicate_target,
    check_new_category,
    effect_duplicate,
    effect_recategorise,
)
from casebridge.workitems.definitions.planning import check_sprint_open, reschedule
from casebridge.workitems.documentation import RECATEGORISE_DOCS
from casebridge.workitems.models import INITIAL_STATUS, Category, Priority, WorkItem

G = StateGroup


def check_priority(ctx: Context[WorkItem]) -> Iterator[Reason]:
    priority = ctx.data.get("priority")
    if priority and priority not in Priority.values:
        yield Reason("invalid", "Use critical, major or minor", "priority")


def effect_triage(ctx: Context[WorkItem]) -> Changes:
    item: WorkItem = ctx.subject
    before = (item.priority, item.impact)
    item.priority = str(ctx.data["priority"])
    item.impact = str(ctx.data["impact"]).strip()
    return {"priority": (before[0], item.priority), "impact": (before[1], item.impact)}


def check_sprint(ctx: Context[WorkItem]) -> Iterator[Reason]:
    """Critical bugs go to the current sprint."""
    sprint = ctx.data.get("sprint")
    if sprint is None or ctx.preview:
        return
    if ctx.subject.priority == Priority.CRITICAL and not is_current(sprint):
        yield Reason(
            "policy_schedule",
            f"A critical bug goes into the current sprint ({sprint.name} is not current)",
            "sprint",
        )


def effect_schedule(ctx: Context[WorkItem]) -> Changes:
    item: WorkItem = ctx.subject
    old, item.sprint = item.sprint, ctx.data["sprint"]
    old_team, item.team = item.team, item.sprint.team if item.sprint else None
    return {
        "sprint": (old and old.key, item.sprint and item.sprint.key),
        "team": (old_team, item.team),
    }


def effect_reopen(ctx: Context[WorkItem]) -> Changes:
    item: WorkItem = ctx.subject
    item.reopen_count += 1
    changes = dict(effect_back_to_work(ctx))
    changes["reopen_count"] = (item.reopen_count - 1, item.reopen_count)
    return changes


BUG = Workflow(
    name="bug",
    label="Bug",
    transitioned=transitioned,
    role_labels=ROLE_LABELS,
    initial=INITIAL_STATUS[Category.BUG],
    states=(
        State("new", "New", G.OPEN),
        State("needs_info", "Needs information", G.OPEN),
        State("triaged", "Triaged", G.OPEN),
        State("scheduled", "Scheduled", G.ACTIVE),
        State("in_progress", "In progress", G.ACTIVE),
        State("in_review", "In review", G.ACTIVE),
        State("in_testing", "In testing", G.ACTIVE),
        State("in_release", "In release", G.ACTIVE),
        State("awaiting_validation", "Awaiting validation", G.ACTIVE),
        State("reopened", "Reopened", G.ACTIVE),
        State("closed", "Closed", G.DONE),
        State("rejected", "Rejected", G.REJECTED),
        State("duplicate", "Duplicate", G.REJECTED),
    ),
    transitions=(
        Transition(
            "triage",
            "Triage",
            frozenset({"new", "triaged"}),
            "triaged",
            frozenset({RTE}),
            requires=(
                Requirement("priority", "Set the priority: critical, major or minor"),
                Requirement("impact", "Describe the impact"),
            ),
            checks=(check_priority,),
            effect=effect_triage,
            style="primary",
        ),
        Transition(
            "needs_info",
            "Send back to L2",
            frozenset({"new", "triaged"}),
            "needs_info",
            frozenset({RTE}),
            requires=(Requirement("reason", "Ask L2 what is missing"),),
            description="The linked cases return to investigating with the RTE's question.",
        ),
        Transition(
            "provide_info",
            "Provide information",
            frozenset({"needs_info"}),
            "new",
            frozenset({L2}),
            requires=(Requirement("reason", "Answer the RTE's question"),),
        ),
        Transition(
            "reject",
            "Reject (not a bug)",
            frozenset({"new", "triaged", "needs_info"}),
            "rejected",
            frozenset({RTE}),
            requires=(Requirement("reason", "Say why this is not a bug"),),
            effect=effect_finish,
            style="danger",
        ),
        Transition(
            "recategorise",
            "Re-categorise",
            frozenset({"new", "triaged", "needs_info"}),
            "rejected",
            frozenset({RTE}),
            requires=(
                Requirement("category", "Choose the new category: feature or improvement"),
                Requirement("reason", "Say why it is not a bug"),
            ),
            checks=(check_new_category,),
            effect=effect_recategorise,
            accepts=RECATEGORISE_DOCS,
            description="Creates a feature request or improvement with the same cases, "
            "documented as the escalation gate asks for that category.",
        ),
        Transition(
            "mark_duplicate",
            "Duplicate of…",
            frozenset({"new", "triaged", "needs_info"}),
            "duplicate",
            frozenset({RTE}),
            requires=(Requirement("duplicate_of", "Name the work item this duplicates"),),
            checks=(check_duplicate_target,),
            effect=effect_duplicate,
        ),
        Transition(
            "schedule",
            "Schedule",
            frozenset({"triaged"}),
            "scheduled",
            frozenset({RTE}),
            requires=(Requirement("sprint", "Choose the sprint"),),
            checks=(check_sprint, check_sprint_open),
            effect=effect_schedule,
            style="primary",
        ),
        reschedule(frozenset({"scheduled", "in_progress", "in_review", "in_testing", "reopened"})),
        *delivery(
            assignable=frozenset({"scheduled", "in_progress", "reopened"}),
            startable=frozenset({"scheduled", "reopened"}),
            review_target="in_testing",
        ),
        *testing_and_release(deployed_target="awaiting_validation"),
        Transition(
            "validate",
            "Validated in production",
            frozenset({"awaiting_validation"}),
            "closed",
            frozenset({L2}),
            effect=effect_finish,
            style="primary",
            description="L2 confirms the fix where it was deployed; the cases resolve as fixed.",
        ),
        Transition(
            "fail_validation",
            "Validation failed",
            frozenset({"awaiting_validation"}),
            "reopened",
            frozenset({L2}),
            requires=(Requirement("reason", "Say what still fails"),),
            effect=effect_reopen,
            style="danger",
        ),
    ),
)
