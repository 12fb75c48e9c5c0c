"""Hypothesis state machines over the three development workflows (issue 3 acceptance).

Each machine escalates a case (and links a second one) to a fresh work item, then drives random
sequences of (action, person, plausible input) through ``work_item_transition``: mostly actions
that leave the item's current state, taken by someone likely to hold the role, with input that is
mostly valid; sometimes any action by anyone. After every step it asserts:

* nothing reaches ``closed``/``done`` without its decisions: a bug's last transition into
  ``closed`` is ``validate`` by an L2 engineer, right after ``deploy``; a feature request is
  ``approved`` (and beyond) only with the PM's and the RTE's "approve", by two different people,
  and is ``done`` only through ``accept``; an improvement is approved by the PM or the RTE with
  a team, and ``done`` only through ``verify`` by L2 or its proposer after an approved review;
* a reviewer (``reviewed_by``, ``requested_reviewer``) is never an assignee;
* nothing is deployed (or beyond) without a release version and an environment;
* a critical bug is never ``in_progress`` without an L3+ assignee (policies at their defaults);
* an L1 assignee always has an L3+ mentor;
* the audit events with ``data.transition`` are exactly the successful transitions, in order,
  and a refused call writes nothing (no row in any table, the item unchanged);
* the linked cases are resolved as ``fixed`` exactly when their work item is done.

The runs are deterministic (``derandomize=True``) and bounded; each example runs in a savepoint
of one module-wide world. Each machine also counts the states it reached, and the test asserts
the runs went all the way (a machine that never closes a bug would prove nothing).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from casebridge.accounts.models import Team, User
from casebridge.accounts.services import team_create, user_create
from casebridge.audit.models import AuditEvent
from casebridge.cases.models import Case
from casebridge.cases.services import case_transition
from casebridge.core.errors import TransitionRefused
from casebridge.sprints.models import Sprint
from casebridge.sprints.selectors.sprints import today
from casebridge.sprints.services import sprint_create
from casebridge.workflows.engine import StateGroup, Transition, Workflow
from casebridge.workitems.definitions import WORKFLOWS
from casebridge.workitems.models import WorkItem
from casebridge.workitems.services import work_item_create
from casebridge.workitems.services import work_item_transition as transition
from tests import factories
from tests.contract.support import shared_by_module, snapshot

# --- the world ------------------------------------------------------------------------------------


@dataclass
class Env:
    people: dict[str, User]
    sprints: dict[str, Sprint]
    target: WorkItem  # what mark_duplicate points at
    world: factories.World
    reached: dict[str, Counter[str]] = field(default_factory=dict)

    def person(self, pk: int | None) -> User:
        return next(u for u in self.people.values() if u.pk == pk)

    def level(self, pk: int | None) -> int:
        return 0 if pk is None else self.person(pk).level_rank


def build(world: factories.World) -> Env:
    """The standard world, plus ``dual`` (PM and RTE at once), a team of every developer level,
    and a current and a next sprint for every team."""
    user_create(
        actor=None, username="dual", email="dual@example.com", roles=["product_manager", "rte"]
    )
    team_create(actor=None, name="Guild", members=[world[f"dev{n}"] for n in range(1, 5)])
    day = today()
    sprints = {}
    for team in Team.objects.all():
        sprints[f"{team.slug} now"] = sprint_create(
            actor=None, team=team, name="Now", start=day - timedelta(3), end=day + timedelta(10)
        )
        sprints[f"{team.slug} next"] = sprint_create(
            actor=None, team=team, name="Next", start=day + timedelta(11), end=day + timedelta(24)
        )
    target = work_item_create(actor=world["l2"], category="bug", title="The original", docs={})
    people = {u.username: u for u in User.objects.prefetch_related("role_grants")}
    assert people["dual"].roles == {"product_manager", "rte"}
    return Env(people, sprints, target, world)


START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def env(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Env]:
    # The clock starts at a fixed instant (sprints, revisit dates and ages are relative to it),
    # so that the derandomized runs take the same paths on any day.
    with (
        time_machine.travel(START),
        django_db_blocker.unblock(),
        shared_by_module(tmp_path_factory.mktemp("media")),
    ):
        yield build(factories.build_world())


# --- plausible input ------------------------------------------------------------------------------

#: Proposed assignments, the ones that test the ladder first (an associate or a junior alone).
ASSIGNMENTS = [
    ["dev2"],
    ["dev1"],
    ["dev3"],
    ["dev1", "dev2"],
    ["dev4"],
    ["dev2", "dev3"],
    ["dev1", "dev4"],
    ["devops"],
    ["devops", "dev3"],
    ["qa"],
]
WSJF = ("business_value", "time_criticality", "risk_reduction", "job_size")
#: The optional input each action takes besides what it requires.
OPTIONAL = {
    "assign": ("mentor",),
    "submit_review": ("reviewer",),
    "approve": (*WSJF, "team", "as_role"),
    "reject": ("as_role",),
    "defer": ("as_role",),
}


def values(env: Env, name: str) -> st.SearchStrategy[Any]:
    """Mostly valid values for one input; ``None`` leaves it out."""
    day = today()
    later, earlier = (day + timedelta(30)).isoformat(), (day - timedelta(1)).isoformat()
    pools: dict[str, list[Any]] = {
        "priority": ["critical", "major", "critical", "minor", "urgent", None],
        "impact": ["EU card payments fail", "Refunds are late", "Some users", None],
        "reason": ["Needs a closer look", "Still fails for Visa", "Not this quarter", None],
        "category": ["feature", "improvement", "bug"],
        "duplicate_of": [env.target.key],
        "sprint": [s.pk for s in env.sprints.values()] + [999_999],
        "assignees": ASSIGNMENTS,
        "mentor": ["dev3", None, "dev2", "dev4"],
        "reviewer": [None, "dev2", "dev3", "dev4", "dev1", "devops"],
        "evidence": ["Checkout suite green", "Manual test on staging", "Load test 2k rps", None],
        "version": ["4.2.2", "4.3.0", "4.2.3", None],
        "environment": ["production", "staging", "production", "moon"],
        "revisit_on": [later, later, later, earlier],
        "team": ["core-team", "platform", "guild", None],
        "as_role": ["product_manager", "rte", None],
        **{name: [5, 8, 1, 13, None] for name in WSJF},
    }
    return st.sampled_from(pools[name])


def inputs(env: Env, t: Transition) -> st.SearchStrategy[dict[str, Any]]:
    names = [r.field for r in t.requires] + list(OPTIONAL.get(t.action, ()))
    return st.fixed_dictionaries({name: values(env, name) for name in names}).map(
        lambda data: {k: v for k, v in data.items() if v is not None}
    )


FIELDS = (
    "key",
    "category",
    "status",
    "priority",
    "created_by_id",
    "mentor_id",
    "reviewed_by_id",
    "requested_reviewer_id",
    "pm_decision",
    "pm_decided_by_id",
    "rte_decision",
    "rte_decided_by_id",
    "team_id",
    "business_value",
    "time_criticality",
    "risk_reduction",
    "job_size",
    "release_version",
    "deployed_environment",
)


def assignee_ids(pk: int) -> set[int]:
    through = WorkItem.assignees.through.objects
    return set(through.filter(workitem_id=pk).values_list("user_id", flat=True))


def row(pk: int) -> dict[str, Any]:
    """The item's whole row and its assignees, to see that a refusal changed nothing."""
    data = dict(WorkItem.objects.filter(pk=pk).values().get())
    data["assignees"] = assignee_ids(pk)
    return data


