"""Policy 8 of the developer ladder: anomalies reported by L1 staff go to an L2+ responder.

The ladder's L1 developers "report anomalies or errors to more experienced team members"; L2
developers "identify and respond to straightforward anomalies". So an anomaly reported by L1
staff (an L1 developer, or an L1 support agent) is answered by someone at the policy's level or
above: a developer of that level, or an L2 support engineer. The setting (on/off, level; default
L2) is a ``LadderPolicy`` row like policies 1-7.
"""

from __future__ import annotations

from collections.abc import Iterator

from casebridge.accounts.models import Role
from casebridge.core.actors import Actor
from casebridge.core.errors import Reason
from casebridge.workitems.models import PolicyCode
from casebridge.workitems.policies import setting


def is_l1_staff(user: Actor | None) -> bool:
    """An L1 developer, or a first-line agent who is not also an L2 engineer."""
    if user is None or user.pk is None:
        return False
    if user.has_role(Role.DEVELOPER):
        return bool(user.level_rank == 1)
    return bool(user.has_role(Role.L1_AGENT) and not user.has_role(Role.L2_ENGINEER))


def can_respond(user: Actor, level: int) -> bool:
    """A developer of ``level`` or above, or an L2 support engineer when the level is L2 or less."""
    if user.has_role(Role.DEVELOPER) and user.level_rank >= level:
        return True
    return bool(level <= 2 and user.has_role(Role.L2_ENGINEER))


def responder_reasons(reporter: Actor | None, responder: Actor | None) -> Iterator[Reason]:
    rule = setting(PolicyCode.ANOMALY_RESPONDER)
    if not rule.enabled or not is_l1_staff(reporter):
        return
    if responder is None:
        yield Reason(
            "policy_8",
            f"An anomaly reported by L1 staff needs a responder at L{rule.level}+",
            "responder",
        )
    elif not can_respond(responder, rule.level):
        yield Reason(
            "policy_8",
            f"An anomaly reported by L1 staff goes to an L{rule.level}+ responder "
            f"({responder.display_name} is {responder.level or 'not a developer at that level'})",
            "responder",
        )


def responder_level() -> int:
    return setting(PolicyCode.ANOMALY_RESPONDER).level


def routing_applies(reporter: Actor | None) -> bool:
    return setting(PolicyCode.ANOMALY_RESPONDER).enabled and is_l1_staff(reporter)
