"""Output of /api/v1/reports."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from ninja import Schema
from pydantic import Field

from casebridge.reporting.flow import FlowMetrics, Summary


class SummaryOut(Schema):
    n: int
    mean: float | None
    median: float | None
    p85: float | None


class StageOut(Schema):
    status: str
    label: str
    hours: SummaryOut = Field(description="Time in the stage, for stays that ended in the window")
    wip: int = Field(description="Items in the stage at the end of the window (active stages)")


class CountAt(Schema):
    at: datetime
    count: int


class SprintPredictabilityOut(Schema):
    sprint: str
    closed_at: datetime
    committed: int
    committed_done: int
    ratio: float | None


class FlowOut(Schema):
    start: datetime
    end: datetime
    throughput: int = Field(description="Items that reached done in the window")
    throughput_weekly: list[CountAt]
    cycle_time_hours: SummaryOut = Field(description="First active state to done")
    stages: list[StageOut]
    wip: int
    wip_average: float | None
    wip_daily: list[CountAt]
    flow_efficiency: float | None = Field(description="Work-stage time / cycle time")
    predictability: list[SprintPredictabilityOut]
    predictability_overall: float | None


def _summary(s: Summary) -> SummaryOut:
    return SummaryOut(n=s.n, mean=s.mean, median=s.median, p85=s.p85)


def flow_out(m: FlowMetrics) -> FlowOut:
    return FlowOut(
        start=m.start,
        end=m.end,
        throughput=m.throughput,
        throughput_weekly=[CountAt(at=at, count=n) for at, n in m.throughput_weekly],
        cycle_time_hours=_summary(m.cycle_time),
        stages=[
            StageOut(status=s.status, label=s.label, hours=_summary(s.hours), wip=s.wip)
            for s in m.stages
        ],
        wip=m.wip,
        wip_average=m.wip_average,
        wip_daily=[CountAt(at=at, count=n) for at, n in m.wip_daily],
        flow_efficiency=m.flow_efficiency,
        predictability=[
            SprintPredictabilityOut(
                sprint=p.sprint,
                closed_at=p.closed_at,
                committed=p.committed,
                committed_done=p.committed_done,
                ratio=p.ratio,
            )
            for p in m.predictability
        ],
        predictability_overall=m.predictability_overall,
    )


#: Flow metrics as CSV, one figure a row: ``metric`` names the figure, ``subject`` the stage
#: (status) or sprint it is about, ``at`` the week or day of a series point.
FLOW_CSV_HEADER = ("metric", "subject", "at", "value")


def flow_csv_rows(m: FlowMetrics) -> Iterator[tuple[object, ...]]:
    yield ("window_start", "", "", m.start)
    yield ("window_end", "", "", m.end)
    yield ("throughput", "", "", m.throughput)
    for at, n in m.throughput_weekly:
        yield ("throughput_weekly", "", at, n)
    yield from _summary_rows("cycle_time_hours", "", m.cycle_time)
    for s in m.stages:
        yield from _summary_rows("stage_hours", s.status, s.hours)
        yield ("stage_wip", s.status, "", s.wip)
    yield ("wip", "", "", m.wip)
    yield ("wip_average", "", "", m.wip_average)
    for at, n in m.wip_daily:
        yield ("wip_daily", "", at, n)
    yield ("flow_efficiency", "", "", m.flow_efficiency)
    for p in m.predictability:
        yield ("sprint_committed", p.sprint, p.closed_at, p.committed)
        yield ("sprint_committed_done", p.sprint, p.closed_at, p.committed_done)
        yield ("sprint_predictability", p.sprint, p.closed_at, p.ratio)
    yield ("predictability_overall", "", "", m.predictability_overall)


def _summary_rows(metric: str, subject: str, s: Summary) -> Iterator[tuple[object, ...]]:
    for name, value in (("n", s.n), ("mean", s.mean), ("median", s.median), ("p85", s.p85)):
        yield (f"{metric}_{name}", subject, "", value)