# --- the machines ---------------------------------------------------------------------------------

DOCS = {
    "bug": {
        "steps_to_reproduce": "Pay with a Visa card",
        "expected_result": "Paid",
        "actual_result": "502",
        "log_excerpt": "ERROR gateway timeout after 30000 ms",
    },
    "feature": {"justification": "Night shifts ask for it", "impact_assessment": "1,200 users"},
    "improvement": {
        "rationale": "Mail is late",
        "expected_benefit": "5 min",
        "area": "reliability",
    },
}
ENV: Env  # set by the test before the machine runs
DECIDERS = frozenset({"product_manager", "rte"})
COMPONENTS = st.sampled_from(["refunds", "checkout-api", "refunds"])
SETBACKS = frozenset({"needs_info", "request_changes", "test_fail", "fail_validation"})
#: How a step chooses: progress four times in seven, another way out twice, anything once.
MODES = ("forward",) * 4 + ("other way",) * 2 + ("anything",)


class WorkflowMachine(RuleBasedStateMachine):
    category: ClassVar[str]

    def __init__(self) -> None:
        super().__init__()
        self.env = ENV
        self.workflow: Workflow = WORKFLOWS[self.category]
        self.savepoint = transaction.savepoint_create()
        self.history: list[tuple[str, str, str, int | None]] = []
        self.cases: list[Case] = []
        self.item: WorkItem | None = None
        self.status = ""

    def teardown(self) -> None:
        transaction.savepoint_rollback(self.savepoint)

    # -- a case escalated to a new item, and a second case linked to it; again once it is over

    def open_item(self, component: str) -> None:
        world, l2 = self.env.world, self.env.people["l2"]
        first = factories.make_case(world, component=world.components[component])
        first = case_transition(actor=l2, case=first, action="take")
        data: dict[str, Any] = {"category": self.category, "docs": DOCS[self.category]}
        if self.category == "improvement":  # proposed by the tester, then linked by L2
            item = work_item_create(
                actor=self.env.people["qa"],
                category="improvement",
                title="Retry outgoing mail",
                docs=DOCS["improvement"],
                component=world.components[component],
            )
            data = {"work_item": item.key}
        first = case_transition(actor=l2, case=first, action="escalate", data=data)
        assert first.work_item is not None
        self.item, self.status, self.history = first.work_item, first.work_item.status, []
        second = factories.make_case(world, org="b", title="Refunds fail too")
        second = case_transition(actor=l2, case=second, action="take")
        second = case_transition(
            actor=l2, case=second, action="escalate", data={"work_item": self.item.key}
        )
        self.cases += [first, second]

    @initialize(component=COMPONENTS)
    def escalate(self, component: str) -> None:
        self.open_item(component)

    def is_over(self) -> bool:
        return not any(self.status in t.sources for t in self.workflow.transitions)

    @precondition(lambda self: self.item is not None and self.is_over())
    @rule(component=COMPONENTS)
    def escalate_another(self, component: str) -> None:
        """The item is over (closed, done, rejected): the run goes on with a new one."""
        self.open_item(component)

    # -- steps

    def moves_forward(self, t: Transition, status: str) -> bool:
        """Progress: not an outcome that ends the item undelivered (reject, re-categorise,
        duplicate, defer), not a setback, not a side move (another sprint, a second triage)."""
        groups = {self.workflow.group_of(target) for target in t.targets()}
        gives_up = groups == {StateGroup.REJECTED} or t.action == "defer"
        side = t.action == "reschedule" or (t.action == "triage" and status == "triaged")
        return not (gives_up or side or t.action in SETBACKS)

    def leaving(self, status: str, *, forward: bool) -> list[Transition]:
        return [
            t
            for t in self.workflow.transitions
            if status in t.sources and self.moves_forward(t, status) is forward
        ]

    def people_for(self, t: Transition, item: WorkItem) -> list[str]:
        """Who plausibly takes ``t`` now, the likeliest first: holders of its roles (seniors
        first); for an assignee's action the assignees; for a review someone else; for verify
        L2 and the proposer."""
        assignees = sorted(u.username for u in item.assignees.all())  # the same order on any DB
        if t.action in ("start", "submit_review"):
            return assignees or ["dev3"]
        if t.action == "assign":
            return ["rte", "dev4", "dev3", "devops", "dev2"]
        if t.action == "verify":
            return ["l2", "qa", "l2b"]
        if t.roles == DECIDERS:
            return ["pm", "rte", "dual"]
        people = sorted(self.env.people.values(), key=lambda u: (-u.level_rank, u.username))
        holders = [u.username for u in people if u.has_role(*t.roles)]
        if t.action in ("approve_review", "request_changes"):  # someone else, first
            return [n for n in holders if n not in assignees] + assignees
        return holders or ["admin"]

    def attempt(self, item: WorkItem, action: str, who: str, data: dict[str, Any]) -> None:
        actor = self.env.people[who]
        before, old_row = snapshot(), row(item.pk)
        try:
            result = transition(actor=actor, item=item, action=action, data=data)
        except TransitionRefused as refusal:
            assert refusal.reasons, "a refusal names its reasons"
            assert snapshot() == before, f"refused {action} by {who} wrote rows"
            assert row(item.pk) == old_row, f"refused {action} by {who} changed the item"
            return
        self.history.append((action, item.status, result.status, actor.pk))
        self.status = result.status
        self.env.reached.setdefault(self.category, Counter())[result.status] += 1

    def take(self, data: st.DataObject, options: list[Transition], item: WorkItem) -> None:
        t = data.draw(st.sampled_from(options), label="action")
        who = data.draw(st.sampled_from(self.people_for(t, item)), label="actor")
        self.attempt(item, t.action, who, data.draw(inputs(self.env, t), label="input"))

    @precondition(lambda self: self.item is not None and not self.is_over())
    @rule(data=st.data())
    def step(self, data: st.DataObject) -> None:
        """Mostly progress out of the current state by a likely person; sometimes another way
        out (a setback, another sprint, giving the item up); sometimes any action by anyone."""
        assert self.item is not None
        item = WorkItem.objects.get(pk=self.item.pk)
        mode = data.draw(st.sampled_from(MODES), label="mode")
        options = self.leaving(item.status, forward=mode == "forward")
        if mode == "anything" or not options:
            who = data.draw(st.sampled_from(sorted(self.env.people)), label="actor")
            t = data.draw(st.sampled_from(self.workflow.transitions), label="action")
        else:
            t = data.draw(st.sampled_from(options), label="action")
            who = data.draw(st.sampled_from(self.people_for(t, item)), label="actor")
        self.attempt(item, t.action, who, data.draw(inputs(self.env, t), label="input"))

    # -- after every step

    @invariant()
    def holds(self) -> None:
        if self.item is None:
            return
        item = WorkItem.objects.filter(pk=self.item.pk).values(*FIELDS).get()
        assignees = assignee_ids(self.item.pk)
        self.check_audit(item)
        self.check_people(item, assignees)
        self.check_cases()
        self.check_decisions(item, assignees)

    def check_audit(self, item: dict[str, Any]) -> None:
        events = AuditEvent.objects.filter(
            subject_type="work_item", subject_key=item["key"], field="status"
        ).order_by("id")
        recorded = list(events.values_list("action", "old", "new", "actor_id", "data"))
        assert all(data == {"transition": True} for *_, data in recorded)
        assert [r[:4] for r in recorded] == self.history, "transition events = transitions"

    def check_people(self, item: dict[str, Any], assignees: set[int]) -> None:
        for reviewer in (item["reviewed_by_id"], item["requested_reviewer_id"]):
            assert reviewer not in assignees, "a reviewer is never an assignee"
        levels = [self.env.level(pk) for pk in assignees]
        if 1 in levels:
            assert self.env.level(item["mentor_id"]) >= 3, "an L1 without an L3+ mentor"
        if (item["category"], item["priority"], item["status"]) == (
            "bug",
            "critical",
            "in_progress",
        ):
            assert max(levels, default=0) >= 3, "a critical bug in progress without an L3+"

    def check_cases(self) -> None:
        cases = Case.objects.filter(pk__in=[c.pk for c in self.cases]).values_list(
            "key",
            "state",
            "resolution",
            "fixed_version",
            "work_item__category",
            "work_item__status",
            "work_item__release_version",
        )
        for key, state, resolution, version, category, status, released in cases:
            done = WORKFLOWS[category].group_of(status) == StateGroup.DONE
            fixed = (state, resolution) == ("resolved", "fixed")
            assert fixed == done, f"{key}: {state}/{resolution}, its item is {status}"
            if fixed:
                assert version == released

    def check_decisions(self, item: dict[str, Any], assignees: set[int]) -> None:
        raise NotImplementedError

    def check_released(self, item: dict[str, Any], shipped: set[str]) -> None:
        """Deployed (and beyond) only with a release version and an environment recorded."""
        if item["status"] in shipped:
            assert item["release_version"] and item["deployed_environment"], item["status"]


