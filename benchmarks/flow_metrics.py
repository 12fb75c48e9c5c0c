"""Benchmark: flow metrics over 100k audit events (issue 4: <= 1 s).

    .venv/bin/python benchmarks/flow_metrics.py [--events 100000] [--repeat 10] [--json]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/casebridge_bench \
        .venv/bin/python benchmarks/flow_metrics.py   # a database named *bench* (reset)

The history: work items of the three categories walking their workflows over 180 days, one audit
event per status change (100k of them), plus 20% other events (assignments, estimates) that the
metrics must skip. Measured, in the same run:
  floor     a bare ORM SELECT of the 100k status events (subject, time, new status);
  compute   the pure ``flow_metrics`` on those rows, already in memory;
  flow_for  the whole report: load items and events, compute (28-day and 180-day windows);
  api       GET /api/v1/reports/flow (28 days), JSON included.
"""

from __future__ import annotations

import argparse
import os
import random
from datetime import timedelta
from typing import Any

from sprint_common import (
    analyze,
    bulk_items,
    database_option,
    emit,
    machine,
    seed_people,
    setup_django,
    timed,
)

PATHS = {
    "bug": [
        "triaged",
        "scheduled",
        "in_progress",
        "in_review",
        "in_testing",
        "in_release",
        "awaiting_validation",
        "closed",
    ],
    "feature": [
        "under_review",
        "approved",
        "scheduled",
        "in_progress",
        "in_review",
        "in_testing",
        "in_release",
        "awaiting_acceptance",
        "done",
    ],
    "improvement": ["under_review", "approved", "in_progress", "in_review", "done"],
}
INITIAL = {"bug": "new", "feature": "submitted", "improvement": "proposed"}
PREFIX = {"bug": "BUG", "feature": "FR", "improvement": "IMP"}


def seed(events: int, rng: random.Random) -> dict[str, Any]:
    from casebridge.accounts.services import token_create
    from casebridge.audit.models import AuditEvent
    from casebridge.core import clock

    people = seed_people()
    now = clock.now()
    rows: list[dict[str, Any]] = []
    history: list[AuditEvent] = []
    made, n = 0, 0
    while made < events:
        category = rng.choices(list(PATHS), [5, 3, 2])[0]
        key = f"{PREFIX[category]}-{n}"
        created = now - timedelta(days=180) + timedelta(minutes=rng.randrange(180 * 24 * 60))
        steps = PATHS[category][: rng.randint(1, len(PATHS[category]))]
        t, old, status = created, INITIAL[category], INITIAL[category]
        for status in steps:
            t += timedelta(minutes=rng.randrange(30, 3 * 24 * 60))
            if t >= now:
                break
            history.append(
                AuditEvent(
                    at=t,
                    actor=people["rte"],
                    subject_type="work_item",
                    subject_key=key,
                    action="move",
                    field="status",
                    old=old,
                    new=status,
                    data={"transition": True},
                )
            )
            if rng.random() < 0.2:
                history.append(
                    AuditEvent(
                        at=t,
                        actor=people["rte"],
                        subject_type="work_item",
                        subject_key=key,
                        action="assign",
                        field="assignees",
                        old="",
                        new="dev1",
                    )
                )
            old = status
            made += 1
        rows.append(
            {
                "key": key,
                "category": category,
                "status": old,
                "created_at": created,
                "team": people["team"],
            }
        )
        n += 1
    bulk_items(rows, people["l2"], now, rng)
    AuditEvent.objects.bulk_create(history, batch_size=5000)
    _, token = token_create(actor=None, user=people["rte"], name="bench", scope="read")
    analyze()
    return {**people, "token": token, "items": n, "status_events": made, "events": len(history)}


def run(events: int, repeat: int) -> dict[str, Any]:
    workdir = setup_django()
    from django.db import connection
    from django.test import Client

    from casebridge.audit.models import AuditEvent
    from casebridge.core import clock
    from casebridge.core.expressions import EpochSeconds
    from casebridge.reporting import selectors
    from casebridge.reporting.flow import ItemInfo, flow_metrics
    from casebridge.sprints.delivery import WORK_STAGES, groups, initial_status
    from casebridge.workitems.models import WorkItem

    world = seed(events, random.Random(5))
    rte = world["rte"]
    end = clock.now()
    status_events = AuditEvent.objects.filter(subject_type="work_item", field="status")

    def floor() -> None:
        list(status_events.values_list("subject_key", "at", "new"))

    loaded = list(
        status_events.order_by("at", "pk")
        .annotate(seconds=EpochSeconds("at"))
        .values_list("subject_key", "seconds", "new")
    )
    items = {
        k: ItemInfo(c, at.timestamp(), initial_status(c))
        for k, c, at in WorkItem.objects.values_list("key", "category", "created_at")
    }
    group_names = {c: {s: str(g) for s, g in m.items()} for c, m in groups().items()}

    def compute() -> None:
        flow_metrics(
            items=items,
            events=loaded,
            groups=group_names,
            labels=selectors._labels(),
            work_stages=WORK_STAGES,
            start=end - timedelta(days=28),
            end=end,
        )

    def report(days: int) -> Any:
        return lambda: selectors.flow_for(rte, start=end - timedelta(days=days), end=end)

    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {world['token']}"}

    def api() -> None:
        response = client.get("/api/v1/reports/flow", **auth)
        assert response.status_code == 200, response.content[:300]

    sample = selectors.flow_for(rte, start=end - timedelta(days=28), end=end)
    return {
        "machine": machine(),
        "database": connection.vendor,
        "dir": str(workdir),
        "items": world["items"],
        "status_events": world["status_events"],
        "events": world["events"],
        "throughput_28d": sample.throughput,
        "wip": sample.wip,
        "floor": timed(floor, repeat, warmup=1),
        "compute": timed(compute, repeat, warmup=1),
        "flow_28d": timed(report(28), repeat, warmup=1),
        "flow_180d": timed(report(180), repeat, warmup=1),
        "api": timed(api, repeat, warmup=1),
    }


def render(r: dict[str, Any]) -> str:
    floor = r["floor"]["p95_ms"]
    lines = [
        f"database: {r['database']}  machine: {r['machine']}",
        f"{r['events']:,} audit events ({r['status_events']:,} status changes) "
        f"of {r['items']:,} work items; 28 days: throughput {r['throughput_28d']}, WIP {r['wip']}",
        f"  {'measure':<58} {'p50 ms':>8} {'p95 ms':>8}",
    ]
    for label, key in (
        ("bare SELECT of the status events (floor)", "floor"),
        ("pure flow_metrics on rows in memory", "compute"),
        ("flow_for, 28-day window (target <= 1000 ms)", "flow_28d"),
        ("flow_for, 180-day window", "flow_180d"),
        ("GET /api/v1/reports/flow", "api"),
    ):
        f = r[key]
        ratio = f"   ({f['p95_ms'] / floor:.1f}x floor)" if key != "floor" and floor else ""
        lines.append(f"  {label:<58} {f['p50_ms']:>8} {f['p95_ms']:>8}{ratio}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    database_option(parser)
    args = parser.parse_args()
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    emit(run(args.events, args.repeat), args.json, render)


if __name__ == "__main__":
    main()
