"""Benchmark: creating cases through the API, and the L2 queue page, at 10k and 100k cases.

    .venv/bin/python benchmarks/cases_intake_queue.py [--sizes 10000,100000] [--json]

The floor is a bare INSERT of the same case row on the same database, taken in the same run:
the API's create cost is reported next to it (a ratio holds on a noisy machine).
Targets on SQLite at 100k cases: create p95 <= 10 ms; queue first page (50 rows, filtered)
p95 <= 100 ms.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
from datetime import timedelta
from typing import Any

from _common import database_option, emit, machine, setup_django, timed

SERVICES = ["payments", "identity", "search", "notifications", "reporting"]
STATES = (
    ["new"] * 4
    + ["investigating"] * 5
    + ["waiting_on_reporter"] * 2
    + ["resolved"] * 8
    + ["closed"] * 30
)
SOURCES = ["l1_agent", "portal", "partner", "api", "staff"]


def seed_world() -> dict[str, Any]:
    from casebridge.accounts.services import organisation_create, token_create, user_create
    from casebridge.catalog.models import Component, Service

    org = organisation_create(actor=None, name="Acme Retail", slug="acme")
    for slug in SERVICES:
        service = Service.objects.create(name=slug.title(), slug=slug)
        Component.objects.create(service=service, name="Core", slug="core")
    l1 = user_create(actor=None, username="l1", email="l1@x.test", roles=["l1_agent"])
    l2 = user_create(actor=None, username="l2", email="l2@x.test", roles=["l2_engineer"])
    reporter = user_create(
        actor=None, username="cust", email="c@x.test", roles=["reporter"], organisation=org
    )
    _, token = token_create(actor=None, user=l1, name="bench", scope="write")
    return {"org": org, "l1": l1, "l2": l2, "reporter": reporter, "token": token}


def grow_to(n: int, world: dict[str, Any], rng: random.Random) -> None:
    """Bulk-load history up to ``n`` cases (setup only; the measured path is the API)."""
    from django.db import connection

    from casebridge.cases.models import Case, Resolution
    from casebridge.catalog.models import Service
    from casebridge.core import clock

    services = list(Service.objects.all())
    have = Case.objects.count()
    now = clock.now()
    batch: list[Case] = []
    for number in range(have + 1, n + 1):
        state = rng.choice(STATES)
        done = state in ("resolved", "closed")
        created = now - timedelta(minutes=(n - number) * 5 + rng.randrange(5))
        batch.append(
            Case(
                key=f"CB-{number}",
                number=number,
                title=f"Checkout fails with 502 for order {rng.randrange(10**6)}",
                description="Customers see an error at the last step.",
                source=rng.choice(SOURCES),
                state=state,
                resolution=Resolution.NO_FAULT if done else "",
                reporter=world["reporter"],
                organisation=world["org"],
                owner=world["l2"] if state != "new" else None,
                service=rng.choice(services),
                environment="production",
                impact=rng.choice(["low", "medium", "high"]),
                created_at=created,
                resolved_at=created if done else None,
            )
        )
        if len(batch) == 5000:
            Case.objects.bulk_create(batch)
            batch = []
    Case.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_sequence SET value = %s WHERE name = 'CB'", [n])
        if cursor.rowcount == 0:
            cursor.execute("INSERT INTO core_sequence (name, value) VALUES ('CB', %s)", [n])
        if connection.vendor == "sqlite":
            cursor.execute("ANALYZE")
        else:
            cursor.execute("ANALYZE cases_case")


def measure_create(world: dict[str, Any], repeat: int) -> dict[str, float]:
    from django.test import Client

    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {world['token']}"}
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

    def create() -> None:
        response = client.post("/api/v1/cases", body, content_type="application/json", **auth)
        assert response.status_code == 201, response.content

    return timed(create, repeat)


def measure_bare_insert(world: dict[str, Any], repeat: int) -> dict[str, float]:
    """The floor: one INSERT of the same row in its own transaction, no framework."""
    from django.db import connection, transaction

    from casebridge.catalog.models import Service
    from casebridge.core import clock

    service_id = Service.objects.get(slug="payments").pk
    numbers = itertools.count(10**9)
    sql = (
        "INSERT INTO cases_case (key, number, title, description, source, state, resolution, "
        "reporter_id, organisation_id, service_id, environment, version, impact, action_taken, "
        "resolution_note, fixed_version, reopen_count, sla_paused, created_at, updated_at) "
        "VALUES (%s, %s, %s, %s, 'api', 'new', '', %s, %s, %s, 'production', '', 'high', "
        "'', '', '', 0, %s, %s, %s)"
    )

    def insert() -> None:
        number = next(numbers)
        now = clock.now()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                sql,
                [
                    f"BENCH-{number}",
                    number,
                    "Checkout fails with 502 for card payments",
                    "Customers see an error at the last step.",
                    world["l1"].pk,
                    world["org"].pk,
                    service_id,
                    False,
                    now,
                    now,
                ],
            )

    result = timed(insert, repeat)
    from casebridge.cases.models import Case

    Case.objects.filter(key__startswith="BENCH-").delete()
    return result


QUEUE_VIEWS = {
    "queue: open (default)": "/cases/",
    "queue: open, service=payments": "/cases/?service=payments",
    "queue: new, source=portal": "/cases/?state=new&source=portal",
    "queue: open, newest first": "/cases/?sort=newest",
}


def measure_queue(world: dict[str, Any], repeat: int) -> dict[str, dict[str, float]]:
    from django.test import Client

    client = Client()
    client.force_login(world["l2"])
    results = {}
    for label, url in QUEUE_VIEWS.items():

        def get(url: str = url) -> None:
            response = client.get(url)
            assert response.status_code == 200, response.status_code

        results[label] = timed(get, repeat)
    api = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {world['token']}"}

    def get_api() -> None:
        response = api.get("/api/v1/cases", {"state": "open", "service": "payments"}, **auth)
        assert response.status_code == 200

    results["api: GET /cases?state=open&service=payments"] = timed(get_api, repeat)
    return results


def run(sizes: list[int], repeat: int) -> dict[str, Any]:
    # One token makes every API request here, faster than the default 600 a minute allows (the
    # limit is a fixed minute window in the process's cache: its cost is in the figures anyway).
    os.environ.setdefault("CASEBRIDGE_API_RATE_LIMIT_PER_MINUTE", "100000000")
    workdir = setup_django()
    world = seed_world()
    rng = random.Random(1)
    runs = []
    for size in sizes:
        grow_to(size, world, rng)
        runs.append(
            {
                "cases": size,
                "bare_insert": measure_bare_insert(world, repeat),
                "api_create": measure_create(world, repeat),
                "pages": measure_queue(world, max(50, repeat // 2)),
            }
        )
    from django.db import connection

    return {"machine": machine(), "database": connection.vendor, "dir": str(workdir), "runs": runs}


def render(result: dict[str, Any]) -> str:
    lines = [f"database: {result['database']}  machine: {result['machine']}"]
    for run_ in result["runs"]:
        floor, create = run_["bare_insert"], run_["api_create"]
        ratio = create["p95_ms"] / floor["p95_ms"] if floor["p95_ms"] else float("nan")
        lines.append(f"\n{run_['cases']:,} cases")
        lines.append(f"  {'measure':<48} {'p50 ms':>8} {'p95 ms':>8}")
        lines.append(f"  {'bare INSERT (floor)':<48} {floor['p50_ms']:>8} {floor['p95_ms']:>8}")
        lines.append(
            f"  {'POST /api/v1/cases':<48} {create['p50_ms']:>8} {create['p95_ms']:>8}"
            f"   ({ratio:.1f}x floor)"
        )
        for label, figures in run_["pages"].items():
            lines.append(f"  {label:<48} {figures['p50_ms']:>8} {figures['p95_ms']:>8}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    database_option(parser)
    args = parser.parse_args()
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    sizes = [int(s) for s in args.sizes.split(",")]
    emit(run(sizes, args.repeat), args.json, render)


if __name__ == "__main__":
    main()
