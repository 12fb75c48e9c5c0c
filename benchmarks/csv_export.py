"""Benchmark: CSV export of 100k cases through the real endpoint, against a bare cursor floor.

    .venv/bin/python benchmarks/csv_export.py [--cases 100000] [--json]
        [--database-url postgres://postgres@127.0.0.1:5432/casebridge_bench_csv]

The parent builds a fresh database (a new SQLite file, or the PostgreSQL database named by
``--database-url``, dropped and created again) and bulk-loads the cases (the loader of
``cases_intake_queue.py``). Then fresh child processes each report their time and their own peak
RSS (VmHWM):

* ``idle``: Django set up, nothing read (the floor of any worker process);
* ``floor``: the export's own SQL run on the bare DB-API cursor (``fetchmany``), each row written
  with the csv module to a sink: no ORM, no HTTP, no formula neutralising;
* ``export``: ``GET /api/v1/cases?format=csv`` through Django's test client with an L2 engineer's
  token (middleware, authentication, visibility, the streamed response), consumed fully; timed
  after one warm-up request (``?limit=1``, JSON) that loads the URLconf and the API once.

Targets: the export streams at least 20,000 rows/s with a peak RSS under 150 MB.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROWS_PER_S_TARGET = 20_000
PEAK_RSS_TARGET_MB = 150


def _peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM: ru_maxrss would carry the parent's peak across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource  # pragma: no cover - not Linux

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # pragma: no cover


def _prepare(cases: int, database_url: str | None) -> dict[str, Any]:
    from _common import fresh_postgres, setup_django
    from cases_intake_queue import grow_to, seed_world

    if database_url:
        fresh_postgres(database_url)
    setup_django(database_url)
    world = seed_world()
    started = time.perf_counter()
    grow_to(cases, world, random.Random(12))
    from casebridge.accounts.services import token_create

    _, token = token_create(actor=None, user=world["l2"], name="export", scope="read")
    return {"token": token, "seeded_s": round(time.perf_counter() - started, 1)}


class _Sink:
    """Where the floor's csv.writer writes: counts bytes, keeps nothing."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, text: str) -> int:
        self.bytes += len(text)
        return len(text)


def _child(mode: str, token: str) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casebridge.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    import django

    django.setup()
    from django.db import connection

    from casebridge.accounts.models import User
    from casebridge.cases import selectors

    started = time.perf_counter()
    rows = size = 0
    if mode == "floor":
        viewer = User.objects.get(username="l2")
        fields = selectors.CSV_FIELDS
        query = selectors.case_list_for(viewer, selectors.CaseFilters()).values_list(*fields)
        sql, params = query.query.sql_with_params()
        started = time.perf_counter()
        connection.ensure_connection()
        cursor = connection.connection.cursor()
        cursor.execute(sql.replace("%s", "?") if connection.vendor == "sqlite" else sql, params)
        sink = _Sink()
        writer = csv.writer(sink)
        writer.writerow(selectors.CSV_HEADER)
        while chunk := cursor.fetchmany(2000):
            writer.writerows(chunk)
            rows += len(chunk)
        size = sink.bytes
    elif mode == "export":
        from django.test import Client

        client, auth = Client(), {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        warm = client.get("/api/v1/cases", {"limit": 1}, **auth)  # URLconf, API, auth loaded
        assert warm.status_code == 200, warm.status_code
        started = time.perf_counter()
        response = client.get("/api/v1/cases", {"format": "csv"}, **auth)
        assert response.status_code == 200, response.status_code
        lines = 0
        for piece in response.streaming_content:
            size += len(piece)
            lines += piece.count(b"\n")
        rows = lines - 1  # the header
    seconds = time.perf_counter() - started
    return {
        "mode": mode,
        "rows": rows,
        "bytes": size,
        "seconds": round(seconds, 3),
        "rows_per_s": round(rows / seconds) if rows and seconds else 0,
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }


def _run_child(mode: str, token: str) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", mode, token]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def main() -> int:
    options = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    options.add_argument("--cases", type=int, default=100_000)
    options.add_argument("--database-url", default=None)
    options.add_argument("--json", action="store_true")
    options.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = options.parse_args()
    if args.child:
        print(json.dumps(_child(*args.child)))
        return 0
    from _common import machine

    prepared = _prepare(args.cases, args.database_url)
    runs = {mode: _run_child(mode, prepared["token"]) for mode in ("idle", "floor", "export")}
    export, floor = runs["export"], runs["floor"]
    assert export["rows"] == floor["rows"], (export["rows"], floor["rows"])
    ok = export["rows_per_s"] >= ROWS_PER_S_TARGET and export["peak_rss_mb"] < PEAK_RSS_TARGET_MB
    result = {
        "database": "postgresql" if args.database_url else "sqlite",
        "cases": args.cases,
        "seeded_s": prepared["seeded_s"],
        "runs": runs,
        "export_over_floor_rows_per_s": round(export["rows_per_s"] / floor["rows_per_s"], 3),
        "target_met": ok,
        "machine": machine(),
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0 if ok else 1
    print(f"{args.cases:,} cases on {result['database']} (seeded in {prepared['seeded_s']} s)")
    for mode, run in runs.items():
        print(
            f"{mode:<7} {run['rows']:>8,} rows {run['seconds']:>7.2f} s "
            f"{run['rows_per_s']:>9,} rows/s  peak RSS {run['peak_rss_mb']:6.1f} MB"
        )
    print(
        f"export / floor: {result['export_over_floor_rows_per_s']}; targets >= "
        f"{ROWS_PER_S_TARGET:,} rows/s and < {PEAK_RSS_TARGET_MB} MB: "
        f"{'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
