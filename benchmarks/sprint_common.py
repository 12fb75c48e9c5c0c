"""Helpers for the planning benchmarks (sprint_plan, sprint_board, flow_metrics): a throwaway
database, bulk seeding of work items (setup only, never measured), timing with percentiles."""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from _common import database_option, setup_django  # noqa: F401 - the planning benchmarks' one import

ROOT = Path(__file__).resolve().parent.parent


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
