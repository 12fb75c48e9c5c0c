"""The backlog's "ready to plan" comes from the work-item definitions, not a list of its own."""

from __future__ import annotations

import operator
from dataclasses import replace
from functools import reduce

import pytest
from django.db.models import Q

from casebridge.accounts.models import Role
from casebridge.sprints.selectors.backlog import backlog_items, ready
from casebridge.workflows.engine import State, StateGroup, Transition
from casebridge.workitems.definitions import WORKFLOWS, ready_states
from casebridge.workitems.models import WorkItem
from tests.sprints.helpers import bug, core

pytestmark = pytest.mark.django_db


def test_ready_states_are_the_open_states_a_transition_leaves_for_the_active_group():
    assert {c: ready_states(c) for c in WORKFLOWS} == {
        "bug": {"triaged"},
        "feature": {"approved"},
        "improvement": {"approved"},
    }


def test_the_backlog_filter_is_the_derived_ready_states():
    derived = [Q(category=c, status=s) for c in WORKFLOWS for s in sorted(ready_states(c))]
    assert ready() == reduce(operator.or_, derived)
    # the same filter the backlog hard-coded before it was derived
    assert ready() == (
        Q(category="bug", status="triaged")
        | Q(category="feature", status="approved")
        | Q(category="improvement", status="approved")
    )


def test_a_state_added_to_the_ready_group_joins_the_backlog(world, monday, monkeypatch):
    team = core(world)
    triaged = bug(world, "Triaged bug")
    waiting = bug(world, "Waiting bug")
    WorkItem.objects.filter(pk=waiting.pk).update(status="ready_for_planning")
    assert set(backlog_items(team)) == {triaged}

    workflow = WORKFLOWS["bug"]
    extended = replace(
        workflow,
        states=(
            *workflow.states,
            State("ready_for_planning", "Ready for planning", StateGroup.OPEN),
        ),
        transitions=(
            *workflow.transitions,
            Transition(
                "plan",
                "Plan",
                frozenset({"ready_for_planning"}),
                "scheduled",
                frozenset({Role.RTE}),
            ),
        ),
    )
    monkeypatch.setitem(WORKFLOWS, "bug", extended)

    assert ready_states("bug") == {"triaged", "ready_for_planning"}
    assert set(backlog_items(team)) == {triaged, waiting}
