"""Pages on a database that has grown to 10M audit events (issue 17), measured before and after.

    .venv/bin/python benchmarks/audit_growth.py [--cases 100000] [--events 10000000]
        [--repeat 100] [--database-url postgres://.../<name>_bench] [--json]

A fresh database (SQLite by default; ``--database-url`` names a PostgreSQL database, dropped and
created again) gets the planning history of ``flow_metrics.py`` (work items walking their
workflows over 180 days, 100k status events) and ``--cases`` cases spread over the past years
(the bulk loader of ``cases_intake_queue.py``). Every measure is taken twice in the same run:
once on that database, once after ``--events`` more audit events have been bulk-loaded (setup,
not measured: cases' comments, status and field changes, and work items' assignments and
comments, spread over 365 days), so the only difference between the two columns is the size of
the audit log. Measured, each ``--repeat`` times after warm-ups:

* ``POST /api/v1/cases`` (writes a case, its audit event and outbox row): target p95 <= 10 ms;
* the L2 queue filtered by service (target p95 <= 100 ms) and the API list;
* a case's page and ``GET /api/v1/cases/{key}/timeline`` for a case with ~100 events;
* a work item's page and ``GET /api/v1/work-items/{key}/timeline``;
* the flow report over 28 days (``GET /api/v1/reports/flow``, target <= 1 s);
* floors: a bare SELECT of one case's audit events by the subject index, and a bare INSERT of
  one audit row in its own transaction.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import time
from datetime import timedelta
from typing import Any

from _common import database_option, emit, machine, setup_django, timed

CASE_ACTIONS = [
    ("commented", "", "", ""),
    ("move", "state", "open", "in_progress"),
    ("update", "impact", "medium", "high"),
    ("taken", "owner", "", "l2"),
    ("commented", "", "", ""),
]
ITEM_ACTIONS = [("commented", "", "", ""), ("assign", "assignees", "", "dev1")]
CHUNK = 50_000


def seed(cases: int) -> dict[str, Any]:
    import flow_metrics
    from casebridge.accounts.services import organisation_create, token_create, user_create
    from casebridge.catalog.models import Component, Service
    from casebridge.workitems.models import WorkItem
    from cases_intake_queue import grow_to

    world = flow_metrics.seed(100_000, random.Random(5))
    org = organisation_create(actor=None, name="Acme Retail", slug="acme")
    Component.objects.create(service=Service.objects.get(slug="payments"), name="Core", slug="core")
    l1 = user_create(actor=None, username="l1", email="l1@x.test", roles=["l1_agent"])
    reporter = user_create(
        actor=None, username="cust", email="c@x.test", roles=["reporter"], organisation=org
    )
    _, write_token = token_create(actor=None, user=l1, name="bench-write", scope="write")
    world.update(org=org, l1=l1, reporter=reporter, write_token=write_token)
    world["item_keys"] = sorted(WorkItem.objects.values_list("key", flat=True))
    grow_to(cases, world, random.Random(12))
    return world


def grow_audit(events: int, cases: int, items: list[str], actor_id: int) -> float:
    """Bulk-load ``events`` audit rows (setup): COPY on PostgreSQL, executemany on SQLite."""
    from django.db import connection, transaction

    from casebridge.core import clock

    rng = random.Random(17)
    now = clock.now()
    began = time.perf_counter()
    columns = (
        "at, actor_id, subject_type, subject_key, action, field, old, new, reason, data, public"
    )

    def rows(n: int) -> list[tuple[Any, ...]]:
        out = []
        for _ in range(n):
            at = now - timedelta(seconds=rng.randrange(365 * 86400))
            if rng.random() < 0.9:
                action, field, old, new = rng.choice(CASE_ACTIONS)
                subject = ("case", f"CB-{rng.randrange(1, cases + 1)}")
            else:
                action, field, old, new = rng.choice(ITEM_ACTIONS)
                subject = ("work_item", rng.choice(items))
            out.append((at, actor_id, *subject, action, field, old, new, "", "{}", False))
        return out

    left = events
    while left:
        batch = rows(min(CHUNK, left))
        left -= len(batch)
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY audit_auditevent ({columns}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
            else:
                cursor.executemany(
                    f"INSERT INTO audit_auditevent ({columns}) VALUES "
                    "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    batch,
                )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return round(time.perf_counter() - began, 1)


def measure(world: dict[str, Any], repeat: int) -> dict[str, Any]:
    from django.db import connection, transaction
    from django.test import Client

    from casebridge.core import clock

    staff = Client()
    staff.force_login(world["l2"])
    rte = Client()
    rte.force_login(world["rte"])
    writer = Client()
    reader = Client()
    write_auth = {"HTTP_AUTHORIZATION": f"Bearer {world['write_token']}"}
    read_auth = {"HTTP_AUTHORIZATION": f"Bearer {world['token']}"}
    body = json.dumps(
        {
            "title": "Checkout fails with 502 for card payments",
            "description": "Customers see an error at the last step.",
            "service": "payments",
            "component": "core",
            "environment": "production",
            "impact": "high",
            "organisation": "acme",
        }
    )
    case_key, item_key = "CB-4242", world["item_keys"][42]

    def ok(client: Client, url: str, **extra: Any) -> Any:
        def get() -> None:
            response = client.get(url, **extra)
            assert response.status_code == 200, (url, response.status_code)

        return get

    def create() -> None:
        response = writer.post("/api/v1/cases", body, content_type="application/json", **write_auth)
        assert response.status_code == 201, response.content[:300]

    def floor_select() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, at, action, field, old, new FROM audit_auditevent "
                "WHERE subject_type = %s AND subject_key = %s ORDER BY at, id",
                ["case", case_key],
            )
            cursor.fetchall()

    numbers = itertools.count()

    def floor_insert() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO audit_auditevent (at, actor_id, subject_type, subject_key, action, "
                "field, old, new, reason, data, public) VALUES "
                "(%s, NULL, 'case', %s, 'commented', '', '', '', '', '{}', %s)",
                [clock.now(), f"FLOOR-{next(numbers)}", False],
            )

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM audit_auditevent WHERE subject_type = 'case' "
            "AND subject_key = %s",
            [case_key],
        )
        (case_events,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM audit_auditevent")
        (total,) = cursor.fetchone()
    out: dict[str, Any] = {"audit_events": total, "case_events": case_events}
    out["floor: bare SELECT of one case's events"] = timed(floor_select, repeat)
    out["floor: bare INSERT of one audit row"] = timed(floor_insert, repeat)
    out["POST /api/v1/cases"] = timed(create, repeat)
    out["queue: open, service=payments"] = timed(ok(staff, "/cases/?service=payments"), repeat)
    out["GET /api/v1/cases?state=open&service=payments"] = timed(
        ok(reader, "/api/v1/cases?state=open&service=payments", **read_auth), repeat
    )
    out["case page"] = timed(ok(staff, f"/cases/{case_key}/"), repeat)
    out["GET /api/v1/cases/{key}/timeline"] = timed(
        ok(reader, f"/api/v1/cases/{case_key}/timeline", **read_auth), repeat
    )
    out["work item page"] = timed(ok(rte, f"/work-items/{item_key}/"), repeat)
    out["GET /api/v1/work-items/{key}/timeline"] = timed(
        ok(reader, f"/api/v1/work-items/{item_key}/timeline", **read_auth), repeat
    )
    out["GET /api/v1/reports/flow (28 days)"] = timed(
        ok(reader, "/api/v1/reports/flow", **read_auth), max(5, repeat // 10), warmup=1
    )
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    workdir = setup_django()
    from django.db import connection

    began = time.perf_counter()
    world = seed(args.cases)
    seeded = round(time.perf_counter() - began, 1)
    before = measure(world, args.repeat)
    grown = grow_audit(args.events, args.cases, world["item_keys"], world["rte"].pk)
    after = measure(world, args.repeat)
    return {
        "benchmark": "audit_growth",
        "machine": machine(),
        "database": connection.vendor,
        "dir": str(workdir),
        "cases": args.cases,
        "work_items": world["items"],
        "seed_s": seeded,
        "audit_load_s": grown,
        "before": before,
        "after": after,
    }


def render(r: dict[str, Any]) -> str:
    lines = [
        f"{r['database']}: {r['cases']:,} cases, {r['work_items']:,} work items; "
        f"audit log {r['before']['audit_events']:,} -> {r['after']['audit_events']:,} events "
        f"(loaded in {r['audit_load_s']} s)",
        f"{'measure':48} {'before p50 / p95':>20} {'after p50 / p95':>20}",
    ]
    for name, first in r["before"].items():
        if isinstance(first, dict):
            then = r["after"][name]
            lines.append(
                f"{name:48} {first['p50_ms']:>9.1f} / {first['p95_ms']:<8.1f}"
                f" {then['p50_ms']:>9.1f} / {then['p95_ms']:<8.1f}"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--json", action="store_true")
    database_option(parser)
    args = parser.parse_args()
    for name in ("cases", "events", "repeat"):
        if getattr(args, name) < 1:
            parser.error(f"--{name}: must be at least 1")
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    emit(run(args), args.json, render)


if __name__ == "__main__":
    main()
