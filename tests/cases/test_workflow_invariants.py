"""Invariants of the case lifecycle under any sequence of actions by anyone (hypothesis).

Whatever is tried, in whatever order, by whoever:

* a resolved or closed case has a resolution, and only those have one;
* a known fix names its known resolution, a duplicate its original, an escalated case its work item;
* the case reaches ``closed`` only from ``resolved``, and ``fixed`` only through its work item;
* the state events of the audit log chain from ``new`` to the current state, one per change, and
  each change has exactly one outbox row;
* the reopen count is the number of reopens that happened.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casebridge.audit.models import AuditEvent
from casebridge.cases.models import Case, CaseState
from casebridge.cases.services import case_transition, comment_add
from casebridge.core.actors import SYSTEM
from casebridge.core.errors import TransitionRefused, ValidationFailed
from casebridge.integrations.models import OutboxMessage
from casebridge.knowledge.services import KnownResolutionInput, known_resolution_create
from casebridge.workitems.services import work_item_create
from tests import factories
from tests.contract.support import rolled_back

BUG_DOCS = {
    "steps_to_reproduce": "1. Pay",
    "expected_result": "Paid",
    "actual_result": "502",
    "log_excerpt": "ERROR upstream timed out",
}
#: (action, data) pairs; "{KR}", "{BUG}" and "{ORIGINAL}" are filled in per example.
STEPS: dict[str, tuple[str, dict[str, Any]]] = {
    "take": ("take", {}),
    "ask": ("request_info", {"question": "Which card?"}),
    "answer": ("answer", {}),
    "no fault": ("resolve", {"resolution": "no_fault", "note": "Works as designed"}),
    "known fix": (
        "resolve",
        {"resolution": "known_fix", "known_resolution": "{KR}", "action_taken": "Restarted"},
    ),
    "duplicate": ("resolve", {"resolution": "duplicate", "duplicate_of": "{ORIGINAL}"}),
    "known fix, no action": ("resolve", {"resolution": "known_fix", "known_resolution": "{KR}"}),
    "link bug": ("escalate", {"work_item": "{BUG}"}),
    "new bug": ("escalate", {"category": "bug", "docs": BUG_DOCS}),
    "new bug, no docs": ("escalate", {"category": "bug", "docs": {}}),
    "returned": ("return_to_l2", {"reason": "Need logs"}),
    "resumed": ("resume_escalation", {}),
    "fixed": ("fix", {"version": "4.2.2"}),
    "reopen": ("reopen", {"reason": "Again"}),
    "close": ("close", {}),
    "reply": ("comment", {}),
}
#: L2 does most of the work; Casebridge moves escalated cases; the others mostly get refused.
WHO = ["l2", "l2", "l2", "l2", "system", "system", "cust_a", "cust_a", "l1", "dev3"]


def _fill(data: dict[str, Any], refs: dict[str, str]) -> dict[str, Any]:
    return {k: refs.get(v, v) if isinstance(v, str) else v for k, v in data.items()}


def check_invariants(case: Case, reopens: int) -> None:
    case = Case.objects.get(pk=case.pk)
    assert case.state in CaseState.values
    done = case.state in (CaseState.RESOLVED, CaseState.CLOSED)
    assert bool(case.resolution) == done
    assert (case.resolved_at is not None) == done
    assert (case.closed_at is not None) == (case.state == CaseState.CLOSED)
    if case.resolution == "known_fix":
        assert case.known_resolution_id is not None and case.action_taken
    if case.resolution == "duplicate":
        assert case.duplicate_of_id not in (None, case.pk)
    if case.state == CaseState.ESCALATED:
        assert case.work_item_id is not None
    assert case.reopen_count == reopens
    chain = list(
        AuditEvent.objects.filter(subject_type="case", subject_key=case.key, field="state")
        .exclude(action="created")
        .order_by("id")
        .values_list("action", "old", "new", "actor")
    )
    current = CaseState.NEW
    for action, old, new, actor in chain:
        assert old == current, chain
        if new == CaseState.CLOSED:
            assert old == CaseState.RESOLVED
        if action == "fix":
            assert actor is None  # only Casebridge, following the work item
        current = new
    assert current == case.state
    transitions = OutboxMessage.objects.filter(topic="case.transitioned", key=case.key)
    assert transitions.count() == len(chain)


@pytest.mark.django_db
@settings(
    max_examples=40,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(list(STEPS)), st.sampled_from(WHO)), min_size=15, max_size=40
    )
)
def test_no_sequence_of_actions_breaks_the_lifecycle(
    world: factories.World, steps: list[tuple[str, str]]
) -> None:
    with rolled_back():
        l2 = world["l2"]
        original = factories.make_case(world, by="cust_a", title="The first report")
        known = known_resolution_create(
            actor=l2,
            data=KnownResolutionInput(
                title="Restart pods", symptoms="502", steps="Restart", fix_kind="restart_service"
            ),
        )
        bug = work_item_create(actor=l2, category="bug", title="Checkout 502", docs={})
        refs = {"{KR}": known.key, "{BUG}": bug.key, "{ORIGINAL}": original.key}
        case = factories.make_case(world, by="cust_a")
        reopens = 0
        for step, who in steps:
            actor = SYSTEM if who == "system" else world[who]
            action, data = STEPS[step]
            try:
                if action != "comment":
                    case_transition(actor=actor, case=case, action=action, data=_fill(data, refs))
                elif actor is not SYSTEM:
                    comment_add(actor=actor, case=case, body="Here is more information")
            except (TransitionRefused, ValidationFailed):
                pass
            else:
                reopens += action == "reopen"
            check_invariants(case, reopens)
