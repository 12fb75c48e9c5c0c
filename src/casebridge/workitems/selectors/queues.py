"""The queues per role: triage, decisions, my work, review requests, validation."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import (
    Case,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)

from casebridge.accounts.models import User, as_user
from casebridge.core import clock
from casebridge.core.actors import Actor
from casebridge.workflows.engine import StateGroup
from casebridge.workitems.definitions import WORKFLOWS
from casebridge.workitems.models import WorkItem
from casebridge.workitems.selectors.boards import PRIORITY_ORDER
from casebridge.workitems.selectors.items import items_visible_to


def _sources(category: str, action: str) -> list[str]:
    transition = WORKFLOWS[category].transition(action)
    return sorted(transition.sources) if transition else []


def _finished(category: str) -> list[str]:
    return WORKFLOWS[category].states_in(StateGroup.DONE, StateGroup.REJECTED)


def _either(conditions: Iterable[Q]) -> Q:
    combined = Q(pk__in=[])
    for condition in conditions:
        combined |= condition
    return combined


def triage_queue_for(viewer: Actor) -> QuerySet[WorkItem]:
    """The RTE's triage: bugs still open (new, needs information, triaged) and in no sprint;
    feature requests and improvements waiting for a decision. Oldest first."""
    bugs = Q(category="bug", status__in=WORKFLOWS["bug"].states_in(StateGroup.OPEN))
    decisions = [
        Q(category=c, status__in=_sources(c, "approve")) for c in ("feature", "improvement")
    ]
    return (
        items_visible_to(viewer)
        .filter((bugs & Q(sprint__isnull=True)) | _either(decisions))
        .order_by("created_at", "pk")
    )


def decision_queue_for(viewer: Actor) -> QuerySet[WorkItem]:
    """Feature requests and improvements waiting for a decision of the viewer's role (PM, RTE),
    and deferred ones whose revisit date has come. Oldest first."""
    undecided = [Q(pm_decision="")] if viewer.has_role("product_manager") else []
    if viewer.has_role("rte"):
        undecided.append(Q(rte_decision=""))
    today = clock.now().date()
    waiting = [
        Q(category=c, status__in=_sources(c, "approve")) & _either(undecided)
        for c in ("feature", "improvement")
    ]
    revisit = [
        Q(category=c, status__in=_sources(c, "reconsider"), revisit_on__lte=today)
        for c in ("feature", "improvement")
    ]
    if not undecided:
        return WorkItem.objects.none()
    return (
        items_visible_to(viewer)
        .filter(_either([*waiting, *revisit]))
        .order_by("revisit_on", "created_at", "pk")
    )


def my_work_for(viewer: User) -> QuerySet[WorkItem]:
    """What the viewer is assigned to or mentors, not finished, and what their teams must pick
    up: an unassigned item of one of their teams (a scheduled bug, an improvement routed to
    DevOps). Highest priority, then oldest."""
    mine = WorkItem.assignees.through.objects.filter(user_id=viewer.pk).values("workitem_id")
    unfinished = [Q(category=c) & ~Q(status__in=_finished(c)) for c in WORKFLOWS]
    assigned = WorkItem.assignees.through.objects.values("workitem_id")
    waiting = [
        Q(category=c, status__in=sorted(assign.sources))
        for c in WORKFLOWS
        if (assign := WORKFLOWS[c].transition("assign")) is not None
    ]
    teams = viewer.teams.values("pk") if getattr(viewer, "pk", None) else []
    team_waiting = Q(team_id__in=teams) & ~Q(pk__in=assigned) & _either(waiting)
    return (
        items_visible_to(viewer)
        .filter(Q(pk__in=mine) | Q(mentor_id=viewer.pk) | team_waiting)
        .filter(_either(unfinished))
        .order_by(PRIORITY_ORDER.desc(), "created_at", "pk")
    )


def testing_queue_for(viewer: Actor) -> QuerySet[WorkItem]:
    """Items in testing, waiting for test evidence. Highest priority, then oldest."""
    testing = [Q(category=c, status="in_testing") for c in WORKFLOWS if _has_state(c, "in_testing")]
    return (
        items_visible_to(viewer)
        .filter(_either(testing))
        .order_by(PRIORITY_ORDER.desc(), "created_at", "pk")
    )


def devops_queue_for(viewer: User) -> QuerySet[WorkItem]:
    """A DevOps engineer's: unfinished items of their DevOps teams (improvements routed to them)
    and every item being released. Highest priority, then oldest."""
    teams = viewer.teams.filter(kind="devops").values("pk") if getattr(viewer, "pk", None) else []
    unfinished = [Q(category=c) & ~Q(status__in=_finished(c)) for c in WORKFLOWS]
    releasing = [
        Q(category=c, status="in_release") for c in WORKFLOWS if _has_state(c, "in_release")
    ]
    return (
        items_visible_to(viewer)
        .filter((Q(team_id__in=teams) & _either(unfinished)) | _either(releasing))
        .order_by(PRIORITY_ORDER.desc(), "created_at", "pk")
    )


def _has_state(category: str, state: str) -> bool:
    try:
        WORKFLOWS[category].state(state)
    except KeyError:
        return False
    return True


def review_requests_for(viewer: Actor) -> QuerySet[WorkItem]:
    """Items in review, not yet reviewed, where the viewer may review (a reviewer's role, not an
    assignee); those that request the viewer first, then highest priority, then oldest."""
    reviewable = []
    for category, workflow in WORKFLOWS.items():
        transition = workflow.transition("approve_review")
        if transition is not None and viewer.has_role(*transition.roles):
            reviewable.append(Q(category=category, status__in=sorted(transition.sources)))
    mine = WorkItem.assignees.through.objects.filter(user_id=as_user(viewer).pk).values(
        "workitem_id"
    )
    requested = Case(
        When(requested_reviewer_id=viewer.pk, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return (
        items_visible_to(viewer)
        .filter(_either(reviewable), reviewed_by__isnull=True)
        .exclude(pk__in=mine)
        .annotate(requested=requested)
        .order_by("-requested", PRIORITY_ORDER.desc(), "created_at", "pk")
    )


#: The action that confirms each category's delivery (L2 validation, acceptance, verification).
CONFIRMING_ACTIONS = {"bug": "validate", "feature": "accept", "improvement": "verify"}


def validation_queue_for(viewer: Actor) -> QuerySet[WorkItem]:
    """Deliveries waiting for their confirmation by the viewer: bugs awaiting L2 validation,
    feature requests awaiting acceptance (PM, L2), reviewed improvements awaiting verification
    (L2, or the proposer). Oldest first."""
    waiting = []
    for category, action in CONFIRMING_ACTIONS.items():
        transition = WORKFLOWS[category].transition(action)
        if transition is None or not viewer.has_role(*transition.roles):
            continue
        condition = Q(category=category, status__in=sorted(transition.sources))
        if category == "improvement":
            proposer = Q() if viewer.has_role("l2_engineer") else Q(created_by_id=viewer.pk)
            condition &= Q(reviewed_by__isnull=False) & proposer
        waiting.append(condition)
    return items_visible_to(viewer).filter(_either(waiting)).order_by("created_at", "pk")
