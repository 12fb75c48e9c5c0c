"""Helpers for the planning benchmarks (sprint_plan, sprint_board, flow_metrics): a throwaway
database, bulk seeding of work items (setup only, never measured), timing with percentiles."""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _fresh_postgres(url: str) -> None:
    """Drop and create the benchmark's PostgreSQL database (its name must contain 'bench')."""
    import psycopg

    base, _, name = url.rpartition("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to reset {name!r}: use a database named like casebridge_bench")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(database_url: str | None = None) -> Path:
    """A fresh SQLite file, or the PostgreSQL database ``database_url`` (else DATABASE_URL)
    names (dropped and created: its name must contain 'bench'), migrated."""
    workdir = Path(tempfile.mkdtemp(prefix="casebridge-bench-"))
    url = database_url or os.environ.get("DATABASE_URL", "")
    os.environ["DATABASE_URL"] = url
    if url.startswith("postgres"):
        _fresh_postgres(url)
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["CASEBRIDGE_MEDIA_ROOT"] = str(workdir / "media")
    os.environ["CASEBRIDGE_LOG_LEVEL"] = "WARNING"
    os.environ["CASEBRIDGE_ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casebridge.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return workdir


def timed(fn: Callable[[], Any], repeat: int, warmup: int = 3) -> dict[str, float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 2)

    return {
        "n": len(ordered),
        "p50_ms": pick(0.5),
        "p95_ms": pick(0.95),
        "mean_ms": round(statistics.fmean(ordered), 2),
    }


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "date": time.strftime("%Y-%m-%d"),
    }


def emit(result: dict[str, Any], as_json: bool, render: Callable[[dict[str, Any]], str]) -> None:
    print(json.dumps(result, indent=2) if as_json else render(result))


def seed_people() -> dict[str, Any]:
    """An RTE, an L2 engineer, three developers, a development team owning one service."""
    from casebridge.accounts.services import team_create, user_create
    from casebridge.catalog.models import Service

    people = {
        "rte": user_create(actor=None, username="rte", email="r@x.test", roles=["rte"]),
        "l2": user_create(actor=None, username="l2", email="l@x.test", roles=["l2_engineer"]),
    }
    devs = [
        user_create(
            actor=None, username=f"dev{n}", email=f"d{n}@x.test", roles=["developer"], level="L3"
        )
        for n in range(3)
    ]
    team = team_create(actor=None, name="Core", members=devs)
    Service.objects.create(name="Payments", slug="payments", owner_team=team)
    from casebridge.accounts.models import User

    return {
        **{k: User.objects.prefetch_related("role_grants").get(pk=v.pk) for k, v in people.items()},
        "devs": devs,
        "team": team,
    }


def bulk_items(
    rows: list[dict[str, Any]], creator: Any, now: datetime, rng: random.Random
) -> list[int]:
    """Insert work items (setup only) and return their ids."""
    from casebridge.workitems.models import WorkItem

    objs = []
    for n, row in enumerate(rows):
        created = row.pop("created_at", now - timedelta(minutes=rng.randrange(60 * 24 * 180)))
        objs.append(WorkItem(title=f"Item {n}", created_by=creator, created_at=created, **row))
    for start in range(0, len(objs), 2000):
        WorkItem.objects.bulk_create(objs[start : start + 2000])
    keys = [o.key for o in objs]
    return list(WorkItem.objects.filter(key__in=keys).values_list("pk", flat=True))


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
