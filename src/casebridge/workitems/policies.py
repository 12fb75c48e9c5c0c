"""The developer-ladder policies (PRODUCT §4) as data with defaults an admin can change.

Each policy is a function over an assignment or a review that yields the reasons it is broken.
Whether it applies, and the senior level it asks for, come from ``LadderPolicy`` rows; without a
row the default (enabled, L3; L4 for a sev-1 owner, L2 for an anomaly responder) holds. Policies
6-8 are checked by the incidents and monitoring apps (`incidents.policies`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from casebridge.accounts.models import User
from casebridge.core.actors import Actor
from casebridge.core.errors import Reason
from casebridge.workitems.models import LadderPolicy, PolicyCode, Priority, WorkItem

DEFAULT_LEVEL = 3
#: Policies whose default level is not L3: a sev-1 owner is L4, an anomaly responder L2.
DEFAULT_LEVELS: dict[str, int] = {
    PolicyCode.INCIDENT_OWNER: 4,
    PolicyCode.ANOMALY_RESPONDER: 2,
}


def default_level(code: str) -> int:
    return DEFAULT_LEVELS.get(code, DEFAULT_LEVEL)


@dataclass(frozen=True)
class Setting:
    enabled: bool
    level: int


def setting(code: PolicyCode) -> Setting:
    return settings_of(code)[code]


def settings_of(*codes: PolicyCode) -> dict[str, Setting]:
    """The settings of ``codes``, read in one statement (a transition checks several)."""
    rows = LadderPolicy.objects.filter(code__in=codes).values_list("code", "enabled", "min_level")
    found = {code: Setting(enabled, level) for code, enabled, level in rows}
    return {code: found.get(code) or Setting(True, default_level(code)) for code in codes}


def _senior(users: Sequence[User], level: int) -> bool:
    return any(u.level_rank >= level for u in users)


def _names(users: Sequence[Actor]) -> str:
    return ", ".join(f"{u.display_name} ({u.level or 'no level'})" for u in users)


def assignment_reasons(
    item: WorkItem, assignees: Sequence[User], mentor: User | None
) -> Iterator[Reason]:
    """Policies 1-4 over a proposed set of assignees and mentor.

    They are the developer ladder's: a change carried by the DevOps team alone (no developer among
    the assignees) is outside them.
    """
    if not any(u.has_role("developer") for u in assignees):
        return
    rules = settings_of(*LADDER_1_4)
    yield from _critical_needs_senior(item, assignees, rules[PolicyCode.CRITICAL_NEEDS_SENIOR])
    yield from _junior_needs_mentor(assignees, mentor, rules[PolicyCode.JUNIOR_NEEDS_MENTOR])
    yield from _associate_solo(item, assignees, rules[PolicyCode.ASSOCIATE_SOLO])
    yield from _critical_component(item, assignees, rules[PolicyCode.CRITICAL_COMPONENT])


#: The policies of an assignment, read together.
LADDER_1_4 = (
    PolicyCode.CRITICAL_NEEDS_SENIOR,
    PolicyCode.JUNIOR_NEEDS_MENTOR,
    PolicyCode.ASSOCIATE_SOLO,
    PolicyCode.CRITICAL_COMPONENT,
)


def _critical_needs_senior(
    item: WorkItem, assignees: Sequence[User], rule: Setting
) -> Iterator[Reason]:
    if rule.enabled and item.priority == Priority.CRITICAL and not _senior(assignees, rule.level):
        yield Reason(
            "policy_1",
            f"A critical bug needs an L{rule.level}+ developer among its assignees "
            f"(proposed: {_names(assignees)})",
            "assignees",
        )


def _junior_needs_mentor(
    assignees: Sequence[User], mentor: User | None, rule: Setting
) -> Iterator[Reason]:
    juniors = [u for u in assignees if u.level_rank == 1]
    if not rule.enabled or not juniors:
        return
    if mentor is None:
        yield Reason(
            "policy_2",
            f"{_names(juniors)} works under guidance: name a mentor of level L{rule.level}+",
            "mentor",
        )
    elif mentor.level_rank < rule.level:
        yield Reason(
            "policy_2", f"The mentor must be L{rule.level}+ ({_names([mentor])} is not)", "mentor"
        )


def _associate_solo(item: WorkItem, assignees: Sequence[User], rule: Setting) -> Iterator[Reason]:
    """L2 developers take minor and major bugs on their own; with the policy off, they never do."""
    if (
        item.category != "bug"
        or _senior(assignees, rule.level)
        or item.priority == Priority.CRITICAL
    ):
        return  # critical bugs are policy 1's business
    if not rule.enabled and any(u.level_rank == 2 for u in assignees):
        yield Reason(
            "policy_3",
            "L2 developers may not take bugs on their own here: add an L3+ developer",
            "assignees",
        )


def _critical_component(
    item: WorkItem, assignees: Sequence[User], rule: Setting
) -> Iterator[Reason]:
    component = item.component
    if (
        rule.enabled
        and component is not None
        and component.critical
        and not _senior(assignees, rule.level)
    ):
        yield Reason(
            "policy_4",
            f"{component.name} is a critical component: it needs an L{rule.level}+ assignee",
            "assignees",
        )


def independent_review() -> bool:
    """Whether policy 5 holds: switched off, anyone may review, an assignee included."""
    return setting(PolicyCode.INDEPENDENT_REVIEW).enabled


def independence_reasons(reviewer: Actor, assignees: Sequence[User]) -> Iterator[Reason]:
    """Policy 5's first half for one reviewer: the one reviewing, or the one asked to review."""
    if independent_review() and any(u.pk == reviewer.pk for u in assignees):
        yield Reason("policy_5", "A reviewer is never an assignee of the item", "reviewer")


def review_reasons(item: WorkItem, reviewer: Actor, assignees: Sequence[User]) -> Iterator[Reason]:
    """Policy 5: independent review, and a senior reviewer for critical items."""
    rule = setting(PolicyCode.INDEPENDENT_REVIEW)
    if not rule.enabled:
        return
    if any(u.pk == reviewer.pk for u in assignees):
        yield Reason("policy_5", "A reviewer is never an assignee of the item", "reviewer")
    if item.priority == Priority.CRITICAL and reviewer.level_rank < rule.level:
        yield Reason(
            "policy_5",
            f"A critical item needs an L{rule.level}+ reviewer ({_names([reviewer])} is not)",
            "reviewer",
        )
