"""The developer-ladder policies of PRODUCT §4 (1-5): refused at the defaults with the policy's
reason, allowed when satisfied, and changed by an administrator through ``ladder_policy_set``
(a ``LadderPolicy`` row: off, or another senior level).

Policy 3 as implemented (``policies._associate_solo``): it is a permission. At the defaults an L2
developer takes minor and major bugs alone and nothing is refused under policy 3 (a critical bug
alone is policy 1's refusal); switched off, L2 developers no longer take bugs alone and need an
L{min_level}+ developer beside them. It concerns bugs only.

Every check goes through ``work_item_transition`` (assign, start, submit_review, approve_review,
request_changes), so what is tested is what the API, the pages and the CLI get.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from casebridge.accounts.models import Team
from casebridge.audit.models import AuditEvent
from casebridge.catalog.models import Component
from casebridge.core.errors import PermissionDenied, Reason, TransitionRefused, ValidationFailed
from casebridge.sprints.models import Sprint
from casebridge.sprints.selectors.sprints import today
from casebridge.sprints.services import sprint_create
from casebridge.workitems.models import LadderPolicy, PolicyCode, WorkItem
from casebridge.workitems.services import (
    ladder_policy_set,
    work_item_create,
    work_item_transition,
)
from tests import factories
from tests.contract.support import shared_by_module, snapshot

P1, P2, P3, P4, P5 = (
    PolicyCode.CRITICAL_NEEDS_SENIOR,
    PolicyCode.JUNIOR_NEEDS_MENTOR,
    PolicyCode.ASSOCIATE_SOLO,
    PolicyCode.CRITICAL_COMPONENT,
    PolicyCode.INDEPENDENT_REVIEW,
)
DOCS = {"description": "Checkout fails", "steps_to_reproduce": "Pay", "actual_result": "502"}
WSJF = {"business_value": 5, "time_criticality": 5, "risk_reduction": 5, "job_size": 5}


@dataclass
class Shared:
    world: factories.World
    sprint: Sprint
    checkout: Component  # critical
    refunds: Component  # not critical


@pytest.fixture(scope="module")
def shared(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Shared]:
    """One world for the module; every test works in a savepoint inside it."""
    with django_db_blocker.unblock(), shared_by_module(tmp_path_factory.mktemp("media")):
        world = factories.build_world()
        day = today()
        sprint = sprint_create(
            actor=None,
            team=Team.objects.get(slug="core-team"),
            name="Now",
            start=day - timedelta(days=2),
            end=day + timedelta(days=11),
        )
        yield Shared(world, sprint, world.components["checkout-api"], world.components["refunds"])


@pytest.fixture
def s(shared: Shared, db: None) -> Shared:
    return shared


def act(s: Shared, item: WorkItem, who: str, action: str, **data: Any) -> WorkItem:
    return work_item_transition(actor=s.world[who], item=item, action=action, data=data)


def refusal(s: Shared, item: WorkItem, who: str, action: str, **data: Any) -> list[Reason]:
    """The reasons ``action`` is refused; and that the refusal wrote nothing."""
    before = snapshot()
    with pytest.raises(TransitionRefused) as refused:
        act(s, item, who, action, **data)
    assert snapshot() == before
    return refused.value.reasons


def policy_codes(reasons: list[Reason]) -> list[str]:
    return [r.code for r in reasons if r.code.startswith("policy_")]


def bug(s: Shared, priority: str = "major", component: Component | None = None) -> WorkItem:
    """A bug triaged with ``priority`` and scheduled into the current sprint."""
    item = work_item_create(
        actor=s.world["l2"], category="bug", title="Card payments fail", docs=DOCS,
        component=component,
    )  # fmt: skip
    item = act(s, item, "rte", "triage", priority=priority, impact="EU card payments fail")
    return act(s, item, "rte", "schedule", sprint=s.sprint.pk)


def feature(s: Shared, component: Component | None = None) -> WorkItem:
    item = work_item_create(
        actor=s.world["l2"], category="feature", title="Night mode", docs={}, component=component
    )
    item = act(s, item, "pm", "approve", **WSJF)
    return act(s, item, "rte", "approve")


def improvement(s: Shared, team: str, component: Component | None = None) -> WorkItem:
    item = work_item_create(
        actor=s.world["l2"],
        category="improvement",
        title="Retry mail",
        docs={},
        component=component,
    )
    return act(s, item, "rte", "approve", team=team)


def assign(s: Shared, item: WorkItem, *who: str, mentor: str | None = None) -> WorkItem:
    return act(s, item, "rte", "assign", assignees=list(who), mentor=mentor)


def assign_refused(s: Shared, item: WorkItem, *who: str, mentor: str | None = None) -> list[str]:
    return policy_codes(refusal(s, item, "rte", "assign", assignees=list(who), mentor=mentor))


def admin_sets(s: Shared, code: str, **change: Any) -> LadderPolicy:
    return ladder_policy_set(actor=s.world["admin"], code=code, **change)


# --- 1. A critical bug needs an L3 or L4 developer among its assignees ---------------------------


@pytest.mark.django_db
def test_policy_1_critical_bug_needs_a_senior_assignee(s: Shared) -> None:
    item = bug(s, "critical")
    reasons = refusal(s, item, "rte", "assign", assignees=["dev2"])
    assert [(r.code, r.field) for r in reasons] == [("policy_1", "assignees")]
    assert "critical bug needs an L3+ developer" in reasons[0].message
    assert "dev2 (L2)" in reasons[0].message
    assert assign(s, item, "dev2", "dev3").status == "scheduled"  # satisfied: an L3 beside
    assert assign(s, item, "dev4").status == "scheduled"
    assert assign_refused(s, bug(s, "major"), "dev1") == ["policy_2"]  # not policy 1: major


@pytest.mark.django_db
def test_policy_1_admin_raises_lowers_and_disables(s: Shared) -> None:
    item = bug(s, "critical")
    admin_sets(s, P1, min_level=4)
    reasons = refusal(s, item, "rte", "assign", assignees=["dev3"])
    assert policy_codes(reasons) == ["policy_1"] and "L4+" in reasons[0].message
    assert assign(s, item, "dev4").status == "scheduled"
    admin_sets(s, P1, min_level=2)
    assert assign(s, item, "dev2").status == "scheduled"
    admin_sets(s, P1, min_level=3, enabled=False)
    assert assign(s, item, "dev2").status == "scheduled"  # off: an L2 alone takes it


@pytest.mark.django_db
def test_policy_1_is_checked_again_when_work_starts(s: Shared) -> None:
    """An admin change between assignment and start applies at the start."""
    item = assign(s, bug(s, "critical"), "dev3")
    admin_sets(s, P1, min_level=4)
    assert policy_codes(refusal(s, item, "dev3", "start")) == ["policy_1"]
    admin_sets(s, P1, min_level=3)
    assert act(s, item, "dev3", "start").status == "in_progress"


# --- 2. An L1 developer is assigned only together with a mentor of level L3+ ---------------------


@pytest.mark.django_db
def test_policy_2_junior_works_under_a_senior_mentor(s: Shared) -> None:
    item = bug(s, "minor")
    reasons = refusal(s, item, "rte", "assign", assignees=["dev1"])
    assert [(r.code, r.field) for r in reasons] == [("policy_2", "mentor")]
    assert "works under guidance" in reasons[0].message
    reasons = refusal(s, item, "rte", "assign", assignees=["dev1"], mentor="dev2")
    assert [(r.code, r.field) for r in reasons] == [("policy_2", "mentor")]
    assert "mentor must be L3+" in reasons[0].message
    item = assign(s, item, "dev1", mentor="dev3")
    assert (item.mentor, item.status) == (s.world["dev3"], "scheduled")
    assert assign_refused(s, feature(s), "dev1") == ["policy_2"]  # every category


@pytest.mark.django_db
def test_policy_2_admin_raises_lowers_and_disables(s: Shared) -> None:
    item = bug(s, "minor")
    admin_sets(s, P2, min_level=4)
    assert assign_refused(s, item, "dev1", mentor="dev3") == ["policy_2"]
    assert assign(s, item, "dev1", mentor="dev4").mentor == s.world["dev4"]
    admin_sets(s, P2, min_level=2)
    assert assign(s, item, "dev1", mentor="dev2").mentor == s.world["dev2"]
    admin_sets(s, P2, enabled=False)
    assert assign(s, item, "dev1").mentor is None


# --- 3. L2 developers take minor and major bugs on their own -------------------------------------


@pytest.mark.django_db
def test_policy_3_associates_take_minor_and_major_bugs_alone(s: Shared) -> None:
    for priority in ("minor", "major"):
        item = assign(s, bug(s, priority), "dev2")
        assert act(s, item, "dev2", "start").status == "in_progress"
    # A critical bug alone is refused, and it is policy 1 that says so.
    assert assign_refused(s, bug(s, "critical"), "dev2") == ["policy_1"]


@pytest.mark.django_db
def test_policy_3_switched_off_associates_need_a_senior_beside_them(s: Shared) -> None:
    admin_sets(s, P3, enabled=False)
    item = bug(s, "major")
    reasons = refusal(s, item, "rte", "assign", assignees=["dev2"])
    assert [(r.code, r.field) for r in reasons] == [("policy_3", "assignees")]
    assert "L2 developers may not take bugs on their own" in reasons[0].message
    assert assign(s, item, "dev2", "dev3").status == "scheduled"
    admin_sets(s, P3, min_level=4)  # the senior asked for is now a lead
    assert assign_refused(s, item, "dev2", "dev3") == ["policy_3"]
    assert assign(s, item, "dev2", "dev4").status == "scheduled"
    assert assign(s, feature(s), "dev2").status == "approved"  # bugs only


@pytest.mark.django_db
def test_policy_3_switched_off_is_checked_again_when_work_starts(s: Shared) -> None:
    item = assign(s, bug(s, "minor"), "dev2")
    admin_sets(s, P3, enabled=False)
    assert policy_codes(refusal(s, item, "dev2", "start")) == ["policy_3"]


# --- 4. Work on a component marked critical needs an L3+ assignee --------------------------------


@pytest.mark.django_db
def test_policy_4_critical_component_needs_a_senior_assignee(s: Shared) -> None:
    item = bug(s, "minor", s.checkout)
    reasons = refusal(s, item, "rte", "assign", assignees=["dev2"])
    assert [(r.code, r.field) for r in reasons] == [("policy_4", "assignees")]
    assert "Checkout API is a critical component" in reasons[0].message
    assert assign(s, item, "dev3").status == "scheduled"
    assert assign(s, bug(s, "minor", s.refunds), "dev2").status == "scheduled"  # not critical
    assert assign_refused(s, feature(s, s.checkout), "dev2") == ["policy_4"]  # every category
    core = improvement(s, "core-team", s.checkout)
    assert assign_refused(s, core, "dev2") == ["policy_4"]
    # A change DevOps carries alone is outside the developer ladder (policies.assignment_reasons).
    platform = improvement(s, "platform", s.checkout)
    assert assign(s, platform, "devops").status == "approved"


@pytest.mark.django_db
def test_policy_4_admin_raises_lowers_and_disables(s: Shared) -> None:
    item = bug(s, "minor", s.checkout)
    admin_sets(s, P4, min_level=4)
    assert assign_refused(s, item, "dev3") == ["policy_4"]
    assert assign(s, item, "dev4").status == "scheduled"
    admin_sets(s, P4, min_level=2)
    assert assign(s, item, "dev2").status == "scheduled"
    admin_sets(s, P4, min_level=3, enabled=False)
    assert assign(s, item, "dev2").status == "scheduled"


# --- 5. A reviewer is never an assignee; critical items need an L3+ reviewer ----------------------


def in_review(s: Shared, priority: str, *assignees: str, reviewer: str | None = None) -> WorkItem:
    item = assign(s, bug(s, priority), *assignees)
    item = act(s, item, assignees[0], "start")
    return act(s, item, assignees[0], "submit_review", reviewer=reviewer)


@pytest.mark.django_db
def test_policy_5_a_reviewer_is_never_an_assignee(s: Shared) -> None:
    item = in_review(s, "major", "dev3", "dev4")
    reasons = refusal(s, item, "dev4", "approve_review")
    assert [(r.code, r.field) for r in reasons] == [("policy_5", "reviewer")]
    assert "never an assignee" in reasons[0].message
    reasons = refusal(s, item, "dev4", "request_changes", reason="More tests")
    assert [(r.code, r.field) for r in reasons] == [("policy_5", "reviewer")]
    item = act(s, item, "dev2", "approve_review")
    assert (item.status, item.reviewed_by) == ("in_testing", s.world["dev2"])


@pytest.mark.django_db
def test_policy_5_the_requested_reviewer_is_not_an_assignee(s: Shared) -> None:
    item = act(s, assign(s, bug(s, "major"), "dev3", "dev4"), "dev3", "start")
    reasons = refusal(s, item, "dev3", "submit_review", reviewer="dev4")
    assert [(r.code, r.field) for r in reasons] == [("policy_5", "reviewer")]
    item = act(s, item, "dev3", "submit_review", reviewer="dev2")
    assert item.requested_reviewer == s.world["dev2"]


@pytest.mark.django_db
def test_policy_5_critical_items_need_a_senior_reviewer(s: Shared) -> None:
    item = in_review(s, "critical", "dev4")
    reasons = refusal(s, item, "dev2", "approve_review")
    assert [(r.code, r.field) for r in reasons] == [("policy_5", "reviewer")]
    assert "critical item needs an L3+ reviewer" in reasons[0].message
    assert act(s, item, "dev3", "approve_review").status == "in_testing"
    # A major bug takes any developer's review.
    assert act(s, in_review(s, "major", "dev4"), "dev1", "approve_review").status == "in_testing"


@pytest.mark.django_db
def test_policy_5_admin_raises_and_lowers_the_reviewer_level(s: Shared) -> None:
    item = in_review(s, "critical", "dev4")
    admin_sets(s, P5, min_level=4)
    assert policy_codes(refusal(s, item, "dev3", "approve_review")) == ["policy_5"]
    admin_sets(s, P5, min_level=2)
    assert act(s, item, "dev2", "approve_review").status == "in_testing"


@pytest.mark.django_db
def test_policy_5_switched_off_allows_review_by_anyone(s: Shared) -> None:
    """Off, the whole policy is off: an assignee may review (approve or ask for changes, or be
    the requested reviewer), and a critical item takes any developer's review."""
    admin_sets(s, P5, enabled=False)
    item = in_review(s, "critical", "dev3", "dev4", reviewer="dev4")
    assert item.requested_reviewer == s.world["dev4"]
    item = act(s, item, "dev4", "request_changes", reason="Missing a test")
    assert item.status == "in_progress"
    item = act(s, item, "dev3", "submit_review")
    assert act(s, item, "dev3", "approve_review").status == "in_testing"
    other = in_review(s, "critical", "dev4")
    assert act(s, other, "dev1", "approve_review").status == "in_testing"


