"""The generic workflow engine, on a small workflow of its own over the Case table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest

from casebridge.audit.models import AuditEvent
from casebridge.cases.models import Case
from casebridge.core.actors import SYSTEM
from casebridge.core.errors import Reason, TransitionRefused
from casebridge.integrations.models import OutboxMessage
from casebridge.workflows.engine import (
    Context,
    Requirement,
    State,
    StateGroup,
    Transition,
    Workflow,
    apply_transition,
    is_blank,
)
from tests import factories
from tests.contract.support import snapshot

G = StateGroup
STATES = (
    State("new", "New", G.OPEN),
    State("investigating", "Investigating", G.ACTIVE),
    State("waiting_on_reporter", "Waiting", G.ACTIVE),
)


def no_friday(ctx: Context) -> Iterator[Reason]:
    if ctx.data.get("day") == "friday":
        yield Reason("policy", "No changes on a Friday", "day")


def effect_title(ctx: Context) -> dict[str, tuple[object, object]]:
    case: Case = ctx.subject
    old, case.title = case.title, str(ctx.data.get("title") or case.title)
    return {"title": (old, case.title)}


def route_by_answer(ctx: Context) -> str:
    return "waiting_on_reporter" if ctx.data.get("ask") else "investigating"


def make_workflow(**overrides: Any) -> Workflow:
    values: dict[str, Any] = {
        "name": "toy",
        "label": "Toy",
        "initial": "new",
        "status_field": "state",
        "role_labels": {"l2_engineer": "L2 engineer"},
        "states": STATES,
        "transitions": (
            Transition(
                "start",
                "Start",
                frozenset({"new"}),
                "investigating",
                frozenset({"l2_engineer"}),
                requires=(Requirement("title", "Give a title"),),
                checks=(no_friday,),
                effect=effect_title,
                public=True,
            ),
            Transition(
                "rename",
                "Rename",
                frozenset({"new", "investigating"}),
                None,
                frozenset({"l2_engineer"}),
                effect=effect_title,
            ),
            Transition(
                "decide",
                "Decide",
                frozenset({"investigating"}),
                None,
                frozenset({"l2_engineer", "system"}),
                route=route_by_answer,
                routes=frozenset({"investigating", "waiting_on_reporter"}),
                automatic="when the reporter answers",
            ),
        ),
    }
    return Workflow(**{**values, **overrides})


TOY = make_workflow()


def apply(actor: Any, case: Case, action: str, **data: Any) -> Case:
    result = apply_transition(
        workflow=TOY, subject=case, actor=actor, action=action, data=data, reason="because"
    )
    assert isinstance(result, Case)
    return result


# --- definitions ----------------------------------------------------------------------------------


def test_a_definition_is_checked_when_it_is_made() -> None:
    with pytest.raises(AssertionError, match="initial"):
        make_workflow(initial="limbo")
    start = TOY.transitions[0]
    with pytest.raises(AssertionError, match="duplicate"):
        make_workflow(transitions=(start, start))
    with pytest.raises(AssertionError, match="unknown states"):
        make_workflow(
            transitions=(Transition("x", "X", frozenset({"new"}), "nowhere", frozenset()),)
        )
    with pytest.raises(AssertionError, match="route"):
        make_workflow(
            transitions=(
                Transition("x", "X", frozenset({"new"}), None, frozenset(), route=route_by_answer),
            )
        )


def test_states_belong_to_groups() -> None:
    assert TOY.group_of("new") == G.OPEN
    assert TOY.states_in(G.ACTIVE) == ["investigating", "waiting_on_reporter"]
    assert TOY.states_in(G.DONE, G.REJECTED) == []
    assert TOY.transition("decide") is not None and TOY.transition("fly") is None
    assert TOY.transition("decide").targets() == {"investigating", "waiting_on_reporter"}  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("value", "blank"),
    [(None, True), ("", True), ([], True), ({}, True), ((), True), (0, False), ("x", False)],
)
def test_blank_values(value: object, blank: bool) -> None:
    assert is_blank(value) is blank


# --- evaluation -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_reason_is_collected_at_once(world: factories.World) -> None:
    case = apply(world["l2"], factories.make_case(world), "start", title="Checkout 502")
    ctx = Context(actor=world["dev3"], subject=case, data={"day": "friday"})
    reasons = TOY.evaluate(TOY.transitions[0], ctx)
    assert [(r.code, r.field) for r in reasons] == [
        ("state", "action"),
        ("role", None),
        ("required", "title"),
        ("policy", "day"),
    ]
    assert "needs the role: L2 engineer" in reasons[1].message
    assert "'Investigating'" in reasons[0].message


@pytest.mark.django_db
def test_a_preview_asks_for_no_input(world: factories.World) -> None:
    case = factories.make_case(world)
    options = {o.transition.action: o for o in TOY.options_for(world["l2"], case)}
    assert set(options) == {"start", "rename"}  # only what leaves the current state
    assert options["start"].allowed
    assert TOY.allowed_actions(world["l2"], case) == ["start", "rename"]
    assert TOY.allowed_actions(world["l1"], case) == []
    refused = {o.transition.action: o for o in TOY.options_for(world["l1"], case)}
    assert [r.code for r in refused["start"].reasons] == ["role"]


# --- applying -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_transition_saves_audits_and_announces_in_one_go(world: factories.World) -> None:
    case = factories.make_case(world)
    case = apply(world["l2"], case, "start", title="Checkout 502 on card payments")
    stored = Case.objects.get(pk=case.pk)
    assert (stored.state, stored.title) == ("investigating", "Checkout 502 on card payments")
    events = AuditEvent.objects.filter(subject_key=case.key, action="start").order_by("id")
    assert [(e.field, e.old, e.new, e.public, e.reason) for e in events] == [
        ("state", "new", "investigating", True, "because"),
        ("title", "Checkout fails with 502 for card payments", stored.title, False, ""),
    ]
    assert events[0].data == {"transition": True}
    message = OutboxMessage.objects.get(topic="case.transitioned", key=case.key)
    assert message.payload == {
        "key": case.key,
        "action": "start",
        "from": "new",
        "to": "investigating",
        "actor": "l2",
        "audit_event": events[1].pk,  # the change's last audit event (core.tracing)
    }


@pytest.mark.django_db
def test_a_refusal_writes_nothing(world: factories.World) -> None:
    case = factories.make_case(world)
    before = (snapshot(), list(Case.objects.values()))
    with pytest.raises(TransitionRefused) as refused:
        apply(world["l1"], case, "start", day="friday")
    assert [r.code for r in refused.value.reasons] == ["role", "required", "policy"]
    assert refused.value.status == 409
    assert (snapshot(), list(Case.objects.values())) == before
    with pytest.raises(TransitionRefused) as unknown:
        apply(world["l2"], case, "fly")
    assert unknown.value.reasons[0].code == "unknown_action"
    assert "start, rename, decide" in unknown.value.reasons[0].message


@pytest.mark.django_db
def test_a_failing_effect_rolls_the_whole_change_back(world: factories.World) -> None:
    case = factories.make_case(world)
    before = (snapshot(), list(Case.objects.values()))
    with (
        # the transition's audit events (``audit_transition``) fail to be written
        mock.patch("casebridge.audit.services.rows_insert_returning", side_effect=OSError),
        pytest.raises(OSError),
    ):
        apply(world["l2"], case, "start", title="Checkout 502")
    assert (snapshot(), list(Case.objects.values())) == before


@pytest.mark.django_db
def test_rules_are_evaluated_on_the_fresh_row_not_the_callers_copy(
    world: factories.World,
) -> None:
    stale = factories.make_case(world)
    apply(world["l2"], Case.objects.get(pk=stale.pk), "start", title="Checkout 502")
    assert stale.state == "new"
    with pytest.raises(TransitionRefused) as refused:
        apply(world["l2"], stale, "start", title="Again")
    assert [r.code for r in refused.value.reasons] == ["state"]


@pytest.mark.django_db
def test_an_action_without_target_keeps_the_status(world: factories.World) -> None:
    case = factories.make_case(world)
    case = apply(world["l2"], case, "rename", title="Card payments fail")
    stored = Case.objects.get(pk=case.pk)
    assert (stored.state, stored.title) == ("new", "Card payments fail")
    fields = AuditEvent.objects.filter(subject_key=case.key, action="rename")
    assert ("title", "Card payments fail") in {(e.field, e.new) for e in fields}


@pytest.mark.django_db
def test_a_route_picks_the_target_at_run_time(world: factories.World) -> None:
    case = apply(world["l2"], factories.make_case(world), "start", title="Checkout 502")
    assert apply(SYSTEM, case, "decide", ask=True).state == "waiting_on_reporter"
    event = AuditEvent.objects.get(subject_key=case.key, action="decide")
    assert (event.old, event.new, event.actor) == ("investigating", "waiting_on_reporter", None)


@pytest.mark.django_db
def test_extra_reasons_join_and_replace_a_plain_required(world: factories.World) -> None:
    case = factories.make_case(world)
    extra = [Reason("not_found", "No such title template 'T-9'", "title")]
    with pytest.raises(TransitionRefused) as refused:
        apply_transition(
            workflow=TOY,
            subject=case,
            actor=world["l2"],
            action="start",
            data={},
            extra_reasons=extra,
        )
    assert [(r.code, r.field) for r in refused.value.reasons] == [("not_found", "title")]


@pytest.mark.django_db
def test_after_hooks_run_inside_the_transaction(world: factories.World) -> None:
    seen: list[tuple[str, str, str]] = []

    def follow(ctx: Context, action: str, old: str, new: str) -> None:
        seen.append((action, old, new))
        raise RuntimeError("the follower failed")

    workflow = make_workflow(after=(follow,))
    case = factories.make_case(world)
    with pytest.raises(RuntimeError):
        apply_transition(
            workflow=workflow,
            subject=case,
            actor=world["l2"],
            action="start",
            data={"title": "x y z"},
        )
    assert seen == [("start", "new", "investigating")]
    assert Case.objects.get(pk=case.pk).state == "new"
    assert not AuditEvent.objects.filter(subject_key=case.key, action="start").exists()
