"""Sprints, the backlog order, pins, estimates, accepting a plan and closing a sprint."""

from __future__ import annotations

from datetime import timedelta

import pytest

from casebridge.audit.models import AuditEvent
from casebridge.core.errors import PermissionDenied, TransitionRefused, ValidationFailed
from casebridge.sprints.models import EntryKind, EntryOutcome, SprintEntry
from casebridge.sprints.selectors.backlog import backlog_for, proposal_for
from casebridge.sprints.services import (
    PlanChanged,
    backlog_estimate,
    backlog_move,
    backlog_pin,
    backlog_unpin,
    increment_create,
    sprint_close,
    sprint_create,
    sprint_plan_accept,
    sprint_update,
    team_capacity_set,
)
from casebridge.workitems.services import work_item_transition
from tests.sprints.helpers import (
    TODAY,
    bug,
    core,
    deliver,
    feature,
    improvement,
    reload,
    sprints,
)

pytestmark = pytest.mark.django_db


def test_sprints_of_a_team_do_not_overlap_and_fit_their_increment(world, monday):
    team = core(world)
    current, _ = sprints(world)
    with pytest.raises(ValidationFailed) as refused:
        sprint_create(
            actor=world["rte"], team=team, name="Clash", start=TODAY, end=TODAY + timedelta(3)
        )
    assert "do not overlap" in refused.value.fields["start"]
    pi = increment_create(actor=world["rte"], name="PI 1", start=TODAY, end=TODAY + timedelta(60))
    with pytest.raises(ValidationFailed) as refused:
        sprint_update(actor=world["rte"], sprint=current, increment=pi)
    assert "must lie within it" in refused.value.fields["increment"]
    with pytest.raises(PermissionDenied):
        sprint_create(actor=world["dev3"], team=team, name="X", start=TODAY, end=TODAY)


def test_team_unit_and_default_capacity_apply_to_new_sprints(world, monday):
    team = core(world)
    team_capacity_set(actor=world["rte"], team=team, unit="hours", default_capacity=120)
    sprint = sprint_create(
        actor=world["rte"], team=team, name="S9", start=TODAY, end=TODAY + timedelta(days=13)
    )
    assert sprint.capacity == 120
    events = AuditEvent.objects.filter(subject_type="team_capacity", subject_key="core-team")
    assert {(e.field, e.new) for e in events} == {("unit", "hours"), ("default_capacity", "120")}
    team_capacity_set(actor=world["rte"], team=team, unit="hours", default_capacity=120)
    assert events.count() == 2  # a no-op writes nothing


def test_backlog_order_and_reasons(world, monday):
    minor = bug(world, "Typo on receipt", "minor", 1)
    major_old = bug(world, "Refund stuck", "major", 3)
    monday.shift(timedelta(hours=1))
    major_new = bug(world, "Refund twice", "major", 3)
    critical = bug(world, "Checkout down", "critical", 5)
    low = feature(world, "Dark mode", (2, 1, 1, 8), 3)
    high = feature(world, "Wallet pay", (13, 8, 5, 2), 8)
    unscored = improvement(world, "Faster builds", estimate=2)
    ranked = backlog_for(world["rte"], core(world))
    assert [r.key for r in ranked] == [
        critical.key,
        major_old.key,
        major_new.key,
        minor.key,
        high.key,
        low.key,
        unscored.key,
    ]
    reasons = {r.key: r.reason for r in ranked}
    assert reasons[critical.key].startswith("Critical bug; no linked case; today")
    assert reasons[high.key].startswith("WSJF 13.00 = (13 + 8 + 5) / 2")
    assert reasons[unscored.key].startswith("No WSJF inputs")


def test_pins_override_the_order_and_are_audited(world, monday):
    team = core(world)
    a, b, c = (bug(world, f"Bug {n}", "major", 1) for n in "abc")
    low = feature(world, "Dark mode", (1, 1, 1, 9), 1)
    pin = backlog_pin(actor=world["rte"], team=team, item=low, position=1, reason="CEO promised")
    assert [r.key for r in backlog_for(world["rte"], team)] == [low.key, a.key, b.key, c.key]
    top = backlog_for(world["rte"], team)[0]
    assert top.reason.startswith("Pinned at #1 by rte on 2026-11-23: CEO promised (WSJF 0.33")
    event = AuditEvent.objects.get(subject_key=low.key, action="backlog_pinned")
    assert (event.field, event.old, event.new, event.reason) == (
        "backlog_position",
        "",
        "1",
        "CEO promised",
    )
    backlog_move(actor=world["rte"], team=team, item=c, offset=-1)  # keyboard: move up
    assert [r.key for r in backlog_for(world["rte"], team)] == [low.key, a.key, c.key, b.key]
    backlog_unpin(actor=world["rte"], item=low)
    assert [r.key for r in backlog_for(world["rte"], team)][-1] == low.key
    assert AuditEvent.objects.filter(subject_key=low.key, action="backlog_unpinned").count() == 1
    with pytest.raises(PermissionDenied):
        backlog_pin(actor=world["dev3"], team=team, item=a, position=1)
    assert pin.pk


