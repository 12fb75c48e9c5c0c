"""Benchmark: `casebridge backup` and `casebridge restore` of a database with 100k cases.

    .venv/bin/python benchmarks/backup_restore.py [--cases 100000] [--json]
        [--database-url postgres://postgres@127.0.0.1:5432/casebridge_bench_backup]

Seeds a fresh database (a new SQLite file, or the PostgreSQL database named by
``--database-url``, dropped and created again) in bulk: the cases of ``cases_intake_queue.py``
and, in proportion, comments (``--comments-per-case``, default 3), audit events
(``--events-per-case``, default 6) and stored attachments (``--attachments-per-case``, default
0.25, each a 2-4 KB log written to the media root). Then it runs the real commands, each in its
own process, and times them from outside:

* ``casebridge backup ARCHIVE --json`` against the seeded database;
* ``casebridge restore ARCHIVE --json`` into an empty database (a new SQLite file, or a second
  PostgreSQL database ``<name>_restore``) and an empty media root; the restore checks every
  member's checksum first and compares every table's rows and the content hashes afterwards.

The floor, in the same run, is what any backup of the same data must do at least: a bare copy
of the database (SQLite's backup API, or ``pg_dump -Fc``) and a ``tar`` of it with the same
stored files; and back: the ``tar`` extracted (and ``pg_restore`` into an empty database).
What the commands add to it is the manifest (every table's row count and content hash, every
member's SHA-256) and, on restore, the checks of both.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

ACTIONS = ["comment", "state", "assign", "field", "escalate", "resolve"]


def seed_history(
    world: dict[str, Any], comments: int, events: int, attachments: float, rng: random.Random
) -> dict[str, int]:
    """Comments, audit events and attachments for every case, in bulk (setup, not measured)."""
    from django.conf import settings

    from casebridge.audit.models import AuditEvent
    from casebridge.cases.models import Attachment, Case, Comment

    media = Path(settings.MEDIA_ROOT)
    made = {"comments": 0, "audit_events": 0, "attachments": 0}
    authors = [world["l2"], world["l1"], world["reporter"]]
    owed = 0.0
    rows = Case.objects.order_by("pk").values_list("pk", "key", "created_at").iterator(2000)
    batch_c: list[Comment] = []
    batch_e: list[AuditEvent] = []
    batch_a: list[Attachment] = []

    def flush() -> None:
        Comment.objects.bulk_create(batch_c)
        AuditEvent.objects.bulk_create(batch_e)
        Attachment.objects.bulk_create(batch_a)
        made["comments"] += len(batch_c)
        made["audit_events"] += len(batch_e)
        made["attachments"] += len(batch_a)
        batch_c.clear()
        batch_e.clear()
        batch_a.clear()

    for pk, key, created in rows:
        for n in range(comments):
            batch_c.append(
                Comment(
                    case_id=pk,
                    author=authors[n % 3],
                    body=f"Tried again on order {rng.randrange(10**6)}: still failing.",
                    internal=n % 3 == 0,
                    created_at=created + timedelta(minutes=n + 1),
                )
            )
        for n in range(events):
            action = ACTIONS[n % len(ACTIONS)]
            batch_e.append(
                AuditEvent(
                    at=created + timedelta(minutes=n),
                    actor=world["l2"],
                    subject_type="case",
                    subject_key=key,
                    action=action,
                    field="state" if action == "state" else "",
                    old="new" if action == "state" else "",
                    new="investigating" if action == "state" else "",
                    data={"n": n},
                    public=n % 2 == 0,
                )
            )
        owed += attachments
        while owed >= 1:
            owed -= 1
            body = f"2026-12-06 ERROR payment {key} refused\n".encode() * rng.randrange(60, 120)
            digest = hashlib.sha256(body).hexdigest()
            name = f"attachments/{key}/{digest[:16]}"
            (media / name).parent.mkdir(parents=True, exist_ok=True)
            (media / name).write_bytes(body)
            batch_a.append(
                Attachment(
                    case_id=pk,
                    file=name,
                    filename="app.log",
                    content_type="text/plain",
                    size=len(body),
                    sha256=digest,
                    uploaded_by=world["l2"],
                    created_at=created,
                )
            )
        if len(batch_e) >= 10_000:
            flush()
    flush()
    return made


def _command(args: list[str], env: dict[str, str]) -> tuple[float, dict[str, Any]]:
    binary = Path(sys.executable).parent / "casebridge"
    started = time.perf_counter()
    done = subprocess.run(
        [str(binary), *args], check=False, env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"casebridge {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    output: dict[str, Any] = json.loads(done.stdout)
    return round(seconds, 2), output


def _pg_binary(name: str) -> str:
    import shutil

    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(found[-1]) if found else (shutil.which(name) or name)


def floor(workdir: Path, database_url: str | None) -> dict[str, float]:
    """A bare copy of the database and the stored files into a tar, and a bare extract back."""
    import sqlite3
    import tarfile

    from django.conf import settings

    staging = Path(tempfile.mkdtemp(prefix="casebridge-floor-", dir=workdir))
    media = Path(settings.MEDIA_ROOT)
    started = time.perf_counter()
    if database_url:
        dump = staging / "database.pgdump"
        subprocess.run(
            [_pg_binary("pg_dump"), "-Fc", "--no-owner", "-f", str(dump), database_url],
            check=True,
        )
    else:
        dump = staging / "database.sqlite3"
        source = sqlite3.connect(workdir / "bench.sqlite3")
        copy = sqlite3.connect(dump)
        source.backup(copy)
        copy.close()
        source.close()
    archive = staging / "floor.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(dump, arcname=dump.name)
        tar.add(media, arcname="media")
    backup_s = time.perf_counter() - started
    dump.unlink()
    started = time.perf_counter()
    with tarfile.open(archive) as tar:
        tar.extractall(staging / "out", filter="data")
    if database_url:
        target = database_url + "_floor"
        from _common import fresh_postgres

        fresh_postgres(target)
        restored = str(staging / "out" / dump.name)
        subprocess.run([_pg_binary("pg_restore"), "--no-owner", "-d", target, restored], check=True)
    restore_s = time.perf_counter() - started
    subprocess.run(["rm", "-rf", str(staging)], check=True)
    return {"backup_s": round(backup_s, 2), "restore_s": round(restore_s, 2)}


def main() -> int:
    options = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    options.add_argument("--cases", type=int, default=100_000)
    options.add_argument("--comments-per-case", type=int, default=3)
    options.add_argument("--events-per-case", type=int, default=6)
    options.add_argument("--attachments-per-case", type=float, default=0.25)
    options.add_argument("--database-url", default=None)
    options.add_argument("--json", action="store_true")
    args = options.parse_args()
    from _common import fresh_postgres, machine, setup_django
    from cases_intake_queue import grow_to, seed_world

    if args.database_url:
        fresh_postgres(args.database_url)
        fresh_postgres(args.database_url + "_restore")
    workdir = setup_django(args.database_url)
    world = seed_world()
    started = time.perf_counter()
    rng = random.Random(7)
    grow_to(args.cases, world, rng)
    made = seed_history(
        world, args.comments_per_case, args.events_per_case, args.attachments_per_case, rng
    )
    seeded = round(time.perf_counter() - started, 1)
    from django.db import connections

    connections.close_all()
    archive = Path(tempfile.mkdtemp(prefix="casebridge-backup-")) / "backup.tar"
    env = {**os.environ, "CASEBRIDGE_LOG_LEVEL": "WARNING"}
    backup_s, backup = _command(["backup", str(archive), "--json"], env)
    restored_db = (
        args.database_url + "_restore"
        if args.database_url
        else f"sqlite:///{workdir / 'restored.sqlite3'}"
    )
    restore_env = {
        **env,
        "DATABASE_URL": restored_db,
        "CASEBRIDGE_MEDIA_ROOT": str(workdir / "restored-media"),
    }
    restore_s, restore = _command(["restore", str(archive), "--json"], restore_env)
    bare = floor(workdir, args.database_url)
    result = {
        "database": "postgresql" if args.database_url else "sqlite",
        "cases": args.cases,
        "seeded": made,
        "seeded_s": seeded,
        "archive_mb": round(backup["bytes"] / 1e6, 1),
        "tables": backup["tables"],
        "rows": backup["rows"],
        "files": backup["files"],
        "backup_s": backup_s,
        "backup_command_s": backup["seconds"],
        "restore_s": restore_s,
        "restore_command_s": restore["seconds"],
        "restored_rows": restore["rows"],
        "floor": bare,
        "machine": machine(),
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }
    archive.unlink()
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"{args.cases:,} cases on {result['database']}: {result['rows']:,} rows in "
        f"{result['tables']} tables, {result['files']:,} stored files (seeded in {seeded} s)"
    )
    print(f"backup  {backup_s:>7.2f} s  archive {result['archive_mb']} MB")
    print(f"restore {restore_s:>7.2f} s  ({restore['rows']:,} rows back, every table checked)")
    print(f"floor   {bare['backup_s']:>7.2f} s  bare copy and tar; {bare['restore_s']:.2f} s back")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
