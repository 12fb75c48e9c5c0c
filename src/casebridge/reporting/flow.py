"""Flow metrics from the audit trail, as a pure function over status histories.

Every work-item transition writes one audit event with ``field="status"``; with each item's
creation time and initial status they give its full timeline: a list of *stays* (status, from,
until). Over a window ``[start, end)``:

* **throughput**: items that reached the done group in the window (per week, and in total);
* **cycle time**: for those items, from their first entry into the active group (scheduled or
  started) to done;
* **time per stage**: for every stay that ended in the window, its length, per status;
* **WIP**: items in the active group at the end of the window (in total and per stage), and the
  average of the WIP at the end of each day of the window;
* **flow efficiency**: for the items done in the window, time in work stages (in progress, in
  review, in testing) / cycle time, summed over the items;
* **predictability**: for each sprint closed in the window (its ``closed`` audit event), the
  committed points done / committed points; overall, the sums' ratio.

Times are POSIX seconds (floats) so that 100k events are read and compared fast; durations
are reported in hours. A stay transition (status unchanged) is not a change.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

HOUR = 3600.0
DAY = 86400.0
WEEK = 7 * DAY

#: (status, since, until or None)
StayRow = tuple[str, float, float | None]


@dataclass(frozen=True)
class ItemInfo:
    category: str
    created_at: float
    initial: str


@dataclass(frozen=True)
class Summary:
    n: int
    mean: float | None
    median: float | None
    p85: float | None

    @staticmethod
    def of(values: list[float]) -> Summary:
        if not values:
            return Summary(0, None, None, None)
        ordered = sorted(values)
        p85 = ordered[max(0, math.ceil(0.85 * len(ordered)) - 1)]  # nearest rank
        return Summary(
            len(ordered),
            round(statistics.fmean(ordered), 2),
            round(statistics.median(ordered), 2),
            round(p85, 2),
        )


@dataclass(frozen=True)
class Stage:
    status: str
    label: str
    hours: Summary
    wip: int


@dataclass(frozen=True)
class SprintPredictability:
    sprint: str
    closed_at: datetime
    committed: int
    committed_done: int

    @property
    def ratio(self) -> float | None:
        return round(self.committed_done / self.committed, 3) if self.committed else None


@dataclass(frozen=True)
class FlowMetrics:
    start: datetime
    end: datetime
    throughput: int
    throughput_weekly: tuple[tuple[datetime, int], ...]
    cycle_time: Summary
    stages: tuple[Stage, ...]
    wip: int
    wip_daily: tuple[tuple[datetime, int], ...]
    flow_efficiency: float | None
    predictability: tuple[SprintPredictability, ...]

    @property
    def wip_average(self) -> float | None:
        if not self.wip_daily:
            return None
        return round(statistics.fmean(n for _, n in self.wip_daily), 2)

    @property
    def predictability_overall(self) -> float | None:
        committed = sum(p.committed for p in self.predictability)
        done = sum(p.committed_done for p in self.predictability)
        return round(done / committed, 3) if committed else None


def seconds(moment: datetime) -> float:
    return moment.timestamp()


def moment(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def timelines(
    items: Mapping[str, ItemInfo], events: Iterable[tuple[str, float, str]]
) -> dict[str, list[tuple[float, str]]]:
    """Each item's status changes, starting with its creation; events in time order."""
    lines: dict[str, list[tuple[float, str]]] = {
        key: [(info.created_at, info.initial)] for key, info in items.items()
    }
    for key, at, new in events:
        line = lines.get(key)
        if line is not None and line[-1][1] != new:
            line.append((at, new))
    return lines


def stays_of(line: list[tuple[float, str]]) -> list[StayRow]:
    last = len(line) - 1
    return [
        (status, since, line[i + 1][0] if i < last else None)
        for i, (since, status) in enumerate(line)
    ]


@dataclass
class _Done:
    active_at: float
    done_at: float
    work: float  # seconds in work stages


