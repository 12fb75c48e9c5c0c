"""/api/v1/reports: flow metrics from the audit trail (internal)."""

from __future__ import annotations

from django.http import HttpResponseBase
from ninja import Query, Router, Schema
from pydantic import Field

from casebridge.core.csvexport import CSV_OPENAPI, ExportFormat, csv_response
from casebridge.core.http import ApiRequest
from casebridge.core.schemas import ERRORS, AwareDatetime
from casebridge.reporting.drill import MAX_ROWS, drill_for
from casebridge.reporting.schemas import FLOW_CSV_HEADER, FlowOut, flow_csv_rows, flow_out
from casebridge.reporting.selectors import flow_for
from casebridge.reporting.support import DEFINITIONS, filters_for, support_report_for
from casebridge.reporting.tables import Cell
from casebridge.sprints.selectors import team_get_for

router = Router(tags=["reports"])


class FlowQuery(Schema):
    team: str = Field(default="", description="Team slug (default: every team)")
    category: str = Field(default="", description="bug, feature or improvement")
    start: AwareDatetime | None = Field(
        default=None, description="Default: 28 days before end; a date is in the server's zone"
    )
    end: AwareDatetime | None = Field(
        default=None, description="Default: now; a date is in the server's zone"
    )
    format: ExportFormat = Field(
        default="json", description="csv: one figure a row (metric, subject, at, value)"
    )


@router.get(
    "/flow",
    response={200: FlowOut, **ERRORS},
    summary="Flow metrics",
    openapi_extra=CSV_OPENAPI,
)
def flow(request: ApiRequest, query: Query[FlowQuery]) -> FlowOut | HttpResponseBase:
    team = team_get_for(request.auth, query.team) if query.team else None
    metrics = flow_for(
        request.auth, team=team, category=query.category, start=query.start, end=query.end
    )
    if query.format == "csv":
        return csv_response("flow", FLOW_CSV_HEADER, flow_csv_rows(metrics))
    return flow_out(metrics)


class SupportQuery(Schema):
    start: AwareDatetime | None = Field(default=None, description="Default: 28 days before end")
    end: AwareDatetime | None = Field(default=None, description="Default: now")
    period: str = Field(default="week", max_length=8, description="day, week or month")
    service: str = Field(default="", max_length=80, description="Service slug")
    organisation: str = Field(default="", max_length=80, description="Organisation slug")
    team: str = Field(default="", max_length=80, description="Team slug (escalated cases)")


class TableOut(Schema):
    name: str
    title: str
    definition: str
    columns: list[str]
    rows: list[list[Cell]]
    links: list[list[str]] = Field(
        description="Per cell, the metric whose cases are at /reports/support/cases ('' for none)"
    )


@router.get(
    "/support", response={200: list[TableOut], **ERRORS}, summary="Support KPIs (every table)"
)
def support(request: ApiRequest, query: Query[SupportQuery]) -> list[TableOut]:
    f = filters_for(**query.dict())
    return [
        TableOut(
            name=t.name,
            title=t.title,
            definition=DEFINITIONS[t.name],
            columns=t.columns,
            rows=t.rows,
            links=t.links,
        )
        for t in support_report_for(request.auth, f)
    ]


class DrillQuery(SupportQuery):
    metric: str = Field(max_length=200, description="A metric from a table's links")


class DrillOut(Schema):
    metric: str
    title: str
    count: int
    kind: str = Field(description="case or work_item")
    keys: list[str] = Field(description=f"At most {MAX_ROWS}, newest first")


@router.get(
    "/support/cases",
    response={200: DrillOut, **ERRORS},
    summary="The cases (or work items) behind one number of the support report",
)
def support_cases(request: ApiRequest, query: Query[DrillQuery]) -> DrillOut:
    values = query.dict()
    metric = values.pop("metric")
    drill = drill_for(request.auth, filters_for(**values), metric)
    if drill.work_items is not None:
        keys = list(drill.work_items.values_list("key", flat=True))
        return DrillOut(metric=metric, title=drill.title, count=len(keys), kind="work_item",
                        keys=keys[:MAX_ROWS])  # fmt: skip
    cases = drill.cases
    assert cases is not None
    return DrillOut(metric=metric, title=drill.title, count=cases.count(), kind="case",
                    keys=list(cases.values_list("key", flat=True)[:MAX_ROWS]))  # fmt: skip
