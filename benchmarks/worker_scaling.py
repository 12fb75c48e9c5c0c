"""Benchmark: 1 and 2 ``casebridge worker`` processes on one database (issue 17).

    .venv/bin/python benchmarks/worker_scaling.py [--tasks 1000] [--messages 4000]
        [--payloads 10000] [--workers 1,2] [--json]
    .venv/bin/python benchmarks/worker_scaling.py \\
        --database-url postgres://postgres@127.0.0.1:5432/drill_bench   # named *bench*: reset

For each number of workers, on a fresh database, the workers are started and left idle, then
three batches are committed one after the other, each measured from its commit until the last
item is done:

* **tasks**: ``--tasks`` background tasks (``scaling_tasks.note``: one audit event written in its
  own transaction, as a small real task does), claimed one at a time by django-tasks-db's
  ``SELECT ... FOR UPDATE SKIP LOCKED``;
* **outbox**: ``--messages`` signed webhook deliveries to a local receiver that answers in about
  5 ms (a real round trip), claimed in batches (``integrations.claims``), 4 threads per worker;
* **payloads**: ``--payloads`` Alertmanager payloads of one alert each (20 alert names), folded
  into alert groups by ``worker_fold`` (batches of up to 200 payloads, ``SKIP LOCKED`` on
  PostgreSQL).

The floor of the same run is one worker: the table gives items/s per kind and the speed-up of 2
workers over 1. Each item is checked processed once (tasks run once, each message applied once,
every alert counted once).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _common import ROOT, database_option, emit, machine, setup_django

sys.path.insert(0, str(ROOT))
HERE = Path(__file__).resolve().parent


def start_workers(count: int, workdir: Path) -> list[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "CASEBRIDGE_WEBHOOK_ALLOW_LOOPBACK_HTTP": "true",
        "CASEBRIDGE_LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT / "src")]),
    }
    env.pop("CASEBRIDGE_TASKS_BACKEND", None)
    command = [str(ROOT / ".venv/bin/casebridge"), "worker", "--interval", "0.05"]
    log = (workdir / "workers.log").open("ab")
    return [
        subprocess.Popen(command, env=env, stdout=log, stderr=log, start_new_session=True)
        for _ in range(count)
    ]


def wait(condition: Any, seconds: float = 300) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > seconds:
            raise SystemExit("timed out")
        time.sleep(0.05)
    return time.monotonic() - started


def seed() -> dict[str, Any]:
    from casebridge.catalog.services import service_create
    from casebridge.monitoring.services import integration_create

    service = service_create(actor=None, name="Payments", slug="payments")
    integration, _ = integration_create(
        actor=None,
        kind="alertmanager",
        name="Prod",
        slug="prod",
        service=service,
        rate_limit_per_minute=1_000_000,
    )
    return {"integration": integration}


def phase_tasks(n: int) -> float:
    from django.db import transaction
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from scaling_tasks import note

    with transaction.atomic():
        for number in range(n):
            note.enqueue(number)
    done = DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL)
    seconds = wait(lambda: done.count() >= n)
    assert DBTaskResult.objects.exclude(status=TaskResultStatus.SUCCESSFUL).count() == 0
    return seconds


def phase_outbox(n: int, receiver_url: str, app: Any) -> float:
    from django.db import transaction

    from casebridge.integrations.models import OutboxMessage
    from casebridge.integrations.notices import Notice
    from casebridge.integrations.webhooks.services import (
        webhook_destination_create,
        webhook_route_add,
        webhooks_fan_out,
    )

    hook, app.secret = webhook_destination_create(
        actor=None, kind="generic", name="Chat", url=receiver_url
    )
    webhook_route_add(actor=None, destination=hook, topic="incident.*")
    with transaction.atomic():
        for number in range(n):
            webhooks_fan_out(
                Notice(topic="incident.updated", title=f"#{number}", key=f"I-{number}")
            )
    seconds = wait(lambda: len(app.applied) >= n)
    assert app.duplicates == 0
    assert not OutboxMessage.objects.filter(state="pending").exists()
    return seconds


def phase_payloads(n: int, integration: Any) -> float:
    from django.db.models import Sum
    from tests.monitoring.helpers import alert, webhook

    from casebridge.core import clock
    from casebridge.monitoring.models import AlertGroup, Payload

    now = clock.now()
    Payload.objects.bulk_create(
        (
            Payload(
                integration=integration,
                received_at=now,
                body=json.dumps(webhook(alert(f"Scale{i % 20}", instance=f"host-{i}"))),
                alerts=1,
                available_at=now,
            )
            for i in range(n)
        ),
        batch_size=1000,
    )
    seconds = wait(lambda: not Payload.objects.filter(state="pending").exists())
    assert AlertGroup.objects.aggregate(n=Sum("firing_count"))["n"] == n
    return seconds


def run_one(workers: int, args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connections
    from tests.integrations.receivers import Generic, Receiver, Reply, Request

    class Slow(Generic):
        def __call__(self, request: Request) -> Reply:
            time.sleep(0.005)
            return super().__call__(request)

    workdir = setup_django()
    world = seed()
    processes = start_workers(workers, workdir)
    result: dict[str, Any] = {"workers": workers}
    try:
        from casebridge.core.models import WorkerHeartbeat

        wait(lambda: WorkerHeartbeat.objects.count() >= workers, 120)
        load = [Path("/proc/loadavg").read_text().split()[0]]
        seconds = phase_tasks(args.tasks)
        result["tasks_per_second"] = round(args.tasks / seconds, 1)
        app = Slow()
        with Receiver(app) as receiver:
            seconds = phase_outbox(args.messages, receiver.url("/in"), app)
        result["outbox_per_second"] = round(args.messages / seconds, 1)
        seconds = phase_payloads(args.payloads, world["integration"])
        result["payloads_per_second"] = round(args.payloads / seconds, 1)
        load.append(Path("/proc/loadavg").read_text().split()[0])
        result["load"] = load
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)
        connections.close_all()
    return result


def render(result: dict[str, Any]) -> str:
    lines = [f"worker scaling on {result['database']} (items/s from the commit to the last done)"]
    lines.append(f"  {'workers':>8} {'tasks':>10} {'outbox':>10} {'payloads':>10}  load")
    for row in result["runs"]:
        lines.append(
            f"  {row['workers']:>8} {row['tasks_per_second']:>10} {row['outbox_per_second']:>10}"
            f" {row['payloads_per_second']:>10}  {' -> '.join(row['load'])}"
        )
    lines.append(f"  speed-up of the last over the first: {result['speedup']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--payloads", type=int, default=10000)
    parser.add_argument("--workers", default="1,2", help="Worker counts, comma separated.")
    database_option(parser)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--one", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ["CASEBRIDGE_WEBHOOK_ALLOW_LOOPBACK_HTTP"] = "true"  # the receiver is local
    os.environ["CASEBRIDGE_SECRET_KEY"] = "scaling-" + "k3y-" * 14  # seals the webhook's secret
    if args.one:  # one worker count, in a process of its own (a fresh database and settings)
        print(json.dumps(run_one(args.one, args)))
        return
    runs = []
    for count in (int(w) for w in args.workers.split(",")):
        command = [sys.executable, __file__, "--one", str(count)]
        command += [f"--tasks={args.tasks}", f"--messages={args.messages}"]
        command += [f"--payloads={args.payloads}"]
        if args.database_url:
            command.append(f"--database-url={args.database_url}")
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        runs.append(json.loads(output.strip().splitlines()[-1]))
    first, last = runs[0], runs[-1]
    result = {
        "benchmark": "worker_scaling",
        "database": "postgresql" if args.database_url else "sqlite",
        "machine": machine(),
        "runs": runs,
        "speedup": {
            kind: round(last[f"{kind}_per_second"] / first[f"{kind}_per_second"], 2)
            for kind in ("tasks", "outbox", "payloads")
        },
    }
    emit(result, args.json, render)


if __name__ == "__main__":
    main()