class BugMachine(WorkflowMachine):
    category = "bug"

    def check_decisions(self, item: dict[str, Any], assignees: set[int]) -> None:
        self.check_released(item, {"awaiting_validation", "closed"})
        if item["status"] == "closed":
            (last, _, _, by), (before, _, _, _) = self.history[-1], self.history[-2]
            assert (last, before) == ("validate", "deploy")
            assert self.env.person(by).has_role("l2_engineer")
        if item["status"] in ("rejected", "duplicate"):
            assert self.history[-1][0] in ("reject", "recategorise", "mark_duplicate")


POST_APPROVAL = {
    "feature": {
        "approved",
        "scheduled",
        "in_progress",
        "in_review",
        "in_testing",
        "in_release",
        "awaiting_acceptance",
        "done",
    },
    "improvement": {"approved", "in_progress", "in_review", "done"},
}


class FeatureMachine(WorkflowMachine):
    category = "feature"

    @precondition(lambda self: self.status in ("submitted", "under_review"))
    @rule(as_role=st.sampled_from(["product_manager", "rte"]))
    def one_person_approves_in_both_roles(self, as_role: str) -> None:
        """``dual`` is PM and RTE at once and approves as one role, then tries the other."""
        assert self.item is not None
        item = WorkItem.objects.get(pk=self.item.pk)
        data = {"as_role": as_role, **dict.fromkeys(WSJF, 5)}
        self.attempt(item, "approve", "dual", data)

    @precondition(lambda self: self.status == "under_review")
    @rule(data=st.data(), action=st.sampled_from(["defer", "reject"]))
    def the_role_still_to_decide_gives_up(self, data: st.DataObject, action: str) -> None:
        """A role decides once: after one approval, the other role defers or rejects."""
        assert self.item is not None
        item = WorkItem.objects.get(pk=self.item.pk)
        who = "rte" if item.pm_decision else "pm"
        t = self.workflow.transition(action)
        assert t is not None
        self.attempt(item, action, who, data.draw(inputs(self.env, t), label="input"))

    def check_decisions(self, item: dict[str, Any], assignees: set[int]) -> None:
        self.check_released(item, {"awaiting_acceptance", "done"})
        if item["status"] in POST_APPROVAL["feature"]:
            assert (item["pm_decision"], item["rte_decision"]) == ("approve", "approve")
            pm, rte = item["pm_decided_by_id"], item["rte_decided_by_id"]
            assert None not in (pm, rte) and pm != rte, "two different people approve"
            assert self.env.person(pm).has_role("product_manager")
            assert self.env.person(rte).has_role("rte")
            assert None not in (item[name] for name in WSJF)
            into = [h for h in self.history if h[2] == "approved" and h[1] != "approved"]
            assert into and all(h[0] == "approve" for h in into)
        if item["status"] == "done":
            assert self.history[-1][0] == "accept"


