"""Output of /api/v1/reports."""

from __future__ import annotations

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
