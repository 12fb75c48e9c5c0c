"""Properties of the planner and the backlog order (issue 4 acceptance), over random backlogs."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from casebridge.sprints.planner import Slot, Target, Why, propose
from casebridge.sprints.ranking import Candidate, Pin, rank_backlog

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)


@st.composite
def candidates(draw: st.DrawFn) -> list[Candidate]:
    n = draw(st.integers(min_value=0, max_value=40))
    items = []
    for i in range(n):
        category = draw(st.sampled_from(["bug", "feature", "improvement"]))
        wsjf = draw(st.booleans()) or category == "feature"
        pinned = draw(st.integers(min_value=0, max_value=9))
        items.append(
            Candidate(
                key=f"K-{i}",
                category=category,
                title=f"item {i}",
                created_at=NOW - timedelta(hours=draw(st.integers(0, 2000))),
                priority=draw(st.sampled_from(["critical", "major", "minor"]))
                if category == "bug"
                else "",
                impact=draw(st.integers(0, 4)),
                cases=draw(st.integers(0, 5)),
                business_value=draw(st.integers(1, 20)) if wsjf else None,
                time_criticality=draw(st.integers(1, 20)) if wsjf else None,
                risk_reduction=draw(st.integers(1, 20)) if wsjf else None,
                job_size=draw(st.integers(1, 20)) if wsjf else None,
                estimate=draw(st.one_of(st.none(), st.integers(0, 13))),
                pin=Pin(draw(st.integers(1, n + 2)), "rte", NOW - timedelta(minutes=i))
                if pinned == 0
                else None,
            )
        )
    return items


slots = st.builds(
    Slot,
    id=st.just(2),
    name=st.just("Sprint 2"),
    capacity=st.integers(0, 60),
    load=st.integers(0, 20),
)
currents = st.one_of(
    st.none(),
    st.builds(
        Slot,
        id=st.just(1),
        name=st.just("Sprint 1"),
        capacity=st.integers(0, 40),
        load=st.integers(0, 40),
    ),
)


def plan(items: list[Candidate], sprint: Slot, current: Slot | None):  # type: ignore[no-untyped-def]
    return propose(rank_backlog(items, now=NOW), sprint=sprint, current=current)


@settings(max_examples=200, deadline=None)
@given(candidates(), slots, currents)
def test_never_over_capacity_except_flagged_expedited_critical_bugs(items, sprint, current):
    proposal = plan(items, sprint, current)
    into_next = [c for c in proposal.chosen if c.target is Target.NEXT]
    assert all(not c.expedited for c in into_next)  # the next sprint is not the current one
    if sprint.load <= (sprint.capacity or 0):
        assert proposal.load <= (sprint.capacity or 0)
    else:
        assert not into_next  # already over: nothing more is planned
    for c in proposal.chosen:
        if c.over_capacity:
            assert c.expedited and c.priority == "critical" and c.category == "bug"
    if current is not None:
        running = current.load
        for c in (c for c in proposal.chosen if c.target is Target.CURRENT):
            running += c.estimate or 0
            assert c.over_capacity == (running > (current.capacity or 0))
            assert c.reason.count("over capacity") == int(c.over_capacity)
    assert proposal.over_capacity == any(c.over_capacity for c in proposal.chosen)
    if proposal.over_capacity:
        assert any("over capacity" in w for w in proposal.warnings)


@settings(max_examples=200, deadline=None)
@given(candidates(), slots, currents)
def test_every_critical_bug_is_expedited_or_blocked_and_nothing_twice(items, sprint, current):
    proposal = plan(items, sprint, current)
    keys = [c.key for c in proposal.chosen + proposal.left_out]
    assert len(keys) == len(set(keys)) == len(items)  # each item exactly once
    chosen = [c.key for c in proposal.chosen]
    assert len(chosen) == len(set(chosen))
    for c in proposal.chosen + proposal.left_out:
        if c.category == "bug" and c.priority == "critical":
            if current is None:
                assert c.why is Why.BLOCKED and not c.taken
            else:
                assert c.expedited and c.target is Target.CURRENT
        else:
            assert not c.expedited
        assert c.reason  # every choice explained


@settings(max_examples=200, deadline=None)
@given(candidates(), slots, currents)
def test_a_higher_ranked_item_that_fits_is_never_left_out_for_a_lower_ranked_one(
    items, sprint, current
):
    proposal = plan(items, sprint, current)
    capacity = sprint.capacity or 0
    taken = sorted((c for c in proposal.chosen if c.target is Target.NEXT), key=lambda c: c.rank)
    for left in proposal.left_out:
        if left.estimate is None or left.why is Why.BLOCKED:
            continue
        assert left.why is Why.TOO_BIG
        lower_taken = [c for c in taken if c.rank > left.rank]
        if not lower_taken:
            continue
        used_above = sprint.load + sum(c.estimate or 0 for c in taken if c.rank < left.rank)
        # it did not fit in what the higher-ranked items left
        assert left.estimate > capacity - used_above


@settings(max_examples=200, deadline=None)
@given(candidates(), slots, currents, st.randoms(use_true_random=False))
def test_deterministic_whatever_the_input_order(items, sprint, current, rnd):
    first = plan(items, sprint, current)
    shuffled = list(items)
    rnd.shuffle(shuffled)
    assert plan(shuffled, sprint, current) == first
    assert plan(list(items), sprint, current) == first


@settings(max_examples=200, deadline=None)
@given(candidates())
def test_natural_order_tiers_and_pins(items):
    ranked = rank_backlog(items, now=NOW)
    assert [r.rank for r in ranked] == list(range(1, len(items) + 1))
    natural = [r.item for r in ranked if r.item.pin is None]
    tiers = [c.tier for c in natural]
    assert tiers == sorted(tiers)  # critical, major, minor bugs, then WSJF, then the rest
    wsjf = [c.wsjf for c in natural if c.tier == 4]
    assert wsjf == sorted(wsjf, reverse=True)
    for r in ranked:
        pin = r.item.pin
        if pin is not None:
            assert r.reason.startswith(f"Pinned at #{pin.position}")
            # a pin is never placed below its position unless later pins took it
            if pin.position <= len(items):
                same_or_above = [
                    x for x in ranked if x.item.pin and x.item.pin.position <= pin.position
                ]
                assert r.rank <= pin.position + len(same_or_above) - 1


def test_example_plan_explains_each_choice():
    def item(key, category, priority="", est=None, age=0, wsjf=None):  # type: ignore[no-untyped-def]
        bv, tc, rr, js = wsjf or (None, None, None, None)
        return Candidate(
            key=key,
            category=category,
            title=key,
            created_at=NOW - timedelta(days=age),
            priority=priority,
            impact=3 if category == "bug" else 0,
            cases=1 if category == "bug" else 0,
            business_value=bv,
            time_criticality=tc,
            risk_reduction=rr,
            job_size=js,
            estimate=est,
        )

    items = [
        item("BUG-1", "bug", "critical", 8, 1),
        item("BUG-2", "bug", "major", 5, 3),
        item("BUG-3", "bug", "minor", 8, 9),
        item("BUG-4", "bug", "minor", 2, 2),
        item("FR-1", "feature", est=3, wsjf=(8, 5, 3, 4)),
        item("FR-2", "feature", est=None, wsjf=(13, 8, 5, 2)),
        item("IMP-1", "improvement", est=3, age=30),
    ]
    current = Slot(1, "Sprint 1", capacity=10, load=6)
    proposal = plan(items, Slot(2, "Sprint 2", capacity=12), current)
    assert proposal.keys == ["BUG-1", "BUG-2", "BUG-4", "FR-1"]
    reasons = {c.key: c.reason for c in proposal.chosen + proposal.left_out}
    assert (
        "Expedited into the current sprint Sprint 1, over capacity (14 of 10 pts)"
        in reasons["BUG-1"]
    )
    assert reasons["BUG-2"].startswith("Major bug; impact high (1 case)")
    assert "Fits: 5 pts of 12 left" in reasons["BUG-2"]
    assert "Does not fit: 8 pts, 7 left" in reasons["BUG-3"]
    assert "WSJF 4.00 = (8 + 5 + 3) / 4" in reasons["FR-1"]
    assert "Needs an estimate" in reasons["FR-2"]
    assert "Does not fit: 3 pts, 2 left" in reasons["IMP-1"]
    assert proposal.load == 10 and proposal.current_load == 14
    assert proposal.warnings == ("BUG-1 (critical) takes Sprint 1 over capacity: 14 of 10 pts",)


def test_edits_add_reserves_capacity_first_and_remove_leaves_out():
    items = [
        Candidate(
            f"FR-{i}",
            "feature",
            f"f{i}",
            NOW,
            business_value=20 - i,
            time_criticality=1,
            risk_reduction=1,
            job_size=1,
            estimate=3,
        )
        for i in range(6)
    ]
    ranked = rank_backlog(items, now=NOW)
    proposal = propose(ranked, sprint=Slot(2, "S2", 9), current=None, add={"FR-5"}, remove={"FR-0"})
    assert proposal.keys == ["FR-1", "FR-2", "FR-5"]
    left = {c.key: c.why for c in proposal.left_out}
    assert left["FR-0"] is Why.REMOVED and left["FR-3"] is Why.TOO_BIG
    over = propose(ranked, sprint=Slot(2, "S2", 5), current=None, add={"FR-4", "FR-5"})
    assert over.keys == ["FR-4", "FR-5"] and over.over_capacity
    assert [c.over_capacity for c in over.chosen] == [False, True]


def test_planning_the_running_sprint_shares_its_capacity_with_expedites():
    bug = Candidate("BUG-1", "bug", "b", NOW, priority="critical", estimate=5)
    fr = Candidate(
        "FR-1",
        "feature",
        "f",
        NOW,
        business_value=1,
        time_criticality=1,
        risk_reduction=1,
        job_size=1,
        estimate=5,
    )
    same = Slot(1, "S1", capacity=8)
    proposal = propose(rank_backlog([bug, fr], now=NOW), sprint=same, current=same)
    assert proposal.keys == ["BUG-1"]
    assert proposal.chosen[0].target is Target.NEXT and proposal.chosen[0].expedited
    assert proposal.left_out[0].why is Why.TOO_BIG


def test_random_big_backlog_is_fast_enough_to_property_test():
    rng = random.Random(3)
    items = [
        Candidate(
            f"K-{i}",
            "feature",
            "x",
            NOW - timedelta(hours=rng.randrange(5000)),
            business_value=rng.randint(1, 20),
            time_criticality=1,
            risk_reduction=1,
            job_size=rng.randint(1, 13),
            estimate=rng.randint(1, 8),
        )
        for i in range(2000)
    ]
    proposal = plan(items, Slot(2, "S", 40), None)
    assert proposal.load <= 40
