"""Every write to sprints and the backlog."""

from casebridge.sprints.services.backlog import (
    backlog_estimate,
    backlog_move,
    backlog_pin,
    backlog_unpin,
)
from casebridge.sprints.services.planning import (
    Accepted,
    Closed,
    PlanChanged,
    sprint_close,
    sprint_plan_accept,
)
from casebridge.sprints.services.sprints import (
    increment_create,
    sprint_create,
    sprint_entry_follow,
    sprint_start,
    sprint_update,
    team_capacity_set,
)

__all__ = [
    "Accepted",
    "Closed",
    "PlanChanged",
    "backlog_estimate",
    "backlog_move",
    "backlog_pin",
    "backlog_unpin",
    "increment_create",
    "sprint_close",
    "sprint_create",
    "sprint_entry_follow",
    "sprint_plan_accept",
    "sprint_start",
    "sprint_update",
    "team_capacity_set",
]
