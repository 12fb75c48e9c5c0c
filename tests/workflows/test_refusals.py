"""Refusals read well: every reason once, and an action Casebridge performs by itself is
explained as automatic (and when), never as "needs the role: Casebridge (automatic)"."""

from __future__ import annotations

import pytest

from casebridge.cases.services import case_transition
from casebridge.cases.workflow import CASE_WORKFLOW
from casebridge.core.errors import Reason, TransitionRefused
from casebridge.incidents.models import Incident
from casebridge.incidents.services import Declaration, incident_declare, incident_transition
from casebridge.workflows.engine import (
    Context,
    Requirement,
    State,
    StateGroup,
    Transition,
    Workflow,
    distinct,
)
from casebridge.workflows.render import workflows_markdown
from casebridge.workitems.definitions import WORKFLOWS
from casebridge.workitems.services import work_item_create
from tests import factories


def test_distinct_keeps_each_reason_once_and_the_clearer_of_two_for_one_field() -> None:
    short = Reason("required", "Name who leads the review", "review_lead")
    clear = Reason("required", "Name who leads the post-incident review", "review_lead")
    other = Reason("required", "Give a title", "title")
    policy = Reason("policy_7", "A review is led by an L3+ developer", "review_lead")
    item = Reason("action_item", "Action item 'a' has no owner", "action_items")
    item_b = Reason("action_item", "Action item 'b' has no owner", "action_items")
    kept = distinct([short, other, clear, policy, item, item, item_b])
    assert kept == [clear, other, policy, item, item_b]


def _two_requirement_workflow() -> Workflow:
    def check(ctx: Context) -> list[Reason]:
        if not ctx.preview and not ctx.data.get("lead"):
            return [Reason("required", "Name who leads the post-incident review", "lead")]
        return []

    return Workflow(
        name="toy2",
        label="Toy",
        initial="a",
        status_field="state",
        states=(State("new", "New", StateGroup.OPEN), State("a", "A", StateGroup.OPEN)),
        transitions=(
            Transition(
                "go",
                "Go",
                frozenset({"new"}),
                "a",
                frozenset({"l2_engineer"}),
                requires=(Requirement("lead", "Name who leads"),),
                checks=(check,),
            ),
        ),
    )


@pytest.mark.django_db
def test_the_engine_never_repeats_a_reason(world: factories.World) -> None:
    flow = _two_requirement_workflow()
    case = factories.make_case(world)
    reasons = flow.evaluate(flow.transitions[0], Context(world["l2"], case, {}))
    assert [r.message for r in reasons] == ["Name who leads the post-incident review"]


@pytest.mark.django_db
def test_starting_a_review_without_a_lead_gives_one_reason(world: factories.World) -> None:
    """Issue 10: "Name who leads the review; Name who leads the post-incident review"."""
    incident = incident_declare(
        actor=world["l2"],
        data=Declaration(
            title="Card payments fail",
            severity="sev2",
            lead=world["dev3"],
            case=factories.make_case(world),
        ),
    )
    incident = incident_transition(
        actor=world["dev3"], incident=incident, action="resolve", data={"note": "Pool resized"}
    )
    with pytest.raises(TransitionRefused) as refused:
        incident_transition(
            actor=world["dev3"],
            incident=Incident.objects.get(pk=incident.pk),
            action="start_review",
            data={},
        )
    messages = [r.message for r in refused.value.reasons]
    assert messages == ["Name who leads the post-incident review"]
    assert refused.value.fields == {"review_lead": "Name who leads the post-incident review"}
    with pytest.raises(TransitionRefused) as no_lead:
        incident_transition(
            actor=world["dev3"],
            incident=Incident.objects.get(pk=incident.pk),
            action="assign_lead",
            data={},
        )
    assert [r.message for r in no_lead.value.reasons] == ["Name the new lead"]


@pytest.mark.django_db
def test_an_automatic_action_is_explained_as_automatic(world: factories.World) -> None:
    """Issue 10: "Move to sprint needs the role: Casebridge (automatic)"."""
    item = work_item_create(actor=world["l2"], category="bug", title="Checkout 502", docs={})
    bug = WORKFLOWS["bug"]
    reschedule = bug.transition("reschedule")
    assert reschedule is not None
    message = bug.role_reason(reschedule).message
    assert message.startswith("Move to sprint needs the role: Release train engineer")
    assert "automatically, when its sprint closes" in message
    assert "Casebridge" not in message
    case = case_transition(actor=world["l2"], case=factories.make_case(world), action="take")
    with pytest.raises(TransitionRefused) as refused:
        case_transition(actor=world["l2"], case=case, action="resume_escalation")
    text = " ".join(r.message for r in refused.value.reasons)
    assert "happens automatically, when L2 gives development the information" in text
    assert "needs the role" not in text and "Casebridge" not in text
    assert item.status == "new"


def test_no_definition_speaks_of_a_casebridge_role() -> None:
    from casebridge.incidents.workflow import INCIDENT_WORKFLOW

    docs = workflows_markdown({"case": CASE_WORKFLOW, **WORKFLOWS, "incident": INCIDENT_WORKFLOW})
    assert "Casebridge (automatic)" not in docs
    assert "| automatically, when its work item is validated and closed |" in docs
    for flow in (CASE_WORKFLOW, *WORKFLOWS.values(), INCIDENT_WORKFLOW):
        for t in flow.transitions:
            assert "Casebridge" not in flow.role_reason(t).message, (flow.name, t.action)
