"""The three development workflows, exhaustively: every state x action x role, allowed or refused.

The expected tables below are written from PRODUCT §4, issue 3 and decision 0004 (planning), not
read from ``workitems.definitions``; ``test_the_tables_are_the_definitions`` then asserts that the
definitions say exactly the same, so a change to a workflow that is not in the spec fails here.

What a cell means. "Allowed" means the state gate and the role gate pass: the subject is in a
source state of the action and the actor is one of the people the table names. Every cell is run
through ``work_item_transition`` with valid input, so that only the state and the role decide:

* the ladder policies are satisfied (bugs are ``major``, no item sits on a critical component,
  the people assigned are L4 ``lead`` or the actor, an L1 with ``lead`` as mentor);
* the actions only an assignee may take (``start``, ``submit_review``) are taken by an assignee:
  in a cell whose actor can be assigned, the RTE first assigns the actor (inside the cell);
* reviews are made by someone who is not an assignee (the assignee is ``lead``);
* ``verify`` (improvements): the proposer is the tester ``qa``, and the change was reviewed.

Some gates are finer than a role and are written in the tables as people: ``assign`` is for the
RTE, DevOps and L3+ developers; ``verify`` for L2 and the improvement's proposer. DevOps passes
the role gate of ``start`` and ``submit_review`` on bugs and feature requests (the delivery stages
are shared with improvements), but only developers can be assigned to those, so a DevOps engineer
is refused there as not an assignee.

A successful cell ends in the table's target and writes exactly one transition audit event
(``field="status"``, ``data={"transition": true}``, the actor, the old and new status), field
events of the same action only, and one ``work_item.transitioned`` outbox row. A refused cell
lists a reason with code ``state`` exactly when the state gate fails and one with code ``role``
exactly when the role gate fails, and writes nothing: no row in any table, the item unchanged.

Subjects are built once per module through the services (never by setting a status), one per
state (two where the state has a variant that matters: a feature request one role has approved,
an improvement with or without a sprint); each cell runs in a savepoint rolled back after it.
That every state is reachable is also proven by the state machines (test_workflow_machines.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.forms.models import model_to_dict

from casebridge.accounts.models import Role, Team, User
from casebridge.accounts.services import team_create, user_create
from casebridge.audit.models import AuditEvent
from casebridge.core.actors import SYSTEM
from casebridge.core.errors import TransitionRefused
from casebridge.integrations.models import OutboxMessage
from casebridge.sprints.models import Sprint
from casebridge.sprints.selectors.sprints import today
from casebridge.sprints.services import sprint_create
from casebridge.workitems.definitions import WORKFLOWS
from casebridge.workitems.models import WorkItem
from casebridge.workitems.services import work_item_create, work_item_transition
from tests import factories
from tests.contract.support import rolled_back, shared_by_module, snapshot

# --- who acts ------------------------------------------------------------------------------------

#: One column per role of ``accounts.models.Role`` (developers once per level, since levels gate
#: some actions), the administrator (a superuser) and Casebridge itself.
ACTORS: dict[str, str | None] = {
    "reporter": "cust_a",
    "partner": "partner",
    "l1_agent": "l1",
    "l2_engineer": "l2",
    "rte": "rte",
    "product_manager": "pm",
    "developer L1": "dev1",
    "developer L2": "dev2",
    "developer L3": "dev3",
    "developer L4": "dev4",
    "devops": "devops",
    "qa": "qa",
    "admin": "admin",
    "system": None,
}
RTE, PM, L2 = frozenset({"rte"}), frozenset({"product_manager"}), frozenset({"l2_engineer"})
DEVOPS, QA, SYS = frozenset({"devops"}), frozenset({"qa"}), frozenset({"system"})
SENIOR_DEVS = frozenset({"developer L3", "developer L4"})
DEVS = frozenset({"developer L1", "developer L2"}) | SENIOR_DEVS
DECIDERS = PM | RTE
ASSIGNERS = RTE | DEVOPS | SENIOR_DEVS
#: The improvement's proposer, whoever they are (here the tester who proposed it).
PROPOSER = frozenset({"proposer"})

#: Who can be assigned (and so start and submit for review): developers, and DevOps on
#: improvements (PRODUCT §4: bugs and features are worked by "assigned developers").
ASSIGNABLE = {"bug": DEVS, "feature": DEVS, "improvement": DEVS | DEVOPS}

STAY = "(stays)"
#: The feature's approval: "approved" once both the PM and the RTE approved, else under review.
BOTH_APPROVED = "(approved once both approve, else under_review)"

# --- the tables (PRODUCT §4; decision 0004 for schedule/reschedule) -------------------------------


def S(*states: str) -> frozenset[str]:
    return frozenset(states)


# fmt: off
BUG_STATES = {
    "new": "open", "needs_info": "open", "triaged": "open",
    "scheduled": "active", "in_progress": "active", "in_review": "active",
    "in_testing": "active", "in_release": "active", "awaiting_validation": "active",
    "reopened": "active",
    "closed": "done", "rejected": "rejected", "duplicate": "rejected",
}
UNPLANNED = S("new", "triaged", "needs_info")
#  action              from                                   to                     who may
BUG: dict[str, tuple[frozenset[str], str, frozenset[str]]] = {
    "triage":          (S("new", "triaged"),                  "triaged",             RTE),
    "needs_info":      (S("new", "triaged"),                  "needs_info",          RTE),
    "provide_info":    (S("needs_info"),                      "new",                 L2),
    "reject":          (UNPLANNED,                            "rejected",            RTE),
    "recategorise":    (UNPLANNED,                            "rejected",            RTE),
    "mark_duplicate":  (UNPLANNED,                            "duplicate",           RTE),
    "schedule":        (S("triaged"),                         "scheduled",           RTE),
    "reschedule":      (S("scheduled", "in_progress", "in_review", "in_testing", "reopened"),
                                                              STAY,                  RTE | SYS),
    "assign":          (S("scheduled", "in_progress", "reopened"), STAY,             ASSIGNERS),
    "start":           (S("scheduled", "reopened"),           "in_progress",         DEVS | DEVOPS),
    "submit_review":   (S("in_progress"),                     "in_review",           DEVS | DEVOPS),
    "approve_review":  (S("in_review"),                       "in_testing",          DEVS),
    "request_changes": (S("in_review"),                       "in_progress",         DEVS),
    "test_pass":       (S("in_testing"),                      "in_release",          QA | DEVS),
    "test_fail":       (S("in_testing"),                      "in_progress",         QA | DEVS),
    "release":         (S("in_release"),                      STAY,                  DEVOPS | RTE),
    "deploy":          (S("in_release"),                      "awaiting_validation", DEVOPS | RTE),
    "validate":        (S("awaiting_validation"),             "closed",              L2),
    "fail_validation": (S("awaiting_validation"),             "reopened",            L2),
}

FEATURE_STATES = {
    "submitted": "open", "under_review": "open", "approved": "open", "deferred": "open",
    "scheduled": "active", "in_progress": "active", "in_review": "active",
    "in_testing": "active", "in_release": "active", "awaiting_acceptance": "active",
    "done": "done", "rejected": "rejected",
}
DECIDING = S("submitted", "under_review")
FEATURE: dict[str, tuple[frozenset[str], str, frozenset[str]]] = {
    "start_review":    (S("submitted"),                       "under_review",        DECIDERS),
    "approve":         (DECIDING,                             BOTH_APPROVED,         DECIDERS),
    "reject":          (DECIDING,                             "rejected",            DECIDERS),
    "defer":           (DECIDING,                             "deferred",            DECIDERS),
    "reconsider":      (S("deferred"),                        "under_review",        DECIDERS),
    "schedule":        (S("approved"),                        "scheduled",           RTE),
    "reschedule":      (S("scheduled", "in_progress", "in_review", "in_testing"),
                                                              STAY,                  RTE | SYS),
    "assign":          (S("approved", "scheduled", "in_progress"), STAY,             ASSIGNERS),
    "start":           (S("scheduled"),                       "in_progress",         DEVS | DEVOPS),
    "submit_review":   (S("in_progress"),                     "in_review",           DEVS | DEVOPS),
    "approve_review":  (S("in_review"),                       "in_testing",          DEVS),
    "request_changes": (S("in_review"),                       "in_progress",         DEVS),
    "test_pass":       (S("in_testing"),                      "in_release",          QA | DEVS),
    "test_fail":       (S("in_testing"),                      "in_progress",         QA | DEVS),
    "release":         (S("in_release"),                      STAY,                  DEVOPS | RTE),
    "deploy":          (S("in_release"),                      "awaiting_acceptance", DEVOPS | RTE),
    "accept":          (S("awaiting_acceptance"),             "done",                PM | L2),
}

IMPROVEMENT_STATES = {
    "proposed": "open", "under_review": "open", "approved": "open", "deferred": "open",
    "in_progress": "active", "in_review": "active", "done": "done", "rejected": "rejected",
}
PROPOSING = S("proposed", "under_review")
IMPROVEMENT: dict[str, tuple[frozenset[str], str, frozenset[str]]] = {
    "start_review":    (S("proposed"),                        "under_review",        DECIDERS),
    "approve":         (PROPOSING,                            "approved",            DECIDERS),
    "reject":          (PROPOSING,                            "rejected",            DECIDERS),
    "defer":           (PROPOSING,                            "deferred",            DECIDERS),
    "reconsider":      (S("deferred"),                        "under_review",        DECIDERS),
    "schedule":        (S("approved"),                        STAY,                  RTE),
    "reschedule":      (S("approved", "in_progress", "in_review"), STAY,             RTE | SYS),
    "assign":          (S("approved", "in_progress"),         STAY,                  ASSIGNERS),
    "start":           (S("approved"),                        "in_progress",         DEVS | DEVOPS),
    "submit_review":   (S("in_progress"),                     "in_review",           DEVS | DEVOPS),
    "approve_review":  (S("in_review"),                       STAY,                  DEVS | DEVOPS),
    "request_changes": (S("in_review"),                       "in_progress",         DEVS | DEVOPS),
    "verify":          (S("in_review"),                       "done",                L2 | PROPOSER),
}
# fmt: on

TABLES = {"bug": BUG, "feature": FEATURE, "improvement": IMPROVEMENT}
STATES = {"bug": BUG_STATES, "feature": FEATURE_STATES, "improvement": IMPROVEMENT_STATES}
CELLS = [(category, action) for category, table in TABLES.items() for action in table]

#: The roles a table's people stand for, to compare with a definition's role gate. A proposer
#: can be anyone internal, so ``verify``'s gate admits every internal role and the verifier check
#: narrows it to the proposer or L2.
INTERNAL_ROLES = frozenset(Role.values) - {Role.REPORTER, Role.PARTNER}


def roles_of(who: frozenset[str]) -> frozenset[str]:
    roles: set[str] = set()
    for person in who:
        if person.startswith("developer"):
            roles.add("developer")
        elif person == "proposer":
            roles |= INTERNAL_ROLES
        else:
            roles.add(person)
    return frozenset(roles)


@pytest.mark.parametrize("category", list(TABLES))
def test_the_tables_are_the_definitions(category: str) -> None:
    workflow = WORKFLOWS[category]
    assert {s.name: s.group.value for s in workflow.states} == STATES[category]
    table = TABLES[category]
    assert [t.action for t in workflow.transitions] == list(table)
    for transition in workflow.transitions:
        sources, target, who = table[transition.action]
        assert transition.sources == sources, transition.action
        assert transition.roles == roles_of(who), transition.action
        if target == STAY:
            assert transition.targets() == frozenset(), transition.action
        elif target == BOTH_APPROVED:
            assert transition.targets() == {"approved", "under_review"}, transition.action
        else:
            assert transition.targets() == {target}, transition.action
    assert set(ACTORS) - {"system"} >= {
        *(r for r in Role.values if r != "developer"),
        *(f"developer L{n}" for n in range(1, 5)),
    }


# --- subjects in every state, built through the services ------------------------------------------


@dataclass
class Matrix:
    world: factories.World
    sprints: dict[str, Sprint]
    target: WorkItem  # what mark_duplicate points at
    subjects: dict[str, dict[str, WorkItem]]  # category -> label -> item
    actors: dict[str, Any]  # column -> user (or the system actor)

    def data(self, category: str, action: str) -> dict[str, Any]:
        """Valid input for each action, so that only the state and the role decide."""
        team = "everyone" if category == "improvement" else "core"
        revisit = (today() + timedelta(days=60)).isoformat()
        inputs: dict[str, dict[str, Any]] = {
            "triage": {"priority": "major", "impact": "3% of EU card payments fail"},
            "needs_info": {"reason": "Which gateway version?"},
            "provide_info": {"reason": "Gateway 2.3.1"},
            "reject": {"reason": "Not now"},
            "recategorise": {
                "category": "feature",
                "reason": "A new capability",
                "justification": "Finance teams ask for it",
                "impact_assessment": "Twelve customers",
            },
            "mark_duplicate": {"duplicate_of": self.target.key},
            "schedule": {"sprint": self.sprints[f"{team} now"].pk},
            "reschedule": {"sprint": self.sprints[f"{team} next"].pk, "reason": "Carried over"},
            "assign": {"assignees": ["lead"]},
            "start": {},
            "submit_review": {"reviewer": "rev"},
            "approve_review": {},
            "request_changes": {"reason": "Add a regression test"},
            "test_pass": {"evidence": "42 checkout tests pass"},
            "test_fail": {"evidence": "The refund test fails"},
            "release": {"version": "4.2.3"},
            "deploy": {"environment": "production"},
            "validate": {},
            "fail_validation": {"reason": "Still a 502 for Visa cards"},
            "start_review": {},
            "approve": {"team": "everyone"} if category == "improvement" else WSJF,
            "defer": {"reason": "After the freeze", "revisit_on": revisit},
            "reconsider": {},
            "accept": {},
            "verify": {},
        }
        return inputs[action]


WSJF = {"business_value": 8, "time_criticality": 5, "risk_reduction": 3, "job_size": 4}
DOCS = {"description": "Checkout fails", "steps_to_reproduce": "Pay", "actual_result": "502"}

Path = list[tuple[str, str, dict[str, Any]]]


def _paths(data: Any) -> dict[str, dict[str, Path]]:
    """How each subject gets to its state: (actor, action, input) steps through the service."""
    delivery: Path = [
        ("rte", "assign", {"assignees": ["lead"]}),
        ("lead", "start", {}),
    ]
    review: Path = [("lead", "submit_review", {"reviewer": "rev"}), ("rev", "approve_review", {})]
    released: Path = [
        ("qa", "test_pass", {"evidence": "All green"}),
        ("devops", "release", {"version": "4.2.2"}),
    ]
    triaged: Path = [("rte", "triage", data("bug", "triage"))]
    bug_in_progress = [*triaged, ("rte", "schedule", data("bug", "schedule")), *delivery]
    bug_released = [*bug_in_progress, *review, *released]
    bug_deployed = [*bug_released, ("devops", "deploy", {"environment": "production"})]
    decided: Path = [("pm", "approve", WSJF), ("rte", "approve", {})]
    feature_in_progress = [*decided, ("rte", "schedule", data("feature", "schedule")), *delivery]
    feature_released = [*feature_in_progress, *review, *released]
    approved: Path = [("rte", "approve", {"team": "everyone"})]
    scheduled: Path = [*approved, ("rte", "schedule", data("improvement", "schedule"))]
    return {
        "bug": {
            "new": [],
            "needs_info": [("rte", "needs_info", data("bug", "needs_info"))],
            "triaged": triaged,
            "scheduled": bug_in_progress[:2],
            "in_progress": bug_in_progress,
            "in_review": bug_in_progress + review[:1],
            "in_testing": bug_in_progress + review,
            "in_release": bug_released,
            "awaiting_validation": bug_deployed,
            "reopened": [*bug_deployed, ("l2", "fail_validation", {"reason": "Still fails"})],
            "closed": [*bug_deployed, ("l2", "validate", {})],
            "rejected": [("rte", "reject", {"reason": "Works as designed"})],
            "duplicate": [("rte", "mark_duplicate", data("bug", "mark_duplicate"))],
        },
        "feature": {
            "submitted": [],
            "under_review": [("pm", "start_review", {})],
            "under_review (PM approved)": [("pm", "approve", WSJF)],
            "under_review (RTE approved)": [("rte", "approve", WSJF)],
            "deferred": [("pm", "defer", data("feature", "defer"))],
            "approved": decided,
            "scheduled": feature_in_progress[:3],
            "in_progress": feature_in_progress,
            "in_review": feature_in_progress + review[:1],
            "in_testing": feature_in_progress + review,
            "in_release": feature_released,
            "awaiting_acceptance": [
                *feature_released,
                ("rte", "deploy", {"environment": "staging"}),
            ],
            "done": [
                *feature_released,
                ("rte", "deploy", {"environment": "staging"}),
                ("pm", "accept", {}),
            ],
            "rejected": [("rte", "reject", {"reason": "Not our market"})],
        },
        "improvement": {
            "proposed": [],
            "under_review": [("rte", "start_review", {})],
            "deferred": [("pm", "defer", data("improvement", "defer"))],
            "approved": approved,
            "approved (in a sprint)": scheduled,
            "in_progress": scheduled + delivery,
            "in_review (reviewed)": scheduled + delivery + review,
            "done": [*scheduled, *delivery, *review, ("l2", "verify", {})],
            "rejected": [("pm", "reject", {"reason": "Not worth it"})],
        },
    }


PROPOSED_BY = {"bug": "l2", "feature": "l2", "improvement": "qa"}


def build(world: factories.World) -> Matrix:
    lead = user_create(
        actor=None, username="lead", email="lead@example.com", roles=["developer"], level="L4"
    )
    rev = user_create(
        actor=None, username="rev", email="rev@example.com", roles=["developer"], level="L3"
    )
    developers = [world[f"dev{n}"] for n in range(1, 5)]
    everyone = team_create(
        actor=None, name="Everyone", members=[*developers, world["devops"], lead]
    )
    core = Team.objects.get(slug="core-team")
    day = today()
    sprints = {}
    for team, name in ((core, "core"), (everyone, "everyone")):
        sprints[f"{name} now"] = sprint_create(
            actor=None,
            team=team,
            name="Now",
            start=day - timedelta(days=3),
            end=day + timedelta(10),
        )
        sprints[f"{name} next"] = sprint_create(
            actor=None, team=team, name="Next", start=day + timedelta(11), end=day + timedelta(24)
        )
    target = work_item_create(actor=world["l2"], category="bug", title="The original", docs=DOCS)
    actors = {
        column: SYSTEM
        if name is None
        else User.objects.prefetch_related("role_grants").get(username=name)
        for column, name in ACTORS.items()
    }
    matrix = Matrix(world, sprints, target, {}, actors)
    people: dict[str, Any] = {**world.users, "lead": lead, "rev": rev}
    for category, paths in _paths(matrix.data).items():
        matrix.subjects[category] = {}
        for label, path in paths.items():
            item = work_item_create(
                actor=world[PROPOSED_BY[category]],
                category=category,
                title=f"A {category} that is {label}",
                docs=DOCS,
            )
            for username, action, data in path:
                item = work_item_transition(
                    actor=people[username], item=item, action=action, data=data
                )
            assert label.split(" ")[0] == item.status, (category, label, item.status)
            matrix.subjects[category][label] = WorkItem.objects.get(pk=item.pk)
    return matrix


@pytest.fixture(scope="module")
def shared(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Matrix]:
    """One world and its subjects for the module; every test works in a savepoint inside it."""
    with django_db_blocker.unblock(), shared_by_module(tmp_path_factory.mktemp("media")):
        yield build(factories.build_world())


@pytest.fixture
def matrix(shared: Matrix, db: None) -> Matrix:
    return shared


# --- the cells ------------------------------------------------------------------------------------


def actor_for(matrix: Matrix, column: str) -> Any:
    return matrix.actors[column]


def may(who: frozenset[str], column: str, actor: Any, item: WorkItem) -> bool:
    return column in who or ("proposer" in who and getattr(actor, "pk", None) == item.created_by_id)


def expected_gate(category: str, action: str, column: str, actor: Any, item: WorkItem) -> set[str]:
    sources, _, who = TABLES[category][action]
    gate = set()
    if item.status not in sources:
        gate.add("state")
    if not may(who, column, actor, item):
        gate.add("role")
    return gate


def unavoidable(category: str, action: str, column: str, item: WorkItem) -> set[str]:
    """Reasons a cell whose gates pass still gets.

    DevOps is never a bug's or feature's assignee; ``schedule`` puts an improvement that is in no
    sprint into one, and ``reschedule`` moves an item that is in a sprint (decision 0004); a role
    that decided on a feature request does not decide again in the same review round.
    """
    if action in ("start", "submit_review") and column not in ASSIGNABLE[category]:
        return {"not_assignee"}
    if action == "schedule" and category == "improvement" and item.sprint_id is not None:
        return {"in_sprint"}
    if action == "reschedule" and item.sprint_id is None:
        return {"not_in_sprint"}
    decision = {"product_manager": item.pm_decision, "rte": item.rte_decision}.get(column)
    if action in ("approve", "reject", "defer") and decision:
        return {"decided"}  # a role decides once per review round (issue 10)
    return set()


def expected_target(category: str, action: str, item: WorkItem, column: str) -> str:
    target = TABLES[category][action][1]
    if target == STAY:
        return item.status
    if target == BOTH_APPROVED:
        other = item.rte_decision if column == "product_manager" else item.pm_decision
        return "approved" if other == "approve" else "under_review"
    return target


def assign_actor(matrix: Matrix, category: str, action: str, column: str, item: WorkItem) -> bool:
    """For start / submit_review: the RTE first assigns the actor (an L1 under ``lead``)."""
    assignable = TABLES[category]["assign"][0]
    username = ACTORS[column]
    if action not in ("start", "submit_review") or item.status not in assignable:
        return False
    if column not in ASSIGNABLE[category] or username is None:
        return False
    data: dict[str, Any] = {"assignees": [username]}
    if column == "developer L1":
        data["mentor"] = "lead"
    work_item_transition(actor=matrix.world["rte"], item=item, action="assign", data=data)
    return True


def _last_id(model: Any) -> int:
    return model.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _row(item: WorkItem) -> dict[str, Any]:
    row = model_to_dict(WorkItem.objects.get(pk=item.pk))
    row["assignees"] = sorted(u.pk for u in row["assignees"])
    return row


@dataclass(frozen=True)
class Before:
    """The database before a cell: every table's row count, the item's row, the last ids."""

    counts: dict[str, Any]
    row: dict[str, Any]
    marks: tuple[int, int]

    @classmethod
    def take(cls, item: WorkItem) -> Before:
        return cls(snapshot(), _row(item), (_last_id(AuditEvent), _last_id(OutboxMessage)))


def run_cell(
    matrix: Matrix, category: str, action: str, label: str, column: str, baseline: Before
) -> list[str]:
    """One cell, in the savepoint the caller rolls back. ``baseline`` is the database every cell
    starts from; a cell that assigns its actor first takes its own."""
    item = matrix.subjects[category][label]
    actor = actor_for(matrix, column)
    where = f"{category} {label} x {column}"
    before = baseline
    if assign_actor(matrix, category, action, column, item):
        item = WorkItem.objects.get(pk=item.pk)
        before = Before.take(item)
    gate = expected_gate(category, action, column, actor, item)
    extra = set() if gate else unavoidable(category, action, column, item)
    try:
        result = work_item_transition(
            actor=actor, item=item, action=action, data=matrix.data(category, action)
        )
    except TransitionRefused as refusal:
        codes = {reason.code for reason in refusal.reasons}
        problems = []
        if not gate and not extra:
            problems.append(f"{where}: refused for {refusal.reasons}, expected allowed")
        elif codes & {"state", "role"} != gate or not extra <= codes:
            problems.append(f"{where}: refused for {codes}, expected {gate | extra}")
        if snapshot() != before.counts or _row(item) != before.row:
            problems.append(f"{where}: a refused action wrote something")
        return problems
    if gate or extra:
        return [f"{where}: allowed, expected refused for {gate | extra}"]
    target = expected_target(category, action, item, column)
    return [
        f"{where}: {p}" for p in check_success(item, result, before.marks, action, actor, target)
    ]


def check_success(
    item: WorkItem, result: WorkItem, marks: tuple[int, int], action: str, actor: Any, target: str
) -> list[str]:
    """The target state, and exactly the audit events and the outbox row this transition owes."""
    problems = []
    stored = WorkItem.objects.get(pk=item.pk)
    if stored.status != target or result.status != target:
        problems.append(f"ended in {stored.status}, expected {target}")
    events = list(AuditEvent.objects.filter(id__gt=marks[0], subject_key=item.key).order_by("id"))
    transitions = [
        (e.action, e.field, e.old, e.new, e.actor_id, e.data)
        for e in events
        if e.data.get("transition")
    ]
    actor_id = getattr(actor, "pk", None)
    if transitions != [(action, "status", item.status, target, actor_id, {"transition": True})]:
        problems.append(f"transition events {transitions}")
    if any(e.action != action or e.actor_id != actor_id for e in events):
        problems.append(f"foreign events {[(e.action, e.field) for e in events]}")
    outbox = [
        (m.key, m.payload)
        for m in OutboxMessage.objects.filter(id__gt=marks[1], topic="work_item.transitioned")
    ]
    payload: dict[str, Any] = {"key": item.key, "action": action, "from": item.status}
    payload |= {"to": target, "actor": getattr(actor, "username", None)}
    # the row names the change's last audit event (core.tracing)
    payload["audit_event"] = max(e.pk for e in AuditEvent.objects.filter(id__gt=marks[0]))
    if outbox != [(item.key, payload)]:
        problems.append(f"outbox rows {outbox}")
    return problems


@pytest.mark.django_db
@pytest.mark.parametrize(("category", "action"), CELLS)
def test_every_state_and_role(matrix: Matrix, category: str, action: str) -> None:
    problems: list[str] = []
    for label, item in matrix.subjects[category].items():
        baseline = Before.take(item)
        for column in ACTORS:
            with rolled_back():
                problems += run_cell(matrix, category, action, label, column, baseline)
    assert not problems, f"{category}.{action}:\n" + "\n".join(problems)


@pytest.mark.django_db
@pytest.mark.parametrize("category", list(TABLES))
def test_offered_actions_follow_the_tables(matrix: Matrix, category: str) -> None:
    """What pages and the API offer: no state or role reason exactly where the table allows."""
    workflow = WORKFLOWS[category]
    problems = []
    for label, item in matrix.subjects[category].items():
        for column in ACTORS:
            actor = actor_for(matrix, column)
            gated = {
                option.transition.action
                for option in workflow.options_for(actor, item)
                if not {r.code for r in option.reasons} & {"state", "role"}
            }
            expected = {
                action
                for action in TABLES[category]
                if not expected_gate(category, action, column, actor, item)
            }
            if gated != expected:
                problems.append(f"{label} x {column}: offered {gated}, expected {expected}")
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
@pytest.mark.parametrize("category", list(TABLES))
def test_a_subject_in_every_state(matrix: Matrix, category: str) -> None:
    statuses = {item.status for item in matrix.subjects[category].values()}
    assert statuses == set(STATES[category])
