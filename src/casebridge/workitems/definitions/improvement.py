"""The improvement workflow (PRODUCT §4): the RTE *or* the PM decides; approval names the team."""

from __future__ import annotations

from collections.abc import Iterator

from casebridge.accounts.models import ROLE_LABELS
from casebridge.core.errors import Reason
from casebridge.workflows.engine import (
    Context,
    State,
    StateGroup,
    Transition,
    Workflow,
)
from casebridge.workitems.definitions.common import (
    DEV,
    DEVOPS,
    L2,
    delivery,
    effect_finish,
    transitioned,
)
from casebridge.workitems.definitions.planning import reschedule, schedule_improvement
from casebridge.workitems.definitions.review import (
    AS_ROLE,
    DECIDERS,
    WSJF_FIELDS,
    check_decider,
    check_team,
    defer_and_reconsider,
    effect_decide,
    reject_undecided,
)
from casebridge.workitems.models import INITIAL_STATUS, Category, WorkItem

G = StateGroup


def check_verifier(ctx: Context[WorkItem]) -> Iterator[Reason]:
    """Verified by the proposer or by L2; and only after an independent change review."""
    item = ctx.subject
    proposer = item.created_by_id == ctx.actor.pk
    if not (proposer or ctx.actor.has_role(L2)):
        yield Reason("role", "Only the proposer or an L2 engineer verifies an improvement")
    if item.reviewed_by_id is None:
        yield Reason("not_reviewed", "The change needs an approved review first")


EVERYONE_INTERNAL = frozenset(
    {L2, DEV, DEVOPS, "rte", "product_manager", "qa", "l1_agent", "admin"}
)

IMPROVEMENT = Workflow(
    name="improvement",
    label="Improvement",
    transitioned=transitioned,
    role_labels=ROLE_LABELS,
    initial=INITIAL_STATUS[Category.IMPROVEMENT],
    states=(
        State("proposed", "Proposed", G.OPEN),
        State("under_review", "Under review", G.OPEN),
        State("approved", "Approved", G.OPEN),
        State("deferred", "Deferred", G.OPEN),
        State("in_progress", "In progress", G.ACTIVE),
        State("in_review", "In review", G.ACTIVE),
        State("done", "Done", G.DONE),
        State("rejected", "Rejected", G.REJECTED),
    ),
    transitions=(
        Transition(
            "start_review", "Start review", frozenset({"proposed"}), "under_review", DECIDERS
        ),
        Transition(
            "approve",
            "Approve",
            frozenset({"proposed", "under_review"}),
            "approved",
            DECIDERS,
            checks=(check_decider, check_team),
            effect=effect_decide("approve"),
            style="primary",
            accepts=("team", *WSJF_FIELDS, *AS_ROLE, "reason"),
            description="The RTE or the PM approves and names the implementing team.",
        ),
        reject_undecided(frozenset({"proposed", "under_review"})),
        *defer_and_reconsider(frozenset({"proposed", "under_review"})),
        schedule_improvement(),
        reschedule(frozenset({"approved", "in_progress", "in_review"}), same_team=True),
        *delivery(
            assignable=frozenset({"approved", "in_progress"}),
            startable=frozenset({"approved"}),
            review_target="",
            reviewers=frozenset({DEV, DEVOPS}),
        ),
        Transition(
            "verify",
            "Verify and finish",
            frozenset({"in_review"}),
            "done",
            EVERYONE_INTERNAL,
            checks=(check_verifier,),
            effect=effect_finish,
            style="primary",
        ),
    ),
)