# --- all at once, and the administrator's door --------------------------------------------------


@pytest.mark.django_db
def test_every_broken_policy_is_listed_at_once(s: Shared) -> None:
    item = bug(s, "critical", s.checkout)
    reasons = refusal(s, item, "dev2", "assign", assignees=["dev1"])
    assert [r.code for r in reasons] == ["role", "policy_1", "policy_2", "policy_4"]


@pytest.mark.django_db
def test_only_an_administrator_changes_a_policy(s: Shared) -> None:
    for who in ("rte", "dev4", "pm"):
        with pytest.raises(PermissionDenied):
            ladder_policy_set(actor=s.world[who], code=P1, enabled=False)
    with pytest.raises(ValidationFailed) as bad:
        admin_sets(s, "no_such_policy", min_level=5)
    assert set(bad.value.fields) == {"code", "min_level"}
    assert not LadderPolicy.objects.exists()


@pytest.mark.django_db
def test_a_policy_change_is_audited_and_a_no_op_writes_nothing(s: Shared) -> None:
    row = admin_sets(s, P4, min_level=4)
    events = AuditEvent.objects.filter(subject_type="ladder_policy", subject_key=P4)
    assert [(e.field, e.old, e.new, e.actor) for e in events] == [
        ("min_level", "3", "4", s.world["admin"])
    ]
    assert (row.enabled, row.min_level) == (True, 4)
    before = snapshot()
    admin_sets(s, P4, min_level=4)
    admin_sets(s, P1, enabled=True, min_level=3)  # the defaults: no row needed
    assert snapshot() == before
