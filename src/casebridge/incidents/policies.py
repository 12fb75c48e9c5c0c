"""Ladder policies 6 and 7 (and policy 2 for incidents), as reasons a change is refused.

6. An incident's lead is L3+ (``incident_lead``); a sev-1 incident has an accountable owner of
   L4 (``incident_owner``; an owner named for a lesser incident is held to the same level).
7. A post-incident review is led by an L3+ developer (``review_lead``). That every action item has
   an owner is the closing rule of PRODUCT §7 and holds whatever the setting.
2. An L1 developer "participates in incident response under the guidance of more experienced
   team members": an L1 participant names a guide of policy 2's mentor level, already in the
   incident (its lead, owner or a participant).

Levels and on/off come from ``LadderPolicy`` rows (``workitems.policies.setting``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from casebridge.accounts.models import Role, User
from casebridge.core.errors import Reason
from casebridge.workitems.models import PolicyCode
from casebridge.workitems.policies import setting

#: The roles that work incidents (staff); QA may also be given a role in the room.
STAFF = frozenset({Role.DEVELOPER, Role.L2_ENGINEER, Role.DEVOPS, Role.ADMIN})


def _who(user: User) -> str:
    return f"{user.display_name} ({user.level or 'no level'})"


def _developer_at(user: User, level: int) -> bool:
    return bool(user.has_role(Role.DEVELOPER) and user.level_rank >= level)


def lead_reasons(lead: User | None) -> Iterator[Reason]:
    rule = setting(PolicyCode.INCIDENT_LEAD)
    if lead is None:
        yield Reason("required", "Name the incident's lead", "lead")
    elif rule.enabled and not _developer_at(lead, rule.level):
        yield Reason(
            "policy_6",
            f"An incident's lead is an L{rule.level}+ developer ({_who(lead)} is not)",
            "lead",
        )


def owner_reasons(severity: str, owner: User | None) -> Iterator[Reason]:
    rule = setting(PolicyCode.INCIDENT_OWNER)
    if not rule.enabled:
        return
    if owner is None:
        if severity == "sev1":
            yield Reason(
                "policy_6",
                f"A sev-1 incident needs an accountable owner of level L{rule.level}",
                "owner",
            )
    elif not _developer_at(owner, rule.level):
        yield Reason(
            "policy_6",
            f"The accountable owner is an L{rule.level} developer ({_who(owner)} is not)",
            "owner",
        )


def review_lead_reasons(lead: User | None) -> Iterator[Reason]:
    rule = setting(PolicyCode.REVIEW_LEAD)
    if lead is None:
        yield Reason("required", "Name who leads the post-incident review", "review_lead")
    elif rule.enabled and not _developer_at(lead, rule.level):
        yield Reason(
            "policy_7",
            f"A post-incident review is led by an L{rule.level}+ developer ({_who(lead)} is not)",
            "review_lead",
        )


def guide_reasons(
    participant: User, guide: User | None, members: Iterable[User]
) -> Iterator[Reason]:
    """Policy 2 for incidents: an L1 developer participates under a named, senior guide."""
    rule = setting(PolicyCode.JUNIOR_NEEDS_MENTOR)
    if not rule.enabled or participant is None or participant.level_rank != 1:
        return
    if guide is None:
        yield Reason(
            "policy_2",
            f"{_who(participant)} participates under guidance: name a guide of level "
            f"L{rule.level}+ from the incident",
            "guide",
        )
        return
    if guide.level_rank < rule.level:
        yield Reason("policy_2", f"A guide is L{rule.level}+ ({_who(guide)} is not)", "guide")
    if all(m is None or m.pk != guide.pk for m in members):
        yield Reason(
            "policy_2",
            f"{guide.display_name} is not in the incident: guide with its lead, owner or a "
            "participant",
            "guide",
        )
