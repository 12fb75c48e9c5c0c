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
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
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
CHUNK = 200_000
COLUMNS = "at, actor_id, subject_type, subject_key, action, field, old, new, reason, data, public"


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
    world["cases"] = cases
    grow_to(cases, world, random.Random(12))
    return world


def subjects(world: dict[str, Any]) -> tuple[str, str]:
    """The case and the work item whose pages are measured."""
    return f"CB-{min(4242, world['cases'] // 2 + 1)}", world["item_keys"][42]


def event_rows(
    n: int, rng: random.Random, pick: Any, actor_id: int, now: datetime
) -> Iterator[tuple[Any, ...]]:
    for _ in range(n):
        at = now - timedelta(seconds=rng.randrange(365 * 86400))
        subject_type, subject_key = pick()
        actions = CASE_ACTIONS if subject_type == "case" else ITEM_ACTIONS
        action, field, old, new = rng.choice(actions)
        yield (at, actor_id, subject_type, subject_key, action, field, old, new, "", "{}", False)


def insert(rows: Iterable[tuple[Any, ...]]) -> None:
    from django.db import connection, transaction

    batch = list(rows)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY audit_auditevent ({COLUMNS}) FROM STDIN") as copy:
                for row in batch:
                    copy.write_row(row)
        else:
            cursor.executemany(
                f"INSERT INTO audit_auditevent ({COLUMNS}) VALUES ({', '.join(['%s'] * 11)})",
                batch,
            )


def preload(world: dict[str, Any], events: int) -> dict[str, int]:
    """Give the measured case and work item, before the first measurement, as many events as an
    average case and work item will have after the growth, so that both columns show the same
    pages and only the rest of the log differs."""
    from casebridge.core import clock

    case_key, item_key = subjects(world)
    rng = random.Random(23)
    counts = {
        "case": round(events * 0.9 / world["cases"]),
        "work_item": round(events * 0.1 / len(world["item_keys"])),
    }
    for subject_type, key in (("case", case_key), ("work_item", item_key)):
        insert(
            event_rows(
                counts[subject_type],
                rng,
                lambda t=subject_type, k=key: (t, k),
                world["rte"].pk,
                clock.now(),
            )
        )
    return counts


def grow_audit(events: int, world: dict[str, Any]) -> float:
    """Bulk-load ``events`` audit rows (setup): COPY on PostgreSQL, executemany on SQLite, in
    big transactions, the log's indexes dropped during the load and built again after it (and
    on SQLite, for the load only, a 2 GB page cache and no fsync)."""
    from django.db import connection

    from casebridge.core import clock

    rng = random.Random(17)
    cases, items = world["cases"], world["item_keys"]
    skip = set(subjects(world))

    def pick() -> tuple[str, str]:
        while True:
            if rng.random() < 0.9:
                subject = ("case", f"CB-{rng.randrange(1, cases + 1)}")
            else:
                subject = ("work_item", rng.choice(items))
            if subject[1] not in skip:
                return subject

    began = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'audit_auditevent' "
                "AND indexname NOT LIKE '%%_pkey'"
            )
        else:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name = 'audit_auditevent' AND sql IS NOT NULL"
            )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA cache_size")
            (cache_size,) = cursor.fetchone()
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-2000000")
    rows = event_rows(events, rng, pick, world["rte"].pk, clock.now())
    while batch := list(itertools.islice(rows, CHUNK)):
        insert(batch)
    with connection.cursor() as cursor:
        for _, definition in indexes:
            cursor.execute(definition)
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA cache_size={int(cache_size)}")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
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
    case_key, item_key = subjects(world)

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


def flow_without_index(world: dict[str, Any]) -> dict[str, float]:
    """The flow report on the grown log with the index of issue 17 dropped: the cause shown."""
    from django.db import connection
    from django.test import Client

    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX audit_type_field_at")
        cursor.execute("ANALYZE audit_auditevent")
    reader = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {world['token']}"}

    def get() -> None:
        assert reader.get("/api/v1/reports/flow", **auth).status_code == 200

    return timed(get, 3, warmup=1)


def run(args: argparse.Namespace) -> dict[str, Any]:
    workdir = setup_django()
    from django.db import connection

    began = time.perf_counter()
    world = seed(args.cases)
    preloaded = preload(world, args.events)
    seeded = round(time.perf_counter() - began, 1)
    before = measure(world, args.repeat)
    grown = grow_audit(args.events, world)
    after = measure(world, args.repeat)
    without = flow_without_index(world)
    return {
        "benchmark": "audit_growth",
        "machine": machine(),
        "database": connection.vendor,
        "dir": str(workdir),
        "cases": args.cases,
        "work_items": world["items"],
        "seed_s": seeded,
        "measured_subjects_events": preloaded,
        "audit_load_s": grown,
        "before": before,
        "after": after,
        "flow report after, without audit_type_field_at": without,
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
    without = r["flow report after, without audit_type_field_at"]
    lines.append(
        f"{'flow report, grown log, index dropped':48} {'':>20} "
        f"{without['p50_ms']:>9.1f} / {without['p95_ms']:<8.1f}"
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
