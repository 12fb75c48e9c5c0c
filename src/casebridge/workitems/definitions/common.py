"""Pieces shared by the three development workflows: roles, checks, effects, common stages."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from django.db import connection

from casebridge.accounts.models import Role, User, as_user
from casebridge.accounts.selectors import users_with_roles_where
from casebridge.core import clock, events
from casebridge.core.actors import Actor
from casebridge.core.errors import Reason
from casebridge.workflows.engine import Context, Effect, Requirement, Transition
from casebridge.workitems.events import WorkItemTransitioned
from casebridge.workitems.models import TestRecord, WorkItem
from casebridge.workitems.policies import (
    assignment_reasons,
    independence_reasons,
    independent_review,
    review_reasons,
)

Changes = Mapping[str, tuple[object, object]]
RTE = Role.RTE
PM = Role.PRODUCT_MANAGER
DEV = Role.DEVELOPER
DEVOPS = Role.DEVOPS
QA = Role.QA
L2 = Role.L2_ENGINEER
ENGINEERS = frozenset({DEV, DEVOPS})


def _names(users: Iterable[Actor]) -> str:
    return ", ".join(sorted(u.username for u in users))


def assignees_of(item: WorkItem) -> list[User]:
    """The item's assignees with their roles, read in one statement and kept in Django's
    prefetch cache of this item instance (which ``item.assignees.set()`` drops): a transition's
    checks ask several times."""
    cache: dict[str, object] = item.__dict__.setdefault("_prefetched_objects_cache", {})
    if "assignees" not in cache:
        through = connection.ops.quote_name(WorkItem.assignees.through._meta.db_table)
        users = users_with_roles_where(
            f"u.id IN (SELECT user_id FROM {through} WHERE workitem_id = %s)",  # noqa: S608
            [item.pk],
        )
        related = item.assignees.all()
        related._result_cache = users  # as prefetch_related fills it
        related._prefetch_done = True  # type: ignore[attr-defined]
        cache["assignees"] = related
    return list(item.assignees.all())


def _is(user: Actor | None, other: Actor | None) -> bool:
    return other is not None and user is not None and user.pk == other.pk


# --- checks --------------------------------------------------------------------------------------


def check_is_assignee(ctx: Context[WorkItem]) -> Iterator[Reason]:
    if not any(_is(ctx.actor, u) for u in assignees_of(ctx.subject)):
        yield Reason("not_assignee", "Only an assignee of the item may do this")


def check_not_assignee(ctx: Context[WorkItem]) -> Iterator[Reason]:
    """Asking for changes is a review: policy 5 keeps it from the assignees."""
    yield from independence_reasons(ctx.actor, assignees_of(ctx.subject))


def check_can_assign(ctx: Context[WorkItem]) -> Iterator[Reason]:
    actor = ctx.actor
    if actor.has_role(RTE) or actor.has_role(DEVOPS):
        return
    if actor.has_role(DEV) and actor.level_rank >= 3:
        return
    yield Reason("role", "Assignments are made by the RTE or an L3+ developer")


def _valid_assignees(item: WorkItem, assignees: list[User]) -> Iterator[Reason]:
    allowed = (DEV, DEVOPS) if item.category == "improvement" else (DEV,)
    wrong = [u for u in assignees if not u.has_role(*allowed)]
    if wrong:
        what = "developers or DevOps" if item.category == "improvement" else "developers"
        yield Reason("assignee_role", f"Only {what} can be assigned: {_names(wrong)}", "assignees")
    if item.category == "improvement" and item.team_id is not None:
        members = set(item.team.members.values_list("pk", flat=True)) if item.team else set()
        outsiders = [u for u in assignees if u.pk not in members]
        if outsiders:
            yield Reason(
                "team",
                f"{item.team} implements this; not members: {_names(outsiders)}",
                "assignees",
            )
    reviewer = item.reviewed_by or item.requested_reviewer
    if reviewer is not None and independent_review() and any(_is(u, reviewer) for u in assignees):
        yield Reason(
            "policy_5", f"{reviewer.username} reviews this item and cannot be assigned", "assignees"
        )


def check_assignment(ctx: Context[WorkItem]) -> Iterator[Reason]:
    """A proposed assignment: valid people, and ladder policies 1-4."""
    if ctx.preview:
        return
    assignees = list(ctx.data.get("assignees") or [])
    if not assignees:
        return  # reported by the requirement
    yield from _valid_assignees(ctx.subject, assignees)
    mentor = ctx.data.get("mentor")
    yield from assignment_reasons(ctx.subject, assignees, mentor)


def check_ready_to_start(ctx: Context[WorkItem]) -> Iterator[Reason]:
    """Work starts only with assignees that satisfy the ladder policies."""
    item: WorkItem = ctx.subject
    assignees = assignees_of(item)
    if not assignees:
        yield Reason("no_assignee", "Assign developers before starting", "assignees")
        return
    yield from assignment_reasons(item, assignees, item.mentor)


def check_review(ctx: Context[WorkItem]) -> Iterator[Reason]:
    yield from review_reasons(ctx.subject, ctx.actor, assignees_of(ctx.subject))


def check_requested_reviewer(ctx: Context[WorkItem]) -> Iterator[Reason]:
    reviewer = ctx.data.get("reviewer")
    if reviewer is None or ctx.preview:
        return
    yield from independence_reasons(reviewer, assignees_of(ctx.subject))
    if not reviewer.has_role(DEV, DEVOPS):
        yield Reason("reviewer_role", f"{reviewer.username} is not a developer", "reviewer")


def check_released(ctx: Context[WorkItem]) -> Iterator[Reason]:
    if not ctx.subject.release_version:
        yield Reason("not_released", "Record the release (version) before deploying", "version")


# --- effects -------------------------------------------------------------------------------------


def effect_assign(ctx: Context[WorkItem]) -> Changes:
    item: WorkItem = ctx.subject
    before, old_mentor = _names(assignees_of(item)), item.mentor
    assignees = list(ctx.data["assignees"])
    item.assignees.set(assignees)
    item.mentor = ctx.data.get("mentor")
    return {"assignees": (before, _names(assignees)), "mentor": (old_mentor, item.mentor)}


def effect_submit_review(ctx: Context[WorkItem]) -> Changes:
    item: WorkItem = ctx.subject
    old = item.requested_reviewer
    item.requested_reviewer = ctx.data.get("reviewer")
    item.reviewed_by = None
    return {"requested_reviewer": (old, item.requested_reviewer)}


def effect_approve_review(ctx: Context[WorkItem]) -> Changes:
    item: WorkItem = ctx.subject
    old, item.reviewed_by = item.reviewed_by, as_user(ctx.actor)
    return {"reviewed_by": (old, ctx.actor)}


def effect_back_to_work(ctx: Context[WorkItem]) -> Changes:
    item: WorkItem = ctx.subject
    old = item.reviewed_by
    item.reviewed_by = None
    item.requested_reviewer = None
    return {"reviewed_by": (old, None)}


def record_test(result: str) -> Effect[WorkItem]:
    """The effect of a test action: a test record with its evidence, whatever ``result`` is."""

    def effect(ctx: Context[WorkItem]) -> Changes:
        TestRecord.objects.create(
            work_item=ctx.subject,
            result=result,
            evidence=str(ctx.data["evidence"]).strip(),
            recorded_by=as_user(ctx.actor),
            recorded_at=clock.now(),
        )
        evidence = str(ctx.data["evidence"]).strip()[:200]
        changes: dict[str, tuple[object, object]] = {"test": ("", f"{result}: {evidence}")}
        if result == "fail":
            changes.update(effect_back_to_work(ctx))
        return changes

    return effect


def effect_release(ctx: Context[WorkItem]) -> Changes:
    item: WorkItem = ctx.subject
    old, item.release_version = item.release_version, str(ctx.data["version"]).strip()
    return {"release_version": (old, item.release_version)}


def effect_deploy(ctx: Context[WorkItem]) -> Changes:
    item: WorkItem = ctx.subject
    old, item.deployed_environment = item.deployed_environment, str(ctx.data["environment"])
    return {"deployed_environment": (old, item.deployed_environment)}


def effect_finish(ctx: Context[WorkItem]) -> Changes:
    ctx.subject.closed_at = clock.now()
    return {}


def transitioned(ctx: Context[WorkItem], action: str, old: str, new: str) -> WorkItemTransitioned:
    """The event every development workflow publishes after a transition."""
    item: WorkItem = ctx.subject
    return WorkItemTransitioned(
        key=item.key,
        work_item_id=item.pk,
        category=item.category,
        action=action,
        from_state=old,
        to_state=new,
        actor_id=events.actor_id(ctx.actor),
        reason=str(ctx.data.get("reason") or ""),
        sprint_id=item.sprint_id,
        sprint_given=ctx.data.get("sprint") is not None,
    )


# --- the delivery stages every category shares ---------------------------------------------------


def delivery(
    *,
    assignable: frozenset[str],
    startable: frozenset[str],
    review_target: str,
    reviewers: frozenset[str] = frozenset({DEV}),
) -> tuple[Transition[WorkItem], ...]:
    """assign, start, submit for review, review (approve / request changes)."""
    return (
        Transition(
            "assign",
            "Assign",
            assignable,
            None,
            frozenset({RTE, DEV, DEVOPS}),
            requires=(Requirement("assignees", "Name at least one assignee"),),
            checks=(check_can_assign, check_assignment),
            effect=effect_assign,
            accepts=("mentor",),
            description="Set the assignees (and a mentor for L1 developers).",
        ),
        Transition(
            "start",
            "Start work",
            startable,
            "in_progress",
            ENGINEERS,
            checks=(check_is_assignee, check_ready_to_start),
            style="primary",
        ),
        Transition(
            "submit_review",
            "Submit for review",
            frozenset({"in_progress"}),
            "in_review",
            ENGINEERS,
            checks=(check_is_assignee, check_requested_reviewer),
            effect=effect_submit_review,
            accepts=("reviewer",),
            style="primary",
        ),
        Transition(
            "approve_review",
            "Approve review",
            frozenset({"in_review"}),
            review_target or None,
            reviewers,
            checks=(check_review,),
            effect=effect_approve_review,
            # an optional note of the review, recorded as the event's reason (the timeline)
            accepts=("reason",),
            style="primary",
        ),
        Transition(
            "request_changes",
            "Request changes",
            frozenset({"in_review"}),
            "in_progress",
            reviewers,
            requires=(Requirement("reason", "Say what must change"),),
            checks=(check_not_assignee,),
            effect=effect_back_to_work,
            style="danger",
        ),
    )


def testing_and_release(*, deployed_target: str) -> tuple[Transition[WorkItem], ...]:
    """Test evidence (pass / fail), release with a version, deployment to an environment."""
    evidence = (Requirement("evidence", "Record the test evidence"),)
    return (
        Transition(
            "test_pass",
            "Tests passed",
            frozenset({"in_testing"}),
            "in_release",
            frozenset({QA, DEV}),
            requires=evidence,
            effect=record_test("pass"),
            style="primary",
        ),
        Transition(
            "test_fail",
            "Tests failed",
            frozenset({"in_testing"}),
            "in_progress",
            frozenset({QA, DEV}),
            requires=evidence,
            effect=record_test("fail"),
            style="danger",
        ),
        Transition(
            "release",
            "Record release",
            frozenset({"in_release"}),
            None,
            frozenset({DEVOPS, RTE}),
            requires=(Requirement("version", "Give the release version"),),
            effect=effect_release,
        ),
        Transition(
            "deploy",
            "Deployed",
            frozenset({"in_release"}),
            deployed_target,
            frozenset({DEVOPS, RTE}),
            requires=(Requirement("environment", "Name the environment it was deployed to"),),
            checks=(check_released,),
            effect=effect_deploy,
            style="primary",
        ),
    )
