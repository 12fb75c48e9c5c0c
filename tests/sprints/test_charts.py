"""Burndown, burnup and velocity on hand-made data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from casebridge.sprints.charts import EntryRow, StatusAt, Stay, burndown, velocity
from casebridge.sprints.delivery import is_delivered


def t(text: str) -> float:
    return datetime.fromisoformat(f"2026-{text}:00+00:00").timestamp()


def day_end(day: date) -> float:
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC).timestamp()


def test_burndown_follows_scope_changes_and_status_history():
    """Mon 16 .. Fri 20 Nov, today Thursday.

    A (3) planned before the start; in release Tue 15:00, reopened Wed 10:00, in release Thu.
    B (5) added Tue 09:00, moved out Wed 12:00.  C (2) added Mon 10:00, closed Mon 20:00.
    scope 5, 10, 5, 5; done 2, 5, 2, 5; remaining 3, 5, 3, 0; ideal 5 -> 0 over 4 steps.
    """
    stays = [
        Stay("BUG-A", "bug", 3, t("11-15 12:00")),
        Stay("BUG-B", "bug", 5, t("11-17 09:00"), left_at=t("11-18 12:00")),
        Stay("BUG-C", "bug", 2, t("11-16 10:00")),
    ]
    history = {
        "BUG-A": StatusAt(
            "scheduled",
            [
                (t("11-17 15:00"), "in_release"),
                (t("11-18 10:00"), "reopened"),
                (t("11-19 09:00"), "in_release"),
            ],
        ),
        "BUG-B": StatusAt("scheduled", [(t("11-17 11:00"), "in_progress")]),
        "BUG-C": StatusAt("scheduled", [(t("11-16 20:00"), "closed")]),
    }
    chart = burndown(
        start=date(2026, 11, 16),
        end=date(2026, 11, 20),
        stays=stays,
        history=history,
        delivered=is_delivered,
        day_end=day_end,
        today=date(2026, 11, 19),
    )
    assert [d.scope for d in chart.days] == [5, 10, 5, 5, None]
    assert [d.done for d in chart.days] == [2, 5, 2, 5, None]
    assert [d.remaining for d in chart.days] == [3, 5, 3, 0, None]
    assert [d.ideal for d in chart.days] == [5.0, 3.75, 2.5, 1.25, 0.0]
    assert chart.labels[0] == "2026-11-16"


def test_a_change_exactly_at_midnight_counts_for_the_next_day():
    stays = [Stay("BUG-A", "bug", 3, t("11-15 12:00"))]
    history = {"BUG-A": StatusAt("scheduled", [(t("11-17 00:00"), "closed")])}
    chart = burndown(
        start=date(2026, 11, 16),
        end=date(2026, 11, 17),
        stays=stays,
        history=history,
        delivered=is_delivered,
        day_end=day_end,
        today=date(2026, 11, 17),
    )
    assert [d.done for d in chart.days] == [0, 3]


def test_velocity_and_predictability():
    rows = [
        EntryRow(1, "planned", "done", 5),
        EntryRow(1, "planned", "carried_over", 3),
        EntryRow(1, "added", "done", 2),
        EntryRow(1, "expedited", "done", 8),
        EntryRow(2, "carried_over", "done", 3),
        EntryRow(2, "planned", "moved", None),
        EntryRow(9, "planned", "done", 100),  # another team's sprint: ignored
    ]
    s1, s2 = velocity([(1, "Sprint 1"), (2, "Sprint 2")], rows)
    assert (s1.committed, s1.committed_done, s1.done, s1.added, s1.carried_over) == (
        8,
        5,
        15,
        10,
        3,
    )
    assert s1.predictability == 0.625
    assert (s2.committed, s2.done, s2.predictability) == (3, 3, 1.0)
    assert velocity([(3, "Empty")], [])[0].predictability is None
