"""Two ``casebridge worker`` processes on one PostgreSQL database (issue 17).

Tasks, outbox messages and alert payloads are claimed with ``SKIP LOCKED`` (django-tasks-db's
claim, ``integrations.claims``, ``monitoring.folding.locked``): with two workers on one batch,
each item is processed exactly once and both workers take part. On SQLite the workers would be
correct but take turns (one IMMEDIATE transaction writes at a time), so the test runs on
PostgreSQL only; CI runs it there (``make test`` with ``DATABASE_URL``, under pytest-xdist).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from casebridge.catalog.services import service_create
from casebridge.core import clock
from casebridge.core.models import WorkerHeartbeat
from casebridge.integrations.models import OutboxMessage
from casebridge.integrations.notices import Notice
from casebridge.integrations.webhooks.services import (
    webhook_destination_create,
    webhook_route_add,
    webhooks_fan_out,
)
from casebridge.monitoring.models import AlertGroup, Payload
from casebridge.monitoring.services import integration_create
from tests.core.lease_tasks import record_run
from tests.integrations.chaos import database_url
from tests.integrations.receivers import Generic, Receiver, Reply, Request
from tests.monitoring.helpers import alert, webhook

ROOT = Path(__file__).resolve().parents[2]
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
#: More payloads than one worker folds in one pass (``FOLD_PASS_SECONDS``): both take part.
TASKS, MESSAGES, PAYLOADS = 60, 600, 3000
FOLD_JOB = "fold monitoring payloads into alert groups"

pytestmark = pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="two workers claim side by side with SKIP LOCKED on PostgreSQL only; on SQLite they "
    "take turns behind the one write lock (run with DATABASE_URL=postgres://...; CI does)",
)


class Slow(Generic):
    """The verifying, idempotent receiver, a few milliseconds per request (a real round trip)."""

    def __call__(self, request: Request) -> Reply:
        time.sleep(0.005)
        return super().__call__(request)


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def start_worker(log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CASEBRIDGE_SECRET_KEY": settings.SECRET_KEY,
        "CASEBRIDGE_WEBHOOK_ALLOW_LOOPBACK_HTTP": "true",
        "CASEBRIDGE_LOG_LEVEL": "INFO",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
    }
    env.pop("CASEBRIDGE_TASKS_BACKEND", None)
    command = [sys.executable, "-m", "casebridge.cli", "worker", "--interval", "0.05"]
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=out)


def work_of(log: Path) -> Counter[str]:
    """What one worker says it did: tasks run, outbox messages handled, payloads folded."""
    done: Counter[str] = Counter()
    for line in log.read_text().splitlines():
        try:
            entry: dict[str, Any] = json.loads(line)
        except ValueError:
            continue
        if entry.get("event") == "tasks_run":
            done["tasks"] += entry["count"]
        elif entry.get("event") == "outbox_delivered":
            done["outbox"] += entry["count"]
        elif entry.get("event") == "job_done" and entry.get("job") == FOLD_JOB:
            done["payloads"] += entry["count"]
    return done


def make_batch(folder: Path, receiver_url: str, receiver_app: Generic) -> set[str]:
    """The tasks, the webhook messages and the alert payloads, all due at once (one commit)."""
    service = service_create(actor=None, name="Payments", slug="payments")
    integration, _ = integration_create(
        actor=None, kind="alertmanager", name="Prod", slug="prod", service=service
    )
    hook, secret = webhook_destination_create(
        actor=None, kind="generic", name="Chat", url=receiver_url
    )
    receiver_app.secret = secret
    webhook_route_add(actor=None, destination=hook, topic="incident.*")
    now = clock.now()
    with transaction.atomic():
        for number in range(TASKS):
            record_run.enqueue(str(folder), number)
        for number in range(MESSAGES):
            webhooks_fan_out(
                Notice(topic="incident.updated", title=f"#{number}", key=f"I-{number}")
            )
        Payload.objects.bulk_create(
            Payload(
                integration=integration,
                received_at=now,
                body=json.dumps(webhook(alert(f"Drill{n % 20}", instance=f"host-{n}"))),
                alerts=1,
                available_at=now,
            )
            for n in range(PAYLOADS)
        )
    keys = OutboxMessage.objects.filter(destination=hook.address).values_list(
        "idempotency_key", flat=True
    )
    return {str(k) for k in keys}


@pytest.mark.django_db(transaction=True)
def test_two_workers_process_each_task_message_and_payload_once_and_share_the_work(
    settings: Any, tmp_path: Path
) -> None:
    settings.TASKS = DB_TASKS
    settings.WEBHOOK_ALLOW_LOOPBACK_HTTP = True  # the receiver is on 127.0.0.1
    assert connection.vendor == "postgresql"
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    receiver_app = Slow()
    with Receiver(receiver_app) as receiver:
        workers = [start_worker(log) for log in logs]
        try:
            wait_for(lambda: WorkerHeartbeat.objects.count() == 2, 120, "both workers to start")
            keys = make_batch(tmp_path, receiver.url("/in"), receiver_app)
            wait_for(
                lambda: (
                    DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).count() == TASKS
                    and not OutboxMessage.objects.filter(state="pending").exists()
                    and not Payload.objects.filter(state="pending").exists()
                ),
                180,
                "the batch to be processed",
            )
        finally:
            for process in workers:
                process.send_signal(signal.SIGTERM)
            for process in workers:
                process.wait(timeout=60)
    # tasks: each ran once, on one worker, and both workers ran some
    runs = (tmp_path / "runs").read_text().split()
    numbers = Counter(int(n) for n in runs[1::2])
    assert numbers == Counter(range(TASKS))
    results = list(DBTaskResult.objects.values_list("worker_ids", flat=True))
    assert all(len(ids) == 1 for ids in results)
    assert len({ids[0] for ids in results}) == 2
    assert len(set(runs[0::2])) == 2
    # outbox: every message delivered, each exactly once
    assert set(receiver_app.applied) == keys and receiver_app.duplicates == 0
    assert OutboxMessage.objects.filter(idempotency_key__in=keys, state="delivered").count() == len(
        keys
    )
    # alert payloads: each folded once (every alert counted once over the groups)
    assert Payload.objects.filter(state="done").count() == PAYLOADS
    assert AlertGroup.objects.aggregate(n=Sum("firing_count"))["n"] == PAYLOADS
    # both workers did work of each kind
    done = [work_of(log) for log in logs]
    assert sum(d["tasks"] for d in done) == TASKS
    assert sum(d["payloads"] for d in done) == PAYLOADS
    assert sum(d["outbox"] for d in done) >= MESSAGES
    for kind in ("tasks", "outbox", "payloads"):
        assert all(d[kind] > 0 for d in done), (kind, done)
