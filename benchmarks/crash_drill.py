"""Crash drill (issue 17): the server and the worker killed at random under concurrent clients.

    .venv/bin/python benchmarks/crash_drill.py [--clients 8] [--seconds 180] [--server-kills 20]
        [--worker-kills 8] [--floor-seconds 20] [--seed 17] [--json]
    .venv/bin/python benchmarks/crash_drill.py \\
        --database-url postgres://postgres@127.0.0.1:5432/drill_bench   # named *bench*: reset

On a fresh database (a SQLite file, or the PostgreSQL database named, dropped and created) it
starts ``casebridge serve`` (gunicorn, 2 processes x 4 threads) and ``casebridge worker``, each in
a process group of its own. ``--clients`` threads then each repeat, through the HTTP API with a
bearer token: open a case (``POST /cases``), take it, escalate it to a bug (with a log excerpt:
the escalation enqueues a background task), and walk the bug through its ten transitions
(``POST /work-items/{key}/transition``) with the token of the role each step needs. Every write
carries an ``Idempotency-Key``; a connection error, a timeout or a 5xx is retried with the same
key until an answer comes. Every answered (acknowledged) change is recorded client-side.

Measured in the same run:

  floor   ``--floor-seconds`` of the same load with nothing killed: acknowledged changes/s;
  drill   ``--seconds`` with the server killed (SIGKILL to its process group: master and
          workers, mid-request) ``--server-kills`` times and the worker ``--worker-kills`` times
          at random moments, each restarted at once.

Then the clients stop, a last worker runs until the tasks settle, is stopped, and the database
is checked (``crash_checks.py``): every subject's state equals its last transition's audit
event, every audit event of a change has its outbox row (``audit_event`` in the payload, same
key, action, from and to), every acknowledged change present, keys unique, no duplicate case,
no task RUNNING without a live worker, and the engine's own checks (SQLite ``PRAGMA
integrity_check`` and ``foreign_key_check``; PostgreSQL ``amcheck`` on every B-tree index and the
deferred foreign keys). ``lost`` and ``inconsistent`` must both be 0.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from _common import ROOT, database_option, emit, machine, setup_django
from crash_checks import check_database, settle_tasks

CASEBRIDGE = str(ROOT / ".venv" / "bin" / "casebridge")
ROLES = {
    "l2": (["l2_engineer"], ""),
    "rte": (["rte"], ""),
    "dev": (["developer"], "L3"),
    "reviewer": (["developer"], "L3"),
    "qa": (["qa"], ""),
    "devops": (["devops"], ""),
}
LOG = "2026-12-06T10:00:01Z ERROR payment-gateway timeout after 30000 ms order=%d"


def seed() -> dict[str, Any]:
    """People, one service, a team and its sprint; a write token per person."""
    from casebridge.accounts.models import User
    from casebridge.accounts.services import team_create, token_create, user_create
    from casebridge.catalog.services import service_create
    from casebridge.sprints.selectors.sprints import today
    from casebridge.sprints.services import sprint_create

    for name, (granted, level) in ROLES.items():
        user_create(actor=None, username=name, email=f"{name}@x.test", roles=granted, level=level)
    people = {u.username: u for u in User.objects.prefetch_related("role_grants")}
    service_create(actor=None, name="Payments", slug="payments")
    team = team_create(actor=None, name="Core", members=[people["dev"], people["reviewer"]])
    day = today()
    sprint = sprint_create(
        actor=None, team=team, name="Now", start=day - timedelta(days=3), end=day + timedelta(30)
    )
    tokens = {
        name: token_create(actor=None, user=user, name="drill", scope="write")[1]
        for name, user in people.items()
    }
    return {"tokens": tokens, "sprint": sprint.pk}


def bug_walk(sprint: int) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("rte", "triage", {"priority": "major", "impact": "3% of EU card payments fail"}),
        ("rte", "schedule", {"sprint": sprint}),
        ("rte", "assign", {"assignees": ["dev"]}),
        ("dev", "start", {}),
        ("dev", "submit_review", {"reviewer": "reviewer"}),
        ("reviewer", "approve_review", {}),
        ("qa", "test_pass", {"evidence": "Checkout suite green"}),
        ("devops", "release", {"version": "4.2.2"}),
        ("devops", "deploy", {"environment": "production"}),
        ("l2", "validate", {}),
    ]


@dataclass
class Tally:
    """What the clients saw, shared by their threads (each adds under the lock)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    acks: list[tuple[str, str, str, str]] = field(default_factory=list)
    created: list[tuple[str, str]] = field(default_factory=list)  # (title, case key)
    retries: int = 0
    replayed: int = 0
    refused: list[str] = field(default_factory=list)

    def ack(self, subject: str, key: str, action: str, state: str) -> None:
        with self.lock:
            self.acks.append((subject, key, action, state))