def test_estimates_by_the_team_audited_no_op_silent(world, monday):
    item = bug(world, "Slow search", "minor")
    backlog_estimate(actor=world["dev3"], item=item, estimate=5)
    backlog_estimate(actor=world["dev3"], item=item, estimate=5)
    assert AuditEvent.objects.filter(subject_key=item.key, field="estimate").count() == 1
    with pytest.raises(PermissionDenied):
        backlog_estimate(actor=world["l2"], item=item, estimate=3)
    with pytest.raises(ValidationFailed) as refused:
        backlog_estimate(actor=world["rte"], item=item, estimate=5000)
    assert set(refused.value.fields) == {"estimate"}


def test_accept_schedules_through_the_workflow_and_records_the_plan(world, monday):
    current, nxt = sprints(world, capacity=9, current_capacity=4)
    critical = bug(world, "Checkout down", "critical", 5)
    major = bug(world, "Refund stuck", "major", 5)
    minor = bug(world, "Typo", "minor", 2)
    fr = feature(world, "Wallet", (13, 8, 5, 2), 3)
    imp = improvement(world, "Faster builds", estimate=1)
    team = core(world)
    proposal = proposal_for(world["rte"], team)
    assert proposal.keys == [critical.key, major.key, minor.key, imp.key]
    assert proposal.warnings == (
        f"{critical.key} (critical) takes Sprint 1 over capacity: 5 of 4 pts",
    )
    with pytest.raises(PlanChanged) as changed:
        sprint_plan_accept(actor=world["rte"], team=team, expect=[critical.key, major.key])
    assert "now also" in changed.value.fields["expect"]
    assert reload(major).sprint is None  # nothing happened
    accepted = sprint_plan_accept(
        actor=world["rte"], team=team, remove=[minor.key], add=[], expect=None
    )
    assert accepted.scheduled == [major.key, fr.key, imp.key]
    assert reload(critical).sprint == current and reload(critical).status == "scheduled"
    assert reload(major).sprint == nxt and reload(major).status == "scheduled"
    assert reload(imp).sprint == nxt and reload(imp).status == "approved"  # a stay transition
    assert reload(minor).sprint is None
    kinds = dict(SprintEntry.objects.values_list("item__key", "kind"))
    assert kinds[critical.key] == EntryKind.EXPEDITED and kinds[major.key] == EntryKind.PLANNED
    status_event = AuditEvent.objects.get(subject_key=major.key, action="schedule", field="status")
    assert "Major bug" in status_event.reason and "Fits: 5 pts of 9 left" in status_event.reason
    plan_event = AuditEvent.objects.get(subject_type="sprint", action="plan_accepted")
    assert plan_event.subject_key == "core-team/Sprint 2"
    assert plan_event.data["expedited"] == [critical.key]
    assert plan_event.data["removed"] == [minor.key]


def test_accept_over_capacity_needs_confirmation(world, monday):
    sprints(world, capacity=3)
    a = bug(world, "Bug A", "major", 3)
    b = bug(world, "Bug B", "major", 3)
    team = core(world)
    with pytest.raises(ValidationFailed) as refused:
        sprint_plan_accept(actor=world["rte"], team=team, add=[a.key, b.key])
    assert "over capacity" in refused.value.fields["over_capacity_ok"]
    assert proposal_for(world["rte"], team, add=[b.key]).keys == [b.key]  # b displaces a
    accepted = sprint_plan_accept(
        actor=world["rte"], team=team, add=[a.key, b.key], over_capacity_ok=True
    )
    assert accepted.scheduled == [a.key, b.key]
    with pytest.raises(PermissionDenied):
        sprint_plan_accept(actor=world["pm"], team=team)


