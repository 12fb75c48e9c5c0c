"""Tasks are enqueued with their change and leased to their worker (``core.tasks``, issue 17)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import transaction
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from casebridge.core import clock
from casebridge.core.models import WorkerHeartbeat
from casebridge.core.tasks import enqueue_with_change, tasks_reclaim
from tests.core.lease_tasks import slow_mark
from tests.integrations.chaos import database_url

ROOT = Path(__file__).resolve().parents[2]
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def worker(lease: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CASEBRIDGE_SECRET_KEY": settings.SECRET_KEY,
        "CASEBRIDGE_TASK_LEASE_SECONDS": str(lease),
        "CASEBRIDGE_LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
    }
    env.pop("CASEBRIDGE_TASKS_BACKEND", None)
    command = [sys.executable, "-m", "casebridge.cli", "worker", "--interval", "0.1"]
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)


@pytest.mark.django_db(transaction=True)
def test_a_task_of_a_killed_worker_is_reclaimed_and_finished_once(settings, tmp_path):
    settings.TASKS = DB_TASKS
    slow_mark.enqueue(str(tmp_path))
    marks = tmp_path / "marks"
    first = worker(lease=2)
    try:
        wait_for(marks.exists, 120, "the first worker to start the task")
        assert DBTaskResult.objects.get().status == TaskResultStatus.RUNNING
        first.send_signal(signal.SIGKILL)  # mid-task: no clean stop, no heartbeat row removed
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    assert DBTaskResult.objects.get().status == TaskResultStatus.RUNNING  # the phantom
    (tmp_path / "release").touch()
    second = worker(lease=2)
    try:
        wait_for(
            lambda: DBTaskResult.objects.get().status == TaskResultStatus.SUCCESSFUL,
            120,
            "the second worker to reclaim and finish the task",
        )
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    result = DBTaskResult.objects.get()
    assert len(result.worker_ids) == 2 and result.worker_ids[0] != result.worker_ids[1]
    assert marks.read_text().splitlines() == ["start", "start", "done"]  # finished once
    # a worker stopped cleanly removes its heartbeat (the killed one's is forgotten later)
    beats = set(WorkerHeartbeat.objects.values_list("worker_id", flat=True))
    assert result.worker_ids[1] not in beats


@pytest.mark.django_db
def test_reclaim_spares_live_workers_and_fresh_claims(settings):
    settings.TASKS = DB_TASKS
    settings.TASK_LEASE_SECONDS = 60
    with time_machine.travel("2026-12-10 09:00Z", tick=False):
        for worker_id in ("alive", "gone", "fresh"):
            slow_mark.enqueue(worker_id)
        rows = {r.args_kwargs["args"][0]: r for r in DBTaskResult.objects.all()}
        for worker_id, row in rows.items():
            started = clock.now() - timedelta(seconds=10 if worker_id == "fresh" else 300)
            DBTaskResult.objects.filter(pk=row.pk).update(
                status=TaskResultStatus.RUNNING, worker_ids=[worker_id], started_at=started
            )
        beat = {"host": "h", "pid": 1, "started_at": clock.now()}
        WorkerHeartbeat.objects.create(worker_id="alive", seen_at=clock.now(), **beat)
        WorkerHeartbeat.objects.create(
            worker_id="gone", seen_at=clock.now() - timedelta(seconds=61), **beat
        )
        assert tasks_reclaim() == 1
        status = {r.worker_ids[0]: r.status for r in DBTaskResult.objects.all()}
        assert status == {
            "alive": TaskResultStatus.RUNNING,
            "gone": TaskResultStatus.READY,
            "fresh": TaskResultStatus.RUNNING,
        }
        assert tasks_reclaim() == 0
    with time_machine.travel("2026-12-10 09:11Z", tick=False):  # ten leases later
        tasks_reclaim()
        assert not WorkerHeartbeat.objects.filter(worker_id="gone").exists()


@pytest.mark.django_db
def test_a_task_is_enqueued_in_the_change_s_transaction(settings):
    settings.TASKS = DB_TASKS
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_with_change(slow_mark, "/nowhere")
        assert DBTaskResult.objects.count() == 1  # written with the change
        raise RuntimeError("the change fails")
    assert DBTaskResult.objects.count() == 0  # and rolled back with it
