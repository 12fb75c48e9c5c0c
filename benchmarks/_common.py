"""Shared helpers for benchmarks: a throwaway database, timing and reporting."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def fresh_postgres(url: str) -> None:
    """Drop and create the PostgreSQL database ``url`` names (its name must contain 'bench')."""
    import psycopg

    base, _, name = url.rpartition("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to reset {name!r}: use a database named like casebridge_bench")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def database_option(parser: argparse.ArgumentParser) -> None:
    """``--database-url``: a PostgreSQL database to drop, create and use (default: a SQLite file).

    Without it, a ``DATABASE_URL`` in the environment that points at PostgreSQL is used the same
    way; any other ``DATABASE_URL`` is ignored (a fresh SQLite file)."""
    parser.add_argument(
        "--database-url",
        default=None,
        help="postgres://.../<name containing 'bench'> (dropped and created); default SQLite",
    )


def database_kind() -> str:
    return "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"


def setup_django(database_url: str | None = None, *, fresh: bool = True) -> Path:
    """Migrate a fresh database and return a scratch directory.

    The database is ``database_url``, else a PostgreSQL ``DATABASE_URL`` from the environment
    (either is dropped and created again: its name must contain 'bench'; ``fresh=False`` keeps
    an existing one as it is), else a new SQLite file.
    """
    workdir = Path(tempfile.mkdtemp(prefix="casebridge-bench-"))
    url = database_url or os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        if fresh:
            fresh_postgres(url)
    elif not url.startswith("sqlite") or database_url is None:
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["DATABASE_URL"] = url
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


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {
        "n": len(ordered),
        "p50_ms": round(pick(0.50), 3),
        "p95_ms": round(pick(0.95), 3),
        "p99_ms": round(pick(0.99), 3),
        "mean_ms": round(statistics.fmean(ordered), 3),
    }


def timed(fn: Callable[[], Any], repeat: int, warmup: int = 5) -> dict[str, float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "date": time.strftime("%Y-%m-%d"),
    }


def emit(result: dict[str, Any], as_json: bool, render: Callable[[dict[str, Any]], str]) -> None:
    print(json.dumps(result, indent=2) if as_json else render(result))