def test_a_refused_schedule_rolls_the_whole_plan_back_with_every_reason(world, monday, monkeypatch):
    _, nxt = sprints(world, capacity=20)
    a = bug(world, "Bug A", "major", 3)
    b = bug(world, "Bug B", "major", 3)
    from casebridge.sprints.services import sprint_update as update

    update(actor=world["rte"], sprint=nxt, capacity=20)
    # Another RTE closes the target between the proposal and the scheduling:
    from casebridge.sprints.services import planning

    real = planning._schedule

    def closing_first(actor, choices):  # type: ignore[no-untyped-def]
        nxt.closed_at = monday.time() if hasattr(monday, "time") else None
        from casebridge.sprints.models import Sprint

        Sprint.objects.filter(pk=nxt.pk).update(closed_at="2026-11-23T10:00:00Z")
        return real(actor, choices)

    monkeypatch.setattr(planning, "_schedule", closing_first)
    with pytest.raises(TransitionRefused) as refused:
        sprint_plan_accept(actor=world["rte"], team=core(world))
    messages = [r.message for r in refused.value.reasons]
    assert messages == [f"{a.key}: Sprint 2 is closed", f"{b.key}: Sprint 2 is closed"]
    assert reload(a).sprint is None and reload(b).sprint is None
    assert not AuditEvent.objects.filter(action="plan_accepted").exists()


def test_close_carries_unfinished_work_over_and_records_it(world, monday):
    current, nxt = sprints(world, capacity=20, current_capacity=20)
    done = bug(world, "Done one", "major", 3)
    open_ = bug(world, "Open one", "major", 5)
    imp = improvement(world, "Faster builds", estimate=2)
    for item in (done, open_):
        work_item_transition(
            actor=world["rte"], item=item, action="schedule", data={"sprint": current.pk}
        )
    work_item_transition(
        actor=world["rte"], item=imp, action="schedule", data={"sprint": current.pk}
    )
    assert deliver(world, done).status == "in_release"
    with pytest.raises(PermissionDenied):
        sprint_close(actor=world["dev3"], sprint=current)
    closed = sprint_close(actor=world["rte"], sprint=current)
    assert closed.done == [done.key]
    assert sorted(closed.carried_over) == sorted([open_.key, imp.key])
    assert closed.carried_to == nxt
    assert reload(open_).sprint == nxt and reload(open_).status == "scheduled"
    assert reload(imp).sprint == nxt and reload(imp).status == "approved"
    entries = {(e.sprint_id, e.item.key): e for e in SprintEntry.objects.select_related("item")}
    assert entries[(current.pk, done.key)].outcome == EntryOutcome.DONE
    assert entries[(current.pk, open_.key)].outcome == EntryOutcome.CARRIED_OVER
    assert entries[(current.pk, open_.key)].carried_to == nxt
    assert entries[(nxt.pk, open_.key)].kind == EntryKind.CARRIED_OVER
    move = AuditEvent.objects.get(subject_key=open_.key, action="reschedule", field="sprint")
    assert (move.old, move.new) == ("core-team/Sprint 1", "core-team/Sprint 2")
    event = AuditEvent.objects.get(subject_type="sprint", action="closed")
    assert event.data["carried_to"] == "core-team/Sprint 2"
    assert event.data["done_points"] == 3
    current.refresh_from_db()
    assert current.closed_at is not None and current.closed_by == world["rte"]
    with pytest.raises(ValidationFailed):
        sprint_close(actor=world["rte"], sprint=current)
    with pytest.raises(ValidationFailed) as refused:
        sprint_close(actor=world["rte"], sprint=nxt)  # not started yet
    assert "starts on" in refused.value.fields["sprint"]


def test_close_without_a_next_sprint_is_refused_and_changes_nothing(world, monday):
    team = core(world)
    only = sprint_create(
        actor=world["rte"], team=team, name="Only", start=TODAY, end=TODAY + timedelta(days=13)
    )
    item = bug(world, "Open", "major", 2)
    work_item_transition(actor=world["rte"], item=item, action="schedule", data={"sprint": only.pk})
    with pytest.raises(ValidationFailed) as refused:
        sprint_close(actor=world["rte"], sprint=only)
    assert "next sprint" in refused.value.fields["carry_to"]
    only.refresh_from_db()
    assert only.closed_at is None
    assert SprintEntry.objects.get(item=item).outcome == EntryOutcome.OPEN


def test_reschedule_and_improvement_schedule_checks(world, monday):
    current, _ = sprints(world)
    imp = improvement(world, "Runbooks", team="platform", estimate=1)
    r = pytest.raises(TransitionRefused)
    with r as refused:
        work_item_transition(
            actor=world["rte"], item=imp, action="schedule", data={"sprint": current.pk}
        )
    assert [x.code for x in refused.value.reasons] == ["team"]
    item = bug(world, "Bug B", "major", 1)
    with pytest.raises(TransitionRefused) as refused:
        work_item_transition(actor=world["rte"], item=item, action="reschedule", data={})
    assert {x.code for x in refused.value.reasons} >= {"state", "not_in_sprint", "required"}
