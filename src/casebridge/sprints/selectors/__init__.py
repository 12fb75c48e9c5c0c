"""Reads of sprints and the backlog, each knowing the viewer (internal people only)."""

from casebridge.sprints.selectors.backlog import backlog_for, in_backlog, proposal_for
from casebridge.sprints.selectors.sprints import (
    current_sprint,
    following_sprint,
    increment_get_for,
    increment_list_for,
    is_current,
    next_sprint,
    sprint_find_for,
    sprint_get_for,
    sprint_list_for,
    sprint_loads,
    sprint_state,
    team_get_for,
    today,
)

__all__ = [
    "backlog_for",
    "current_sprint",
    "following_sprint",
    "in_backlog",
    "increment_get_for",
    "increment_list_for",
    "is_current",
    "next_sprint",
    "proposal_for",
    "sprint_find_for",
    "sprint_get_for",
    "sprint_list_for",
    "sprint_loads",
    "sprint_state",
    "team_get_for",
    "today",
]
