"""Run the benchmarks of docs/performance.md one after another, each alone on the machine.

    .venv/bin/python benchmarks/run_all.py --out /tmp/bench-out [--databases sqlite,postgresql]
        [--only NAME,...] [--skip NAME,...] [--postgres-server postgres://postgres@127.0.0.1:5432]

Every benchmark runs with the arguments its section of docs/performance.md gives and
``--json``, holding the shared lock ``/tmp/cb-bench.lock`` (as ``flock`` takes it: other
benchmarks and test runs that take the same lock wait). For each run the runner writes
``<out>/<name>-<database>.json``: the benchmark's own JSON under ``result``, and around it the
command, the start and end time, the wall time, the exit status and the load average read once
the lock is held and just after (the benchmark's own processes count in the second). A failing
benchmark is recorded and the next one runs. ``--hold-lock`` keeps the lock from the first
run to the last (nothing else runs in between); ``--list`` prints the plan.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LOCK = "/tmp/cb-bench.lock"

# name, script arguments, databases it runs on ("server" for a benchmark that takes a PostgreSQL
# server rather than a database).
PLAN: list[tuple[str, list[str], tuple[str, ...]]] = [
    ("sprint_plan", ["sprint_plan.py"], ("sqlite", "postgresql")),
    ("flow_metrics", ["flow_metrics.py"], ("sqlite", "postgresql")),
    ("sprint_board", ["sprint_board.py"], ("sqlite", "postgresql")),
    ("work_item_board", ["work_item_board.py"], ("sqlite", "postgresql")),
    ("work_item_transitions", ["work_item_transitions.py"], ("sqlite", "postgresql")),
    (
        "cases_intake_queue",
        ["cases_intake_queue.py", "--sizes", "10000,100000"],
        ("sqlite", "postgresql"),
    ),
    ("attachment_parse_memory", ["attachment_parse_memory.py"], ("sqlite", "postgresql")),
    ("near_duplicate_threshold", ["near_duplicate_threshold.py"], ("sqlite",)),
    ("outbox_delivery", ["outbox_delivery.py", "--chaos", "2000"], ("sqlite", "postgresql")),
    ("mail_intake", ["mail_intake.py", "--messages", "1000"], ("sqlite", "postgresql")),
    (
        "azure_devops_sync",
        ["azure_devops_sync.py", "--items", "10000", "--latency", "0.05"],
        ("sqlite", "postgresql"),
    ),
    ("csv_export", ["csv_export.py", "--cases", "100000"], ("sqlite", "postgresql")),
    ("backup_restore", ["backup_restore.py", "--cases", "100000"], ("sqlite", "postgresql")),
    ("alert_storm", ["alert_storm.py"], ("sqlite", "postgresql")),
    (
        "similar_cases",
        ["similar_cases.py", "--cases", "1000000", "--cache-dir", "/tmp/cb-sim-cache"],
        ("sqlite",),
    ),
    ("sla", ["sla.py"], ("sqlite", "postgresql")),
    ("audit_growth", ["audit_growth.py"], ("sqlite", "postgresql")),
]


def loadavg() -> list[float]:
    return [float(part) for part in Path("/proc/loadavg").read_text().split()[:3]]


def command_for(script_args: list[str], database: str, server: str, name: str) -> list[str]:
    command = [
        sys.executable,
        str(ROOT / "benchmarks" / script_args[0]),
        *script_args[1:],
        "--json",
    ]
    if database == "postgresql":
        command += ["--database-url", f"{server}/runall_{name}_bench"]
    return command


@contextmanager
def bench_lock(held: bool) -> Iterator[None]:
    """The shared lock for one run, unless this runner already holds it for the whole series."""
    if held:
        yield
        return
    with Path(LOCK).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # waits for other benchmarks and locked test runs
        yield


def run_one(
    name: str, command: list[str], out: Path, database: str, *, held: bool = False
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "benchmark": name,
        "database": database,
        "command": " ".join(command),
    }
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    with bench_lock(held):
        # Read once the lock is held: the code measured is the code checked out when it starts.
        record["commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        record["started"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
        record["load_before"] = loadavg()
        began = time.monotonic()
        with subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        ) as process:
            stdout, stderr = process.communicate()
        record["seconds"] = round(time.monotonic() - began, 1)
        record["load_after"] = loadavg()
    record["finished"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    record["returncode"] = process.returncode
    start = stdout.find("{")
    try:
        record["result"] = json.loads(stdout[start:]) if start >= 0 else None
    except json.JSONDecodeError:
        record["result"] = None
        record["stdout_tail"] = stdout[-4000:]
    if process.returncode:
        record["stderr_tail"] = stderr[-4000:]
    (out / f"{name}-{database}.json").write_text(json.dumps(record, indent=2))
    return record


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--only", default="")
    parser.add_argument("--skip", default="")
    parser.add_argument("--postgres-server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--list", action="store_true")
    parser.add_argument(
        "--hold-lock",
        action="store_true",
        help="take the lock once and keep it for the whole series (nothing else runs between)",
    )
    args = parser.parse_args()
    if not args.postgres_server.startswith(("postgres://", "postgresql://")):
        parser.error("--postgres-server: a postgres:// URL without a database name")
    databases = {part.strip() for part in args.databases.split(",") if part.strip()}
    if unknown := databases - {"sqlite", "postgresql"}:
        parser.error(f"--databases: unknown {', '.join(sorted(unknown))}")
    only = {part for part in args.only.split(",") if part}
    skip = {part for part in args.skip.split(",") if part}
    if unknown := (only | skip) - {name for name, _, _ in PLAN}:
        parser.error(f"--only/--skip: no benchmark named {', '.join(sorted(unknown))}")
    runs = [
        (name, database, command_for(script, database, args.postgres_server.rstrip("/"), name))
        for database in ("sqlite", "postgresql")
        if database in databases
        for name, script, on in PLAN
        if database in on and (not only or name in only) and name not in skip
    ]
    if args.list:
        for name, database, command in runs:
            print(f"{name:26} {database:11} {' '.join(command)}")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        if args.hold_lock:
            stack.enter_context(bench_lock(held=False))
        failed = 0
        for name, database, command in runs:
            print(f"{time.strftime('%H:%M:%S')} {name} on {database}", flush=True)
            record = run_one(name, command, args.out, database, held=args.hold_lock)
            failed += bool(record["returncode"])
            print(f"  {record['seconds']} s, exit {record['returncode']}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