def _done_in(
    stays: list[StayRow],
    *,
    group: Mapping[str, str],
    start: float,
    end: float,
    work: frozenset[str],
) -> _Done | None:
    done_at = next((since for status, since, _ in stays if group.get(status) == "done"), None)
    if done_at is None or not start <= done_at < end:
        return None
    active_at = next((since for status, since, _ in stays if group.get(status) == "active"), None)
    if active_at is None or active_at > done_at:
        return None
    busy = sum(
        (until if until is not None else done_at) - since
        for status, since, until in stays
        if status in work and active_at <= since < done_at
    )
    return _Done(active_at, done_at, busy)


def _wip_series(active: list[tuple[float, float | None]], samples: list[float]) -> list[int]:
    """How many active stays contain each sample moment: since <= moment < until."""
    bounds: list[tuple[float, int]] = [(since, 1) for since, _ in active]
    bounds += [(until, -1) for _, until in active if until is not None]
    bounds.sort()
    counts, level, i, n = [], 0, 0, len(bounds)
    for sample in samples:
        while i < n and bounds[i][0] <= sample:
            level += bounds[i][1]
            i += 1
        counts.append(level)
    return counts


def _order(labels: Mapping[str, str]) -> dict[str, int]:
    return {status: n for n, status in enumerate(labels)}


def _count(value: object) -> int:
    """A count stored in an audit event's data (a number, or its text)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float | str) and str(value).strip():
        return int(float(value))
    return 0


def flow_metrics(
    *,
    items: Mapping[str, ItemInfo],
    events: Iterable[tuple[str, float, str]],
    groups: Mapping[str, Mapping[str, str]],
    labels: Mapping[str, str],
    work_stages: frozenset[str],
    start: datetime,
    end: datetime,
    closed_sprints: Iterable[tuple[str, datetime, Mapping[str, object]]] = (),
) -> FlowMetrics:
    s, e = seconds(start), seconds(end)
    lines = timelines(items, events)
    stage_hours: dict[str, list[float]] = defaultdict(list)
    stage_wip: dict[str, int] = defaultdict(int)
    done: list[_Done] = []
    active: list[tuple[float, float | None]] = []
    for key, line in lines.items():
        group = groups[items[key].category]
        stays = stays_of(line)
        for status, since, until in stays:
            if since > e:
                continue
            if until is not None and s <= until < e:
                stage_hours[status].append((until - since) / HOUR)
            if group.get(status) == "active":
                active.append((since, until))
                if until is None or until > e:
                    stage_wip[status] += 1
        finished = _done_in(stays, group=group, start=s, end=e, work=work_stages)
        if finished is not None:
            done.append(finished)
    weeks = [s + n * WEEK for n in range(math.ceil((e - s) / WEEK))]
    weekly = [sum(1 for d in done if w <= d.done_at < min(w + WEEK, e)) for w in weeks]
    days = [s + n * DAY for n in range(1, int((e - s) // DAY) + 1)]
    cycle = [d.done_at - d.active_at for d in done]
    order = _order(labels)
    statuses = sorted(
        stage_hours.keys() | stage_wip.keys(), key=lambda x: (order.get(x, len(order)), x)
    )
    predictability = tuple(
        SprintPredictability(
            sprint=name,
            closed_at=at,
            committed=_count(data.get("committed_points")),
            committed_done=_count(data.get("committed_done_points")),
        )
        for name, at, data in closed_sprints
        if start <= at < end
    )
    total_cycle = sum(cycle)
    return FlowMetrics(
        start=start,
        end=end,
        throughput=len(done),
        throughput_weekly=tuple((moment(w), n) for w, n in zip(weeks, weekly, strict=True)),
        cycle_time=Summary.of([c / HOUR for c in cycle]),
        stages=tuple(
            Stage(x, labels.get(x, x), Summary.of(stage_hours.get(x, [])), stage_wip.get(x, 0))
            for x in statuses
        ),
        wip=sum(stage_wip.values()),
        wip_daily=tuple(
            (moment(d), n) for d, n in zip(days, _wip_series(active, days), strict=True)
        ),
        flow_efficiency=(
            round(sum(d.work for d in done) / total_cycle, 3) if total_cycle > 0 else None
        ),
        predictability=predictability,
    )