class ImprovementMachine(WorkflowMachine):
    category = "improvement"

    def check_decisions(self, item: dict[str, Any], assignees: set[int]) -> None:
        if item["status"] in POST_APPROVAL["improvement"]:
            assert "approve" in (item["pm_decision"], item["rte_decision"])
            assert item["team_id"] is not None
        if item["status"] == "done":
            action, _, _, by = self.history[-1]
            assert action == "verify"
            verifier = self.env.person(by)
            assert verifier.pk == item["created_by_id"] or verifier.has_role("l2_engineer")
            assert item["reviewed_by_id"] is not None


MACHINES = {"bug": BugMachine, "feature": FeatureMachine, "improvement": ImprovementMachine}
#: The states a run must have reached at least this often, or it proved little.
MUST_REACH = {
    "bug": {"closed": 3, "reopened": 2, "in_progress": 10, "needs_info": 2, "rejected": 2},
    "feature": {"approved": 4, "done": 2, "deferred": 2, "rejected": 2},
    # Deferral is one decision among six in an improvement's review; the bounded runs reach it
    # once or twice depending on what ran before in the process, so one is required.
    "improvement": {"approved": 10, "done": 2, "deferred": 1, "rejected": 2},
}
#: Bounded, deterministic runs. A bug's delivery is the longest path (ten transitions and a
#: validation), so its runs are longer.
RUNS = {
    category: settings(
        max_examples=examples,
        stateful_step_count=steps,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    for category, examples, steps in (("bug", 10, 80), ("feature", 12, 70), ("improvement", 15, 50))
}


@pytest.mark.django_db
@pytest.mark.parametrize("category", list(MACHINES))
def test_workflow_machine(env: Env, db: None, category: str) -> None:
    global ENV  # noqa: PLW0603  (the machine's class is instantiated by Hypothesis)
    ENV = env
    env.reached[category] = Counter()
    run_state_machine_as_test(MACHINES[category], settings=RUNS[category])
    reached = env.reached[category]
    short = {s: n for s, n in MUST_REACH[category].items() if reached[s] < n}
    assert not short, f"the runs reached too little: {dict(reached)}"