class Client:
    """One client thread's HTTP calls: a new connection per attempt, retried with the same key."""

    def __init__(self, port: int, tokens: dict[str, str], tally: Tally) -> None:
        self.port, self.tokens, self.tally = port, tokens, tally

    def post(self, who: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        key = str(uuid.uuid4())
        data = json.dumps(body).encode()
        headers = {
            "Authorization": f"Bearer {self.tokens[who]}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        }
        delay = 0.05
        while True:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                conn.request("POST", "/api/v1" + path, data, headers)
                response = conn.getresponse()
                status, raw = response.status, response.read()
                replayed = response.getheader("Idempotent-Replayed") == "true"
            except (OSError, http.client.HTTPException):
                status, raw, replayed = 0, b"", False
            finally:
                conn.close()
            if status and status < 500:
                if replayed:
                    with self.tally.lock:
                        self.tally.replayed += 1
                if status >= 300:
                    with self.tally.lock:
                        self.tally.refused.append(f"{path} {status} {raw[:300]!r}")
                    raise RuntimeError(f"{path}: {status}")
                answer: dict[str, Any] = json.loads(raw)
                return answer
            with self.tally.lock:
                self.tally.retries += 1
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def client_loop(name: str, client: Client, walk: list[Any], stop: threading.Event) -> None:
    tally, sequence = client.tally, 0
    while not stop.is_set():
        sequence += 1
        title = f"Card payments time out ({name}, #{sequence})"
        try:
            case = client.post(
                "l2",
                "/cases",
                {"title": title, "service": "payments", "environment": "production"},
            )
            with tally.lock:
                tally.created.append((title, case["key"]))
            tally.ack("case", case["key"], "created", case["state"])
            case = client.post("l2", f"/cases/{case['key']}/take", {})
            tally.ack("case", case["key"], "take", case["state"])
            case = client.post(
                "l2",
                f"/cases/{case['key']}/escalate",
                {
                    "category": "bug",
                    "title": title,
                    "description": "Checkout fails with a gateway timeout",
                    "steps_to_reproduce": "Pay with a card",
                    "expected_result": "The payment goes through",
                    "actual_result": "502 after 30 s",
                    "version": "4.2.1",
                    "log_excerpt": LOG % sequence,
                },
            )
            tally.ack("case", case["key"], "escalate", case["state"])
            item = case["work_item"]["key"]
            for who, action, data in walk:
                if stop.is_set():
                    return
                answer = client.post(
                    who, f"/work-items/{item}/transition", {"action": action, "data": data}
                )
                tally.ack("work_item", item, action, answer["status"])
        except RuntimeError:
            time.sleep(0.5)  # refused: recorded in tally.refused, counted as inconsistent


class Process:
    """``casebridge serve`` or ``casebridge worker`` in a process group of its own."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args, self.env, self.log = args, env, log
        self.popen: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                [CASEBRIDGE, *self.args],
                env=self.env,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )

    def kill(self) -> None:
        assert self.popen is not None
        os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait()
        self.kills += 1

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            self.popen.wait(timeout=60)


def wait_ready(port: int, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def kill_plan(rng: random.Random, seconds: float, server: int, worker: int) -> list[Any]:
    """(when, which) for every kill, at uniform random moments of the drill, in order."""
    plan = [(rng.uniform(0, seconds), "server") for _ in range(server)]
    plan += [(rng.uniform(0, seconds), "worker") for _ in range(worker)]
    return sorted(plan)


def run_phase(
    phase: str,
    seconds: float,
    clients: list[Client],
    walk: list[Any],
    plan: list[Any],
    procs: dict[str, Any],
) -> float:
    stop = threading.Event()
    threads = [
        threading.Thread(target=client_loop, args=(f"{phase} {n}", c, walk, stop), daemon=True)
        for n, c in enumerate(clients)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for when, which in plan:
        time.sleep(max(0.0, started + when - time.monotonic()))
        procs[which].kill()
        procs[which].start()
    time.sleep(max(0.0, started + seconds - time.monotonic()))
    stop.set()
    for thread in threads:
        thread.join()
    return time.monotonic() - started


def child_env(workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "CASEBRIDGE_SECRET_KEY": "drill-" + "k3y-" * 15,
            "CASEBRIDGE_API_RATE_LIMIT_PER_MINUTE": "100000000",
            "CASEBRIDGE_TASK_LEASE_SECONDS": "4",
            "CASEBRIDGE_LOG_LEVEL": "WARNING",
            "CASEBRIDGE_VAR_DIR": str(workdir),
        }
    )
    env.pop("CASEBRIDGE_TASKS_BACKEND", None)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=180.0, help="Length of the drill.")
    parser.add_argument("--floor-seconds", type=float, default=20.0, help="Nothing killed.")
    parser.add_argument("--server-kills", type=int, default=20)
    parser.add_argument("--worker-kills", type=int, default=8)
    parser.add_argument("--seed", type=int, default=17)
    database_option(parser)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    workdir = setup_django()
    from django.db import connection, connections

    world = seed()
    vendor = connection.vendor
    connections.close_all()
    env, port = child_env(workdir), free_port()
    logs = workdir / "processes.log"
    serve = ["serve", "--port", str(port), "--workers", "2", "--threads", "4"]
    procs = {
        "server": Process(serve, env, logs),
        "worker": Process(["worker", "--interval", "0.2"], env, logs),
    }
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a timeout still stops them
    try:
        result = drill(args, world, vendor, procs, port, load_before)
    finally:
        for proc in procs.values():
            if proc.popen is not None and proc.popen.poll() is None:
                os.killpg(proc.popen.pid, signal.SIGKILL)
    emit(result, args.json, render)
    if result["lost"] or result["inconsistent"]:
        raise SystemExit(1)


def drill(
    args: argparse.Namespace,
    world: dict[str, Any],
    vendor: str,
    procs: dict[str, Process],
    port: int,
    load_before: list[str],
) -> dict[str, Any]:
    for proc in procs.values():
        proc.start()
    wait_ready(port)
    walk = bug_walk(world["sprint"])
    floor_tally, tally = Tally(), Tally()
    floor_clients = [Client(port, world["tokens"], floor_tally) for _ in range(args.clients)]
    floor_wall = run_phase("floor", args.floor_seconds, floor_clients, walk, [], procs)
    plan = kill_plan(random.Random(args.seed), args.seconds, args.server_kills, args.worker_kills)
    clients = [Client(port, world["tokens"], tally) for _ in range(args.clients)]
    wall = run_phase("drill", args.seconds, clients, walk, plan, procs)
    procs["server"].stop()
    settled = settle_tasks(procs["worker"], seconds=120)
    procs["worker"].stop()
    checks = check_database(
        floor_tally.acks + tally.acks, floor_tally.created + tally.created, settled
    )
    result = {
        "benchmark": "crash_drill",
        "database": vendor,
        "machine": machine(),
        "load_before": load_before,
        "load_after": Path("/proc/loadavg").read_text().split()[:3],
        "clients": args.clients,
        "floor": {
            "seconds": round(floor_wall, 1),
            "acknowledged": len(floor_tally.acks),
            "per_second": round(len(floor_tally.acks) / floor_wall, 1),
            "retries": floor_tally.retries,
        },
        "drill": {
            "seconds": round(wall, 1),
            "acknowledged": len(tally.acks),
            "transitions": sum(1 for a in tally.acks if a[2] != "created"),
            "per_second": round(len(tally.acks) / wall, 1),
            "transitions_per_second": round(
                sum(1 for a in tally.acks if a[2] != "created") / wall, 1
            ),
            "server_kills": procs["server"].kills,
            "worker_kills": procs["worker"].kills,
            "retries": tally.retries,
            "replayed": tally.replayed,
            "refused": len(floor_tally.refused) + len(tally.refused),
        },
        "checks": checks,
        "lost": checks["lost"],
        "inconsistent": checks["inconsistent"] + len(floor_tally.refused) + len(tally.refused),
        "refusals": (floor_tally.refused + tally.refused)[:5],
    }
    return result


def render(result: dict[str, Any]) -> str:
    floor, drill, checks = result["floor"], result["drill"], result["checks"]
    return "\n".join(
        [
            f"crash drill on {result['database']}, {result['clients']} clients "
            f"(load {' '.join(result['load_before'])} -> {' '.join(result['load_after'])})",
            f"  floor  {floor['per_second']} acknowledged changes/s over {floor['seconds']} s, "
            "nothing killed",
            f"  drill  {drill['per_second']} acknowledged changes/s "
            f"({drill['transitions_per_second']} transitions/s) over {drill['seconds']} s: "
            f"{drill['acknowledged']} acknowledged, server killed {drill['server_kills']}x, "
            f"worker {drill['worker_kills']}x, {drill['retries']} retries, "
            f"{drill['replayed']} replayed",
            f"  checked {checks['subjects']} subjects, {checks['audit_events']} audit events, "
            f"{checks['outbox_rows']} outbox rows, {checks['tasks']} tasks "
            f"({checks['tasks_reclaimed']} reclaimed); integrity: {checks['integrity']}",
            f"  lost {result['lost']}, inconsistent {result['inconsistent']}"
            + (f": {checks['problems'][:5]}" if checks["problems"] else ""),
        ]
    )


if __name__ == "__main__":
    main()
