"""The feature request workflow (PRODUCT §4): the PM *and* the RTE decide; WSJF on approval."""

from __future__ import annotations

from casebridge.accounts.models import ROLE_LABELS
from casebridge.workflows.engine import Requirement, State, StateGroup, Transition, Workflow
from casebridge.workitems.definitions.bug import check_sprint, effect_schedule
from casebridge.workitems.definitions.common import (
    L2,
    PM,
    RTE,
    delivery,
    effect_finish,
    testing_and_release,
    transitioned,
)
from casebridge.workitems.definitions.planning import check_sprint_open, reschedule
from casebridge.workitems.definitions.review import (
    AS_ROLE,
    DECIDERS,
    WSJF_FIELDS,
    check_decider,
    check_wsjf,
    defer_and_reconsider,
    effect_decide,
    reject_undecided,
    route_both_approve,
)
from casebridge.workitems.models import INITIAL_STATUS, Category

G = StateGroup

FEATURE = Workflow(
    name="feature",
    label="Feature request",
    transitioned=transitioned,
    role_labels=ROLE_LABELS,
    initial=INITIAL_STATUS[Category.FEATURE],
    states=(
        State("submitted", "Submitted", G.OPEN),
        State("under_review", "Under review", G.OPEN),
        State("approved", "Approved", G.OPEN),
        State("deferred", "Deferred", G.OPEN),
        State("scheduled", "Scheduled", G.ACTIVE),
        State("in_progress", "In progress", G.ACTIVE),
        State("in_review", "In review", G.ACTIVE),
        State("in_testing", "In testing", G.ACTIVE),
        State("in_release", "In release", G.ACTIVE),
        State("awaiting_acceptance", "Awaiting acceptance", G.ACTIVE),
        State("done", "Done", G.DONE),
        State("rejected", "Rejected", G.REJECTED),
    ),
    transitions=(
        Transition(
            "start_review",
            "Start review",
            frozenset({"submitted"}),
            "under_review",
            DECIDERS,
        ),
        Transition(
            "approve",
            "Approve",
            frozenset({"submitted", "under_review"}),
            None,
            DECIDERS,
            checks=(check_decider, check_wsjf),
            effect=effect_decide("approve"),
            route=route_both_approve,
            routes=frozenset({"under_review", "approved"}),
            style="primary",
            accepts=(*WSJF_FIELDS, *AS_ROLE, "reason"),
            description="Both the PM and the RTE must approve; WSJF inputs are required.",
        ),
        reject_undecided(
            frozenset({"submitted", "under_review"}),
            description="Any rejection rejects; the linked cases are told why.",
        ),
        *defer_and_reconsider(frozenset({"submitted", "under_review"})),
        Transition(
            "schedule",
            "Schedule",
            frozenset({"approved"}),
            "scheduled",
            frozenset({RTE}),
            requires=(Requirement("sprint", "Choose the sprint"),),
            checks=(check_sprint, check_sprint_open),
            effect=effect_schedule,
            style="primary",
        ),
        reschedule(frozenset({"scheduled", "in_progress", "in_review", "in_testing"})),
        *delivery(
            assignable=frozenset({"approved", "scheduled", "in_progress"}),
            startable=frozenset({"scheduled"}),
            review_target="in_testing",
        ),
        *testing_and_release(deployed_target="awaiting_acceptance"),
        Transition(
            "accept",
            "Accept",
            frozenset({"awaiting_acceptance"}),
            "done",
            frozenset({PM, L2}),
            effect=effect_finish,
            style="primary",
        ),
    ),
)
