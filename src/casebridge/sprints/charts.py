"""Burndown, burnup and velocity as pure functions over plain data.

* **Scope** on a day is the estimate of every item in the sprint at the end of that day (items
  moved out leave the scope when they move; items carried over at the close stay in it).
* **Done** is the estimate of the items among them that were *delivered* at the end of the
  day (``sprints.delivery``), read from each item's status history: a bug reopened after
  delivery counts as not done again.
* **Remaining** = scope - done (the burndown); scope and done are the burnup. The ideal line
  runs from the scope on the first day to zero on the last; before the sprint starts, from
  the scope planned into it so far.
* **Velocity** per closed sprint: points committed (planned before the start, or carried in),
  points done, points carried over, points added during the sprint.

Moments are POSIX seconds (floats), as the selectors read them from the database.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Stay:
    key: str
    category: str
    estimate: int
    added_at: float
    left_at: float | None = None  # moved out of the sprint


@dataclass(frozen=True)
class Day:
    day: date
    scope: int | None
    done: int | None
    ideal: float

    @property
    def remaining(self) -> int | None:
        if self.scope is None or self.done is None:
            return None
        return self.scope - self.done


@dataclass(frozen=True)
class Burndown:
    days: tuple[Day, ...]

    @property
    def labels(self) -> list[str]:
        return [d.day.isoformat() for d in self.days]


class StatusAt:
    """An item's status at any moment, from its initial status and its status changes."""

    def __init__(self, initial: str, changes: Sequence[tuple[float, str]]) -> None:
        self.initial = initial
        self.times = [at for at, _ in changes]
        self.statuses = [status for _, status in changes]

    def at(self, moment: float) -> str:
        index = bisect.bisect_left(self.times, moment)  # changes strictly before ``moment``
        return self.statuses[index - 1] if index else self.initial


def _intervals(history: StatusAt) -> list[tuple[float, float, str]]:
    """(after, until, status): the status holds at every moment m with after < m <= until."""
    bounds = [float("-inf"), *history.times, float("inf")]
    statuses = [history.initial, *history.statuses]
    return [(bounds[i], bounds[i + 1], status) for i, status in enumerate(statuses)]


def burndown(
    *,
    start: date,
    end: date,
    stays: Iterable[Stay],
    history: Mapping[str, StatusAt],
    delivered: Callable[[str, str], bool],
    day_end: Callable[[date], float],
    today: date,
) -> Burndown:
    """One point per sprint day; days after ``today`` have no values (only the ideal line).

    Each stay adds its estimate to a range of days (difference arrays), so the cost is the
    number of stays and status changes, not days x stays.
    """
    stays = tuple(stays)
    n = (end - start).days + 1
    days = [start + timedelta(days=i) for i in range(n)]
    shown = sum(1 for d in days if d <= today)
    cutoffs = [day_end(d) for d in days[:shown]]
    scope, done = [0] * (shown + 1), [0] * (shown + 1)
    for stay in stays:
        lo = bisect.bisect_right(cutoffs, stay.added_at)
        hi = shown if stay.left_at is None else bisect.bisect_right(cutoffs, stay.left_at)
        if lo >= hi or not stay.estimate:
            continue
        scope[lo] += stay.estimate
        scope[hi] -= stay.estimate
        line = history.get(stay.key)
        if line is None:
            continue
        for after, until, status in _intervals(line):
            if not delivered(stay.category, status):
                continue
            a = max(lo, bisect.bisect_right(cutoffs, after))
            b = min(hi, bisect.bisect_right(cutoffs, until))
            if a < b:
                done[a] += stay.estimate
                done[b] -= stay.estimate
    points: list[Day] = []
    running_scope = running_done = 0
    for i, day in enumerate(days):
        if i < shown:
            running_scope += scope[i]
            running_done += done[i]
            points.append(Day(day, running_scope, running_done, 0.0))
        else:
            points.append(Day(day, None, None, 0.0))
    if shown:
        base = float(points[0].scope or 0)
    else:  # not started yet: the ideal line starts from what is planned into it now
        base = float(sum(s.estimate for s in stays if s.left_at is None))
    span = max(1, n - 1)
    return Burndown(
        tuple(
            Day(d.day, d.scope, d.done, round(base * (1 - i / span), 2))
            for i, d in enumerate(points)
        )
    )


@dataclass(frozen=True)
class EntryRow:
    sprint_id: int
    kind: str
    outcome: str
    estimate: int | None


@dataclass(frozen=True)
class Velocity:
    sprint_id: int
    name: str
    committed: int
    committed_done: int
    done: int
    carried_over: int
    added: int

    @property
    def predictability(self) -> float | None:
        """Committed points done / committed points (None when nothing was committed)."""
        return round(self.committed_done / self.committed, 3) if self.committed else None


def velocity(sprints: Sequence[tuple[int, str]], entries: Iterable[EntryRow]) -> list[Velocity]:
    """Per sprint (in the given order): committed, done, carried over and added points."""
    totals: dict[int, dict[str, int]] = {
        sid: dict.fromkeys(("committed", "committed_done", "done", "carried", "added"), 0)
        for sid, _ in sprints
    }
    for e in entries:
        t = totals.get(e.sprint_id)
        if t is None:
            continue
        points = e.estimate or 0
        committed = e.kind in ("planned", "carried_over")
        if committed:
            t["committed"] += points
        else:
            t["added"] += points
        if e.outcome == "done":
            t["done"] += points
            if committed:
                t["committed_done"] += points
        elif e.outcome == "carried_over":
            t["carried"] += points
    return [
        Velocity(
            sprint_id=sid,
            name=name,
            committed=totals[sid]["committed"],
            committed_done=totals[sid]["committed_done"],
            done=totals[sid]["done"],
            carried_over=totals[sid]["carried"],
            added=totals[sid]["added"],
        )
        for sid, name in sprints
    ]
