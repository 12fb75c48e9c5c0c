"""Benchmark: the sprint board at 2k items (issue 4: p95 <= 150 ms on SQLite).

    .venv/bin/python benchmarks/sprint_board.py [--items 2000] [--repeat 200] [--json]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/casebridge_bench \
        .venv/bin/python benchmarks/sprint_board.py   # a database named *bench* (reset)

A running sprint with 2k work items spread over the board's columns, two assignees each, their
sprint entries and status histories (~4 audit events each, for the burndown), among 20k other
work items and their events. Measured, in the same run:
  floor     a bare SELECT of the sprint's 2k rows (the columns the board shows);
  api       GET /api/v1/sprints/{id}/board (JSON);
  page      GET /sprints/{id}/ : the board, its burndown and burnup, as HTML.
"""

from __future__ import annotations

import argparse
import gc
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

STATUSES = [
    (
        "bug",
        [
            "scheduled",
            "in_progress",
            "in_review",
            "in_testing",
            "in_release",
            "awaiting_validation",
            "closed",
            "reopened",
        ],
    ),
    (
        "feature",
        [
            "scheduled",
            "in_progress",
            "in_review",
            "in_testing",
            "in_release",
            "awaiting_acceptance",
            "done",
        ],
    ),
    ("improvement", ["approved", "in_progress", "in_review", "done"]),
]
PREFIX = {"bug": "BUG", "feature": "FR", "improvement": "IMP"}


def seed(n: int, others: int, rng: random.Random) -> dict[str, Any]:
    from casebridge.accounts.services import token_create
    from casebridge.audit.models import AuditEvent
    from casebridge.core import clock
    from casebridge.sprints.models import SprintEntry
    from casebridge.sprints.services import sprint_create
    from casebridge.workitems.models import WorkItem

    people = seed_people()
    team, now = people["team"], clock.now()
    today = now.date()
    sprint = sprint_create(
        actor=None,
        team=team,
        name="Now",
        start=today - timedelta(days=6),
        end=today + timedelta(days=7),
        capacity=n * 3,
    )
    rows: list[dict[str, Any]] = []
    for i in range(n + others):
        category, statuses = rng.choice(STATUSES)
        rows.append(
            {
                "key": f"{PREFIX[category]}-{i}",
                "category": category,
                "status": rng.choice(statuses),
                "priority": rng.choice(["critical", "major", "minor"]) if category == "bug" else "",
                "estimate": rng.choice([None, 1, 2, 3, 5, 8]),
                "sprint": sprint if i < n else None,
                "team": team,
            }
        )
    bulk_items(rows, people["l2"], now, rng)
    in_sprint = list(WorkItem.objects.filter(sprint=sprint).values_list("pk", "key", "estimate"))
    through = WorkItem.assignees.through
    devs = people["devs"]
    through.objects.bulk_create(
        [
            through(workitem_id=pk, user_id=d.pk)
            for pk, _, _ in in_sprint
            for d in rng.sample(devs, 2)
        ],
        batch_size=5000,
    )
    start = now - timedelta(days=6)
    SprintEntry.objects.bulk_create(
        [
            SprintEntry(sprint=sprint, item_id=pk, kind="planned", estimate=est, added_at=start)
            for pk, _, est in in_sprint
        ],
        batch_size=5000,
    )
    events = []
    for key in WorkItem.objects.values_list("key", flat=True):
        t = start
        for status in ("scheduled", "in_progress", "in_review", "in_testing"):
            t += timedelta(hours=rng.randrange(1, 40))
            events.append(
                AuditEvent(
                    at=min(t, now),
                    actor=people["rte"],
                    subject_type="work_item",
                    subject_key=key,
                    action="move",
                    field="status",
                    old="",
                    new=status,
                    data={"transition": True},
                )
            )
    AuditEvent.objects.bulk_create(events, batch_size=5000)
    _, token = token_create(actor=None, user=people["rte"], name="bench", scope="read")
    analyze()
    return {**people, "sprint": sprint, "token": token, "events": len(events)}


def run(n: int, others: int, repeat: int, unfrozen: bool = False) -> dict[str, Any]:
    workdir = setup_django()
    from django.db import connection
    from django.test import Client

    from casebridge.workitems.models import WorkItem

    world = seed(n, others, random.Random(6))
    sprint = world["sprint"]

    def floor() -> None:
        list(
            WorkItem.objects.filter(sprint=sprint).values_list(
                "pk", "key", "title", "category", "priority", "status", "estimate"
            )
        )

    api_client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {world['token']}"}

    def api() -> None:
        response = api_client.get(f"/api/v1/sprints/{sprint.pk}/board", **auth)
        assert response.status_code == 200, response.content[:300]

    page_client = Client()
    page_client.force_login(world["rte"])

    def page() -> None:
        response = page_client.get(f"/sprints/{sprint.pk}/")
        assert response.status_code == 200, response.status_code

    result = {
        "machine": machine(),
        "database": connection.vendor,
        "dir": str(workdir),
        "items": n,
        "other_items": others,
        "events": world["events"],
        "floor": timed(floor, repeat),
    }
    if not unfrozen:
        # As `casebridge serve` does once the application is loaded (before it forks): what
        # lives as long as the process is left out of later collections.
        gc.collect()
        gc.freeze()
    result["gc_frozen"] = not unfrozen
    result["api"] = timed(api, repeat)
    result["page"] = timed(page, repeat)
    return result


def render(r: dict[str, Any]) -> str:
    floor = r["floor"]["p95_ms"]
    lines = [
        f"database: {r['database']}  machine: {r['machine']}",
        f"sprint of {r['items']:,} items (+{r['other_items']:,} other items, "
        f"{r['events']:,} status events)",
        f"  {'measure':<58} {'p50 ms':>8} {'p95 ms':>8}",
    ]
    for label, key in (
        ("bare SELECT of the sprint's rows (floor)", "floor"),
        ("GET /api/v1/sprints/{id}/board", "api"),
        ("GET /sprints/{id}/ board + burndown page (target p95 <= 150)", "page"),
    ):
        f = r[key]
        ratio = f"   ({f['p95_ms'] / floor:.1f}x floor)" if key != "floor" and floor else ""
        lines.append(f"  {label:<58} {f['p50_ms']:>8} {f['p95_ms']:>8}{ratio}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--others", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument(
        "--unfrozen",
        action="store_true",
        help="Measure without gc.freeze() (as before `casebridge serve` froze its objects).",
    )
    parser.add_argument("--json", action="store_true")
    database_option(parser)
    args = parser.parse_args()
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    emit(run(args.items, args.others, args.repeat, args.unfrozen), args.json, render)


if __name__ == "__main__":
    main()
