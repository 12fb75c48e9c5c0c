"""The case workflow, exhaustively: every state x action x role, allowed or refused.

The expected behaviour is written below from PRODUCT §3 and §4, not read from ``cases.workflow``:

* ``take``: an L2 engineer owns a new case and starts investigating;
* ``request_info`` / ``answer``: L2 asks the reporter; the case returns to investigating when the
  reporter (a customer, or the partner or L1 agent relaying for them, or L2) answers;
* ``resolve`` / ``escalate``: L2 ends any open case with a resolution or sends it to development;
* an escalated case follows its work item, moved by Casebridge itself (the system actor): back to
  L2 when development asks for information or rejects the item (``return_to_l2``, with the
  reason), escalated again once L2 has answered (``resume_escalation``, only for a case that has
  a work item), resolved as fixed when L2 validated the fix (``fix``);
* ``resolve_with_incident``: Casebridge resolves an open case when the incident declared from it
  is resolved (issue 10);
* ``reopen``: a reporter or L2 reopens a resolved case with a reason, and Casebridge when the
  incident that resolved it is active again;
* ``auto_resolve``: monitoring resolves a new case nobody worked on when its alert resolves at the
  source (the system actor);
* ``close``: after the reporter confirms (the reporter, or L2 on their word) or when the quiet
  period passes (the system actor).

A successful transition writes exactly its audit events (the state change, public unless it is
development's internal back-and-forth, plus one internal event per changed field) and one outbox
row, in its transaction. A refused one names every reason and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.forms.models import model_to_dict

from casebridge.audit.models import AuditEvent
from casebridge.cases.models import Case, CaseState, Comment
from casebridge.cases.services import case_transition
from casebridge.core.actors import SYSTEM
from casebridge.core.errors import TransitionRefused
from casebridge.integrations.models import OutboxMessage
from casebridge.workitems.services import work_item_create
from tests import factories
from tests.contract.support import rolled_back, shared_by_module, snapshot

NEW, INVESTIGATING, WAITING, ESCALATED, RESOLVED, CLOSED = (
    "new",
    "investigating",
    "waiting_on_reporter",
    "escalated",
    "resolved",
    "closed",
)
OPEN = frozenset({NEW, INVESTIGATING, WAITING})

# Who acts, by the role they hold. Every world user holds exactly one role.
ACTORS = {
    "reporter": "cust_a",
    "partner": "partner",
    "l1_agent": "l1",
    "l2_engineer": "l2",
    "rte": "rte",
    "product_manager": "pm",
    "developer": "dev3",
    "devops": "devops",
    "qa": "qa",
    "admin": "admin",
    "system": None,  # Casebridge itself
}
L1, L2, SYSTEM_ONLY = frozenset({"l1_agent"}), frozenset({"l2_engineer"}), frozenset({"system"})
REPORTERS = frozenset({"reporter", "partner"})

# fmt: off
#  action                from                         to              who may
POLICY: dict[str, tuple[frozenset[str], str, frozenset[str]]] = {
    "take":              (frozenset({NEW}),           INVESTIGATING,  L2),
    "request_info":      (frozenset({INVESTIGATING}), WAITING,        L2),
    "answer":            (frozenset({WAITING}),       INVESTIGATING,  L2 | REPORTERS | L1),
    "resolve":           (OPEN,                       RESOLVED,       L2),
    "escalate":          (OPEN,                       ESCALATED,      L2),
    "return_to_l2":      (frozenset({ESCALATED}),     INVESTIGATING,  SYSTEM_ONLY),
    "resume_escalation": (frozenset({INVESTIGATING}), ESCALATED,      SYSTEM_ONLY),
    "fix":               (frozenset({ESCALATED}),     RESOLVED,       SYSTEM_ONLY),
    "resolve_with_incident": (OPEN,                   RESOLVED,       SYSTEM_ONLY),
    "auto_resolve":      (frozenset({NEW}),           RESOLVED,       SYSTEM_ONLY),
    "reopen":            (frozenset({RESOLVED}),      INVESTIGATING,  L2 | REPORTERS | SYSTEM_ONLY),
    "close":             (frozenset({RESOLVED}),      CLOSED,         L2 | REPORTERS | SYSTEM_ONLY),
}
# fmt: on
#: Development's back-and-forth with L2 stays off the customer's timeline.
INTERNAL_ACTIONS = frozenset({"return_to_l2", "resume_escalation"})

#: Valid input for each action, so that only the state and the role decide.
DATA: dict[str, dict[str, Any]] = {
    "take": {},
    "request_info": {"question": "Which browser do you use?"},
    "answer": {},
    "resolve": {"resolution": "no_fault", "note": "Works as designed."},
    "escalate": {"work_item": "BUG-1"},
    "return_to_l2": {"reason": "The RTE asks for the gateway logs."},
    "resume_escalation": {},
    "fix": {"version": "4.2.2"},
    "resolve_with_incident": {"note": "Gateway pool resized."},
    "auto_resolve": {"note": "The alert resolved at the source."},
    "reopen": {"reason": "It fails again."},
    "close": {"reason": "Confirmed fixed."},
}


def expected_fields(action: str, actor: str, case: Case) -> dict[str, tuple[str, str]]:
    """The fields besides ``state`` that the action changes on ``case``."""
    linked = case.work_item.key if case.work_item else ""
    return {
        "take": {"owner": ("", actor)},
        "request_info": {},
        "answer": {},
        "resolve": {"resolution": ("", "no_fault"), "resolution_note": ("", "Works as designed.")},
        "escalate": {} if linked == "BUG-1" else {"work_item": (linked, "BUG-1")},
        "return_to_l2": {},
        "resume_escalation": {},
        "fix": {"resolution": ("", "fixed"), "fixed_version": ("", "4.2.2")},
        "resolve_with_incident": {
            "resolution": ("", "incident"),
            "resolution_note": ("", "Gateway pool resized."),
        },
        "auto_resolve": {
            "resolution": ("", "no_fault"),
            "resolution_note": ("", "The alert resolved at the source."),
        },
        "reopen": {"resolution": ("no_fault", ""), "reopen_count": ("0", "1")},
        "close": {},
    }[action]


def expected_reasons(action: str, role: str, case: Case) -> set[str]:
    sources, _, roles = POLICY[action]
    reasons = set()
    if case.state not in sources:
        reasons.add("state")
    if role not in roles:
        reasons.add("role")
    if action == "resume_escalation" and case.work_item_id is None:
        reasons.add("no_work_item")
    if action == "auto_resolve" and (case.owner_id or case.comments.exists()):
        reasons.add("worked_on")
    return reasons


def test_the_policy_table_speaks_of_every_action_and_state() -> None:
    from casebridge.cases.workflow import CASE_WORKFLOW

    assert set(POLICY) == {t.action for t in CASE_WORKFLOW.transitions}
    assert {s.value for s in CaseState} == {
        NEW,
        INVESTIGATING,
        WAITING,
        ESCALATED,
        RESOLVED,
        CLOSED,
    }


def cases_in_every_state(world: factories.World) -> dict[str, Case]:
    """Cases of organisation A (reported by cust_a) in every state, made through the services.

    Investigating comes twice: a case L2 took, and one development returned to L2 (it keeps its
    work item, so its escalation can resume).
    """
    l2 = world["l2"]
    work_item_create(actor=l2, category="bug", title="Checkout 502 under load", docs={})
    steps: dict[str, list[tuple[Any, str]]] = {
        NEW: [],
        INVESTIGATING: [(l2, "take")],
        "investigating (returned)": [(l2, "take"), (l2, "escalate"), (SYSTEM, "return_to_l2")],
        WAITING: [(l2, "take"), (l2, "request_info")],
        ESCALATED: [(l2, "take"), (l2, "escalate")],
        RESOLVED: [(l2, "take"), (l2, "resolve")],
        CLOSED: [(l2, "take"), (l2, "resolve"), (l2, "close")],
    }
    cases = {}
    for label, path in steps.items():
        case = factories.make_case(world, by="cust_a", title=f"A case that is {label}")
        for actor, action in path:
            case = case_transition(actor=actor, case=case, action=action, data=DATA[action])
        assert label.startswith(case.state)
        cases[label] = case
    return cases


def _last_id(model: Any) -> int:
    return model.objects.order_by("-id").values_list("id", flat=True).first() or 0


@pytest.fixture(scope="module")
def shared(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[factories.World, dict[str, Case]]]:
    """One world and its cases for the module; every test works in a savepoint inside it."""
    with django_db_blocker.unblock(), shared_by_module(tmp_path_factory.mktemp("media")):
        world = factories.build_world()
        yield world, cases_in_every_state(world)


@pytest.fixture
def world(shared: tuple[factories.World, dict[str, Case]], db: None) -> factories.World:
    return shared[0]


@pytest.fixture
def cases(shared: tuple[factories.World, dict[str, Case]], db: None) -> dict[str, Case]:
    return shared[1]


@pytest.mark.django_db
@pytest.mark.parametrize("action", list(POLICY))
def test_every_state_and_role(world: factories.World, cases: dict[str, Case], action: str) -> None:
    problems: list[str] = []
    for label, case in cases.items():
        for role, username in ACTORS.items():
            actor = world[username] if username else SYSTEM
            want = expected_reasons(action, role, case)
            where = f"{label} x {role}"
            with rolled_back():
                before_counts, before_row = snapshot(), model_to_dict(Case.objects.get(pk=case.pk))
                marks = (_last_id(AuditEvent), _last_id(OutboxMessage))
                try:
                    result = case_transition(
                        actor=actor, case=case, action=action, data=DATA[action]
                    )
                except TransitionRefused as refusal:
                    codes = {reason.code for reason in refusal.reasons}
                    if codes != want:
                        problems.append(f"{where}: refused for {codes}, expected {want or 'ok'}")
                    elif snapshot() != before_counts or (
                        model_to_dict(Case.objects.get(pk=case.pk)) != before_row
                    ):
                        problems.append(f"{where}: a refused action wrote something")
                    continue
                if want:
                    problems.append(f"{where}: allowed, expected refused for {want}")
                    continue
                problems += [
                    f"{where}: {problem}"
                    for problem in _check_success(case, result, marks, action, actor)
                ]
    assert not problems, f"{action}:\n" + "\n".join(problems)


def _check_success(
    case: Case, result: Case, marks: tuple[int, int], action: str, actor: Any
) -> list[str]:
    """The new state, and exactly the audit events and the outbox row this transition owes."""
    _, target, _ = POLICY[action]
    problems = []
    stored = Case.objects.get(pk=case.pk)
    if stored.state != target or result.state != target:
        problems.append(f"ended in {stored.state}, expected {target}")
    events = list(AuditEvent.objects.filter(id__gt=marks[0]).order_by("id"))
    outbox = [
        (m.topic, m.key, m.payload)
        for m in OutboxMessage.objects.filter(id__gt=marks[1]).exclude(topic__startswith="event.")
    ]
    if action in ALSO_OWED:
        also, topic = ALSO_OWED[action]
        extra = [e for e in events if (e.subject_key, e.action) == (case.key, also)]
        extra_rows = [m for m in outbox if m[0] == topic]
        if len(extra) != 1 or len(extra_rows) != 1 or extra[0].actor_id != actor.pk:
            problems.append(f"{action} owes one {also} event and one {topic} row")
        events = [e for e in events if e not in extra]
        outbox = [m for m in outbox if m not in extra_rows]
    if any((e.subject_type, e.subject_key, e.action) != ("case", case.key, action) for e in events):
        problems.append(f"foreign events {[(e.subject_key, e.action) for e in events]}")
    status = [(e.old, e.new, e.public) for e in events if e.field == "state"]
    if status != [(case.state, target, action not in INTERNAL_ACTIONS)]:
        problems.append(f"state events {status}")
    others = {e.field: (e.old, e.new) for e in events if e.field != "state"}
    if others != expected_fields(action, getattr(actor, "username", ""), case):
        problems.append(f"field events {others}")
    if any(e.actor_id != getattr(actor, "pk", None) for e in events):
        problems.append("events do not name the actor")
    payload = {"key": case.key, "action": action, "from": case.state, "to": target}
    payload["actor"] = getattr(actor, "username", None)
    if events:  # the row names the change's last audit event (core.tracing)
        payload["audit_event"] = events[-1].pk
    if outbox != [("case.transitioned", case.key, payload)]:
        problems.append(f"outbox rows {outbox}")
    return problems


#: What a transition owes besides its own events: the question of ``request_info`` is a public
#: comment, written as every comment is (its ``commented`` event and ``case.commented`` row).
ALSO_OWED = {"request_info": ("commented", "case.commented")}


@pytest.mark.django_db
def test_refusal_lists_every_reason_at_once(world: factories.World) -> None:
    case = factories.make_case(world)
    with pytest.raises(TransitionRefused) as refused:
        case_transition(actor=world["dev3"], case=case, action="reopen", data={})
    assert [r.code for r in refused.value.reasons] == ["state", "role", "required"]
    body = refused.value.as_dict()
    assert body["code"] == "transition_refused"
    assert set(body["fields"]) == {"action", "reason"}
    assert "3 reasons" in str(body["message"])


@pytest.mark.django_db
def test_unknown_action_is_refused_by_name(world: factories.World) -> None:
    case = factories.make_case(world)
    with pytest.raises(TransitionRefused) as refused:
        case_transition(actor=world["l2"], case=case, action="teleport")
    assert refused.value.reasons[0].code == "unknown_action"
    assert "take" in refused.value.reasons[0].message


@pytest.mark.django_db
def test_audit_and_outbox_share_the_transaction_of_the_change(world: factories.World) -> None:
    """If anything fails after the audit event is written, the state change goes with it."""
    case = factories.make_case(world)
    before = snapshot()
    with (
        mock.patch(  # the outbox's write of a transition's rows (``outbox_write``)
            "casebridge.integrations.outbox.rows_insert_returning",
            side_effect=RuntimeError("disk full"),
        ),
        pytest.raises(RuntimeError),
    ):
        case_transition(actor=world["l2"], case=case, action="take")
    assert Case.objects.get(pk=case.pk).state == NEW
    assert Case.objects.get(pk=case.pk).owner is None
    assert snapshot() == before


@pytest.mark.django_db
def test_audit_record_refuses_to_run_outside_a_transaction(world: factories.World) -> None:
    from django.db import connections

    from casebridge.audit.services import audit_record
    from casebridge.integrations.outbox import outbox_enqueue

    case = factories.make_case(world)
    with mock.patch.object(connections["default"], "in_atomic_block", False):
        with pytest.raises(RuntimeError, match="inside the transaction"):
            audit_record(actor=None, subject=case, action="poke")
        with pytest.raises(RuntimeError, match="inside the transaction"):
            outbox_enqueue(topic="case.poked", payload={})


@pytest.mark.django_db
def test_request_info_posts_the_question_as_a_public_comment(world: factories.World) -> None:
    case = case_transition(actor=world["l2"], case=factories.make_case(world), action="take")
    case_transition(actor=world["l2"], case=case, action="request_info", data=DATA["request_info"])
    comment = Comment.objects.get(case=case)
    assert (comment.body, comment.internal, comment.author) == (
        "Which browser do you use?",
        False,
        world["l2"],
    )


@pytest.mark.django_db
def test_take_can_assign_another_l2_engineer_but_no_one_else(world: factories.World) -> None:
    case = factories.make_case(world)
    with pytest.raises(TransitionRefused) as refused:
        case_transition(actor=world["l2"], case=case, action="take", data={"owner": world["dev3"]})
    assert [(r.code, r.field) for r in refused.value.reasons] == [("owner_role", "owner")]
    case = case_transition(
        actor=world["l2"], case=case, action="take", data={"owner": world["l2b"]}
    )
    assert case.owner == world["l2b"]


@pytest.mark.django_db
def test_allowed_actions_follow_the_policy(world: factories.World, cases: dict[str, Case]) -> None:
    """What the API and the pages offer is what the policy allows, for each viewer."""
    from casebridge.cases.workflow import CASE_WORKFLOW

    for label, case in cases.items():
        for role, username in ACTORS.items():
            actor = world[username] if username else SYSTEM
            offered = set(CASE_WORKFLOW.allowed_actions(actor, case))
            expected = {a for a in POLICY if not expected_reasons(a, role, case)}
            assert offered == expected, (label, role)


@pytest.mark.django_db
def test_allowed_actions_agree_with_the_options_and_skip_checks_a_role_cannot_reach(
    world: factories.World,
    cases: dict[str, Case],
    django_assert_num_queries: Any,
) -> None:
    """``allowed_actions`` stops at the first reason; it must offer exactly the options that
    ``options_for`` finds allowed, and run no check's query for a viewer without the role."""
    from casebridge.cases.workflow import CASE_WORKFLOW

    for label, case in cases.items():
        for username in ACTORS.values():
            actor = world[username] if username else SYSTEM
            options = CASE_WORKFLOW.options_for(actor, case)
            assert CASE_WORKFLOW.allowed_actions(actor, case) == [
                o.transition.action for o in options if o.allowed
            ], (label, username)
    with django_assert_num_queries(0):  # auto_resolve's "no comment yet" check needs the system
        CASE_WORKFLOW.allowed_actions(world["l1"], cases[NEW])
