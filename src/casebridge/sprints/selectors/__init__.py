"""Reads of sprints, each knowing the viewer (internal people only).

The backlog's reads live in :mod:`casebridge.sprints.selectors.backlog`, not re-exported here:
they derive readiness from the work-item definitions, which read whether a sprint is current from
:mod:`.sprints`; re-exporting them would close that loop into an import cycle."""

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
    "current_sprint",
    "following_sprint",
    "increment_get_for",
    "increment_list_for",
    "is_current",
    "next_sprint",
    "sprint_find_for",
    "sprint_get_for",
    "sprint_list_for",
    "sprint_loads",
    "sprint_state",
    "team_get_for",
    "today",
]
