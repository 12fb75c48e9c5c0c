"""Benchmark: a category board with 10k work items (issue 3: p95 <= 150 ms on SQLite).

    .venv/bin/python benchmarks/work_item_board.py [--items 10000] [--repeat 200] [--json]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/casebridge_bench \
        .venv/bin/python benchmarks/work_item_board.py   # a database named *bench* (reset)

10k bugs spread over every state of the bug workflow (about half finished over the past year),
priorities, one or two assignees each once assigned, sprints of two teams, and their audit trail
(a created and a status event each), among 2k feature requests and improvements. Measured, in
the same run, through the Django test client signed in as the RTE:
  floor     a bare SELECT of the category's rows (the columns a card shows, all 10k of them);
  selector  work_item_board_for(): counts, the first cards of every column, assignees, ages;
  page      GET /work-items/board/bug/ (finished columns collapsed, the default);
  finished  GET /work-items/board/bug/?finished=1 (the last 14 days of closed/rejected too);
  filtered  GET /work-items/board/bug/?team=core&assignee=dev1.
"""

from __future__ import annotations

import argparse
import os
import random
from datetime import timedelta
from typing import Any

from sprint_common import analyze, database_option, emit, machine, seed_people, setup_django, timed

#: How the bugs are spread over the states (weights), like a product a few years old.
SPREAD = {
    "new": 5,
    "needs_info": 2,
    "triaged": 5,
    "scheduled": 8,
    "in_progress": 10,
    "in_review": 5,
    "in_testing": 4,
    "in_release": 3,
    "awaiting_validation": 3,
    "reopened": 1,
    "closed": 45,
    "rejected": 6,
    "duplicate": 3,
}
UNASSIGNED = {"new", "needs_info", "triaged"}
FINISHED = {"closed", "rejected", "duplicate"}
OTHERS = [("feature", "FR", "submitted"), ("improvement", "IMP", "proposed")]


def seed(n: int, others: int, rng: random.Random) -> dict[str, Any]:
    from casebridge.accounts.services import team_create
    from casebridge.audit.models import AuditEvent
    from casebridge.core import clock
    from casebridge.sprints.services import sprint_create
    from casebridge.workitems.models import WorkItem

    people = seed_people()
    now = clock.now()
    today = now.date()
    devs, core = people["devs"], people["team"]
    platform = team_create(actor=None, name="Platform", kind="devops", members=[])
    sprints = [
        sprint_create(
            actor=None,
            team=team,
            name=f"S{k}",
            start=today - timedelta(days=7 + 14 * k),
            end=today + timedelta(days=6 - 14 * k),
        )
        for team in (core, platform)
        for k in range(3)
    ]
    statuses = list(SPREAD)
    weights = list(SPREAD.values())
    items: list[WorkItem] = []
    for i in range(n):
        status = rng.choices(statuses, weights)[0]
        created = now - timedelta(minutes=rng.randrange(60 * 24 * 400))
        planned = status not in UNASSIGNED
        sprint = rng.choice(sprints) if planned else None
        items.append(
            WorkItem(
                key=f"BUG-{i + 1}",
                category="bug",
                title=f"Checkout fails for card payments, variant {i}",
                status=status,
                priority="" if status == "new" else rng.choice(["critical", "major", "minor"]),
                created_by=people["l2"],
                created_at=created,
                sprint=sprint,
                team=sprint.team if sprint else None,
                closed_at=created + (now - created) * rng.random() if status in FINISHED else None,
            )
        )
    for j in range(others):
        category, prefix, status = OTHERS[j % 2]
        items.append(
            WorkItem(
                key=f"{prefix}-{j + 1}",
                category=category,
                title=f"Other item {j}",
                status=status,
                created_by=people["l2"],
                created_at=now - timedelta(minutes=rng.randrange(60 * 24 * 400)),
            )
        )
    WorkItem.objects.bulk_create(items, batch_size=2000)
    rows = list(WorkItem.objects.values_list("pk", "key", "status", "created_at", "closed_at"))
    through = WorkItem.assignees.through
    through.objects.bulk_create(
        [
            through(workitem_id=pk, user_id=d.pk)
            for pk, key, status, _, _ in rows
            if key.startswith("BUG-") and status not in UNASSIGNED
            for d in rng.sample(devs, rng.choice([1, 1, 2]))
        ],
        batch_size=5000,
    )
    events = []
    for _, key, status, created, closed in rows:
        entered = closed or created + (now - created) * rng.random()
        events.append(
            AuditEvent(at=created, subject_type="work_item", subject_key=key, action="created")
        )
        events.append(
            AuditEvent(
                at=entered,
                actor=people["rte"],
                subject_type="work_item",
                subject_key=key,
                action="move",
                field="status",
                old="new",
                new=status,
                data={"transition": True},
            )
        )
    AuditEvent.objects.bulk_create(events, batch_size=5000)
    analyze()
    return {**people, "events": len(events), "sprints": len(sprints)}


def run(n: int, others: int, repeat: int) -> dict[str, Any]:
    workdir = setup_django()
    from django.db import connection
    from django.test import Client

    from casebridge.workitems.models import WorkItem
    from casebridge.workitems.selectors import ROW_FIELDS, work_item_board_for

    world = seed(n, others, random.Random(3))
    rte = world["rte"]

    def floor() -> None:
        list(WorkItem.objects.filter(category="bug").values_list(*ROW_FIELDS))

    def selector() -> None:
        work_item_board_for(rte, "bug", per_column=25)

    client = Client()
    client.force_login(rte)

    def get(url: str) -> Any:
        def fetch() -> None:
            response = client.get(url)
            assert response.status_code == 200, response.status_code

        return fetch

    page_url = "/work-items/board/bug/"
    queries: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        size = len(client.get(page_url).content)
    return {
        "machine": machine(),
        "database": connection.vendor,
        "dir": str(workdir),
        "items": n,
        "other_items": others,
        "events": world["events"],
        "page_queries": len(queries),
        "page_bytes": size,
        "floor": timed(floor, repeat),
        "selector": timed(selector, repeat),
        "page": timed(get(page_url), repeat),
        "finished": timed(get(page_url + "?finished=1"), repeat),
        "filtered": timed(get(page_url + "?team=core&assignee=dev1"), repeat),
    }


def render(r: dict[str, Any]) -> str:
    floor = r["floor"]["p95_ms"]
    lines = [
        f"database: {r['database']}  machine: {r['machine']}",
        f"bug board of {r['items']:,} bugs (+{r['other_items']:,} other items, "
        f"{r['events']:,} audit events); the page: {r['page_queries']} queries, "
        f"{r['page_bytes'] // 1024} KB",
        f"  {'measure':<62} {'p50 ms':>8} {'p95 ms':>8}",
    ]
    for label, key in (
        ("bare SELECT of the category's 10k rows (floor)", "floor"),
        ("work_item_board_for() (selector)", "selector"),
        ("GET /work-items/board/bug/ (target p95 <= 150)", "page"),
        ("GET /work-items/board/bug/?finished=1", "finished"),
        ("GET /work-items/board/bug/?team=core&assignee=dev1", "filtered"),
    ):
        f = r[key]
        ratio = f"   ({f['p95_ms'] / floor:.2f}x floor)" if key != "floor" and floor else ""
        lines.append(f"  {label:<62} {f['p50_ms']:>8} {f['p95_ms']:>8}{ratio}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--others", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    database_option(parser)
    args = parser.parse_args()
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    emit(run(args.items, args.others, args.repeat), args.json, render)


if __name__ == "__main__":
    main()
