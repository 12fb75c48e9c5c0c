"""Flow metrics on a constructed history match hand-computed values (issue 4 acceptance).

The history is made through the real services with time moved by time-machine, so the audit
trail is exactly what production would write. Window: 2026-11-02 00:00 to 2026-11-16 00:00 UTC.

    BUG A  new 11-01 09:00 | triaged 11-02 09:00 | scheduled 11-02 10:00 (planned into Sprint 1)
           in_progress 11-03 10:00 | in_review 11-04 10:00 | in_testing 11-04 16:00
           in_release 11-05 10:00 | awaiting_validation 11-06 10:00 | closed 11-07 10:00
    BUG F  new 11-01 09:30 | triaged 11-02 09:30 | scheduled 11-02 10:30 (planned), never started
    IMP B  proposed 11-03 09:00 | approved 11-03 12:00 | in_progress 11-04 09:00
           in_review 11-05 09:00 | done 11-06 09:00
    BUG C  new 11-10 09:00 | triaged 11-10 10:00 | scheduled 11-10 12:00 (added) |
           in_progress 11-12 12:00, still
    BUG D  new 11-14 09:00 | triaged 11-14 10:00
    Sprint 1 (11-03..11-13) closes 11-13 17:00: A done, C and F carried over.

By hand:
    throughput 2 (A, B), weekly [2, 0]
    cycle time A 11-02 10:00 -> 11-07 10:00 = 120 h, B 11-04 09:00 -> 11-06 09:00 = 48 h:
        mean 84, median 84, p85 120
    flow efficiency (A: 24 + 6 + 18 = 48 h of work; B: 24 + 24 = 48 h) / (120 + 48) = 0.571
    WIP at the end: C (in progress) and F (scheduled) = 2
    daily WIP at 11-03 .. 11-16 00:00: A 5 days (11-03..11-07), B 2 (11-05, 11-06),
        C 6 (11-11..11-16), F 14 -> 27 / 14 = 1.93
    time per stage (stays that ended in the window), hours:
        new [24 (A), 24 (F), 1 (C), 1 (D)]: mean 12.5, median 12.5
        triaged [1 (A), 1 (F), 2 (C)]: mean 1.33, median 1
        scheduled [24 (A), 48 (C)]: 36; in_progress [24 (A), 24 (B)]: 24
        in_review [6 (A), 24 (B)]: mean 15; in_testing [18]; approved [21]; proposed [3]
    predictability: committed A (3) + F (5) = 8, done 3 -> 0.375
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from casebridge.reporting.selectors import flow_for
from casebridge.sprints.services import backlog_estimate, sprint_close, sprint_create
from casebridge.workitems.models import WorkItem
from casebridge.workitems.services import work_item_create, work_item_transition
from tests.sprints.helpers import BUG_DOCS, core

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 2, tzinfo=UTC)
END = datetime(2026, 11, 16, tzinfo=UTC)


def at(moment: str) -> datetime:
    return datetime.fromisoformat(f"2026-{moment}:00+00:00")


@pytest.fixture
def history(world):  # type: ignore[no-untyped-def]
    w = world
    keys: dict[str, str] = {}
    with time_machine.travel(at("10-20 08:00"), tick=False) as t:

        def act(moment: str, who: str, name: str, action: str, **data):  # type: ignore[no-untyped-def]
            t.move_to(at(moment))
            item = WorkItem.objects.get(key=keys[name])
            work_item_transition(actor=w[who], item=item, action=action, data=data)

        def create(moment: str, name: str, category: str = "bug") -> None:
            t.move_to(at(moment))
            docs = BUG_DOCS if category == "bug" else {"rationale": "r", "area": "process"}
            keys[name] = work_item_create(
                actor=w["l2"], category=category, title=f"Item {name}", docs=docs
            ).key

        triage = {"priority": "major", "impact": "Customers wait"}
        s1 = sprint_create(
            actor=w["rte"],
            team=core(w),
            name="Sprint 1",
            start=at("11-03 00:00").date(),
            end=at("11-13 00:00").date(),
        )
        s2 = sprint_create(
            actor=w["rte"],
            team=core(w),
            name="Sprint 2",
            start=at("11-14 00:00").date(),
            end=at("11-27 00:00").date(),
        )
        create("11-01 09:00", "A")
        create("11-01 09:30", "F")
        for name, est in (("A", 3), ("F", 5)):
            backlog_estimate(
                actor=w["rte"], item=WorkItem.objects.get(key=keys[name]), estimate=est
            )
        act("11-02 09:00", "rte", "A", "triage", **triage)
        act("11-02 09:30", "rte", "F", "triage", **triage)
        act("11-02 10:00", "rte", "A", "schedule", sprint=s1.pk)
        act("11-02 10:30", "rte", "F", "schedule", sprint=s1.pk)
        act("11-02 11:00", "rte", "A", "assign", assignees=["dev3"])
        act("11-03 10:00", "dev3", "A", "start")
        create("11-03 09:00", "B", "improvement")
        act("11-03 12:00", "rte", "B", "approve", team="core-team")
        act("11-03 13:00", "rte", "B", "assign", assignees=["dev3"])
        act("11-04 09:00", "dev3", "B", "start")
        act("11-04 10:00", "dev3", "A", "submit_review")
        act("11-04 16:00", "dev4", "A", "approve_review")
        act("11-05 09:00", "dev3", "B", "submit_review")
        act("11-05 10:00", "qa", "A", "test_pass", evidence="Suite green")
        act("11-05 12:00", "devops", "A", "release", version="4.3.0")
        act("11-05 15:00", "dev4", "B", "approve_review")
        act("11-06 09:00", "l2", "B", "verify")
        act("11-06 10:00", "devops", "A", "deploy", environment="production")
        act("11-07 10:00", "l2", "A", "validate")
        create("11-10 09:00", "C")
        act("11-10 10:00", "rte", "C", "triage", **triage)
        act("11-10 12:00", "rte", "C", "schedule", sprint=s1.pk)
        act("11-10 13:00", "rte", "C", "assign", assignees=["dev3"])
        act("11-12 12:00", "dev3", "C", "start")
        t.move_to(at("11-13 17:00"))
        closed = sprint_close(actor=w["rte"], sprint=s1)
        assert closed.carried_over == sorted([keys["C"], keys["F"]]) and closed.carried_to == s2
        create("11-14 09:00", "D")
        act("11-14 10:00", "rte", "D", "triage", **triage)
        t.move_to(at("11-20 08:00"))  # later events must not leak into the window
        act("11-20 08:00", "dev3", "C", "submit_review")
    return keys


def test_flow_metrics_match_the_hand_computed_values(world, history):
    m = flow_for(world["rte"], start=START, end=END)
    assert m.throughput == 2
    assert [n for _, n in m.throughput_weekly] == [2, 0]
    assert (m.cycle_time.n, m.cycle_time.mean, m.cycle_time.median, m.cycle_time.p85) == (
        2,
        84.0,
        84.0,
        120.0,
    )
    assert m.flow_efficiency == 0.571
    assert m.wip == 2
    assert [n for _, n in m.wip_daily] == [2, 2, 3, 3, 2, 1, 1, 1, 2, 2, 2, 2, 2, 2]
    assert m.wip_average == 1.93
    stages = {s.status: s for s in m.stages}
    expected = {
        "new": (4, 12.5, 12.5),
        "triaged": (3, 1.33, 1.0),
        "scheduled": (2, 36.0, 36.0),
        "in_progress": (2, 24.0, 24.0),
        "in_review": (2, 15.0, 15.0),
        "in_testing": (1, 18.0, 18.0),
        "in_release": (1, 24.0, 24.0),
        "awaiting_validation": (1, 24.0, 24.0),
        "proposed": (1, 3.0, 3.0),
        "approved": (1, 21.0, 21.0),
    }
    assert {
        k: (v.hours.n, v.hours.mean, v.hours.median) for k, v in stages.items() if v.hours.n
    } == expected
    assert (stages["in_progress"].wip, stages["scheduled"].wip) == (1, 1)
    assert [(p.sprint, p.committed, p.committed_done, p.ratio) for p in m.predictability] == [
        ("core-team/Sprint 1", 8, 3, 0.375)
    ]
    assert m.predictability_overall == 0.375


def test_flow_filters_and_api(api, world, history):
    bugs = flow_for(world["rte"], category="bug", start=START, end=END)
    assert bugs.throughput == 1 and bugs.cycle_time.mean == 120.0
    r = api("rte").get(
        "/reports/flow", start=START.isoformat(), end=END.isoformat(), team="core-team"
    )
    assert r.status_code == 200, r.json()
    body = r.json()
    # B's team is core-team; the bugs have no team until scheduled, and A/C/F were scheduled
    assert body["throughput"] == 2 and body["wip"] == 2
    assert body["predictability_overall"] == 0.375
    r = api("rte").get("/reports/flow", start=END.isoformat(), end=START.isoformat())
    assert r.status_code == 422 and "start" in r.json()["fields"]


def test_predictability_counts_the_sprints_closed_in_the_window(world, history):
    closing = datetime(2026, 11, 13, 17, 0, tzinfo=UTC)
    assert not flow_for(world["rte"], start=START, end=closing).predictability
    after = flow_for(world["rte"], start=closing, end=END)
    assert [p.sprint for p in after.predictability] == ["core-team/Sprint 1"]


def test_the_audit_log_is_read_by_index_not_by_time_on_sqlite(world, history):
    """On SQLite (no per-value statistics) the flow report's reads of the log must use the
    subject-type indexes, not walk the whole log by its time index (issue 17, 10M events)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's planner")
    with CaptureQueriesContext(connection) as captured:
        flow_for(world["rte"], start=START, end=END)
    plans = []
    with connection.cursor() as cursor:
        # The planner's statistics of the 10M-event log of benchmarks/audit_growth.py.
        cursor.execute("ANALYZE")
        cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'audit_auditevent'")
        for index, stat in (
            ("audit_type_field_at", "10120253 1686709 920023 1"),
            ("audit_at", "10120253 2"),
            ("audit_subject_at", "10120253 1686709 82 1"),
        ):
            cursor.execute(
                "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('audit_auditevent', %s, %s)",
                [index, stat],
            )
        cursor.execute("ANALYZE sqlite_schema")
        for query in captured.captured_queries:
            if 'FROM "audit_auditevent"' in query["sql"]:
                cursor.execute(f"EXPLAIN QUERY PLAN {query['sql']}")
                plans.append(" ".join(row[-1] for row in cursor.fetchall()))
    assert len(plans) == 2
    assert all("audit_type_field_at" in plan or "audit_subject_at" in plan for plan in plans), plans
