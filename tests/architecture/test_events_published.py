"""Each change publishes its domain event, in the change's transaction (``core.events``)."""

from __future__ import annotations

from django.core.files.base import ContentFile

from casebridge.cases.attachments import attachment_add
from casebridge.cases.events import (
    AttachmentAdded,
    CaseCreated,
    CaseEscalated,
    CaseTransitioned,
    CommentAdded,
)
from casebridge.cases.services import case_transition, comment_add
from casebridge.core import events
from casebridge.occurrences.events import LogSourceQueued
from casebridge.workitems.events import WorkItemCreated, WorkItemTransitioned
from casebridge.workitems.services import work_item_transition
from tests import factories

BUG_DOCS = {
    "description": "Checkout fails at the payment step.",
    "steps_to_reproduce": "1. Add to cart 2. Pay by card",
    "expected_result": "The order is paid",
    "actual_result": "HTTP 502",
    "version": "4.2.1",
    "log_excerpt": "2025-03-03 09:00:01 ERROR upstream timed out",
}


def test_a_case_and_its_escalation_publish_their_events(world: factories.World) -> None:
    l2 = world["l2"]
    with events.recorded() as published:
        case = factories.make_case(world)
        comment_add(actor=l2, case=case, body="Looking at it", internal=True)
        attachment_add(actor=l2, case=case, upload=ContentFile(b"ERROR boom\n"), filename="app.log")
        case = case_transition(actor=l2, case=case, action="take")
        case = case_transition(
            actor=l2, case=case, action="escalate", data={"category": "bug", "docs": BUG_DOCS}
        )
    # the occurrences app reacts with its own events (a log queued, the escalation's log lines)
    assert LogSourceQueued in {type(e) for e in published}
    published = [e for e in published if type(e).__module__ != "casebridge.occurrences.events"]
    kinds = [type(e) for e in published]
    assert kinds == [
        CaseCreated,
        CommentAdded,
        AttachmentAdded,
        CaseTransitioned,
        WorkItemCreated,
        CaseEscalated,
        CaseTransitioned,
    ]
    created, comment, attached, take, item, escalated, escalate = published
    assert isinstance(created, CaseCreated) and created.key == case.key
    assert created.organisation_id == world.orgs["a"].pk
    assert isinstance(comment, CommentAdded) and comment.internal and comment.author_id == l2.pk
    assert isinstance(attached, AttachmentAdded) and attached.filename == "app.log"
    assert isinstance(take, CaseTransitioned)
    assert (take.action, take.from_state, take.to_state, take.owner_id) == (
        "take",
        "new",
        "investigating",
        l2.pk,
    )
    assert isinstance(item, WorkItemCreated) and item.category == "bug"
    assert isinstance(escalated, CaseEscalated) and escalated.new_work_item
    assert escalated.work_item_key == item.key == case.work_item.key
    assert escalated.log_excerpt == BUG_DOCS["log_excerpt"]
    assert isinstance(escalate, CaseTransitioned) and escalate.to_state == "escalated"
    assert escalate.work_item_id == item.work_item_id


def test_a_work_item_transition_publishes_one_event(world: factories.World) -> None:
    case = factories.make_case(world)
    case = case_transition(actor=world["l2"], case=case, action="take")
    case = case_transition(
        actor=world["l2"], case=case, action="escalate", data={"category": "bug", "docs": BUG_DOCS}
    )
    item = case.work_item
    assert item is not None
    with events.recorded() as published:
        work_item_transition(
            actor=world["rte"], item=item, action="needs_info", data={"reason": "Which card?"}
        )
    transitioned = [e for e in published if isinstance(e, WorkItemTransitioned)]
    assert len(transitioned) == 1
    event = transitioned[0]
    assert (event.key, event.action, event.from_state, event.reason) == (
        item.key,
        "needs_info",
        "new",
        "Which card?",
    )
    assert event.actor_id == world["rte"].pk and not event.sprint_given
    # the case follows in the same change: it returns to L2 (its own transition event)
    assert any(isinstance(e, CaseTransitioned) and e.action == "return_to_l2" for e in published)
