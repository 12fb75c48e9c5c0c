"""Velocity: points committed, done, added and carried over in a team's last closed sprints.

Kept apart from the board reads so that the planner's selector can compare a plan with the
team's recent velocity without importing the workflow definitions.
"""

from __future__ import annotations

from casebridge.accounts.models import Team
from casebridge.core.actors import Actor
from casebridge.sprints import charts
from casebridge.sprints.models import Sprint, SprintEntry
from casebridge.sprints.planner import Pace
from casebridge.sprints.selectors.sprints import require_internal

#: How many closed sprints velocity looks back over (the velocity page, the planner's check).
VELOCITY_WINDOW = 6


def velocity_for(
    viewer: Actor, team: Team, *, last: int = VELOCITY_WINDOW
) -> list[charts.Velocity]:
    """The team's last ``last`` closed sprints, oldest first."""
    require_internal(viewer, "The team")
    return _velocity(team, last)


def team_pace(team: Team) -> Pace:
    """Points done in each of the team's last closed sprints: what the planner compares with."""
    return Pace(tuple(v.done for v in _velocity(team, VELOCITY_WINDOW)))


def _velocity(team: Team, last: int) -> list[charts.Velocity]:
    sprints = list(
        Sprint.objects.filter(team=team, closed_at__isnull=False)
        .order_by("-start")
        .values_list("pk", "name")[:last]
    )[::-1]
    entries = (
        charts.EntryRow(*row)
        for row in SprintEntry.objects.filter(sprint_id__in=[s[0] for s in sprints]).values_list(
            "sprint_id", "kind", "outcome", "estimate"
        )
    )
    return charts.velocity(sprints, entries)
