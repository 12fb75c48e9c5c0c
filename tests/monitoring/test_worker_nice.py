"""``casebridge worker --nice N``: the bulk work N steps nicer, the look ahead of new alert groups
(and their cases) in a child process at the worker's first priority; and a failing periodic job
does not stop the worker. Real processes on the test database (SQLite or PostgreSQL)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import transaction

from casebridge.catalog.services import service_create
from casebridge.core import clock
from casebridge.jobs import Job
from casebridge.monitoring.models import AlertGroup, AlertStorm, Payload
from casebridge.monitoring.services import integration_create
from tests.integrations.chaos import database_url
from tests.monitoring.helpers import alert, webhook

ROOT = Path(__file__).resolve().parents[2]
RULES = [f"Rule{n}" for n in range(8)]  # 8 new groups on one service: over the threshold of 5


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def children_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def start_worker(log: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CASEBRIDGE_SECRET_KEY": settings.SECRET_KEY,
        "CASEBRIDGE_LOG_LEVEL": "INFO",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
    }
    command = [sys.executable, "-m", "casebridge.cli", "worker", "--interval", "0.05", *args]
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=out)


def store_storm() -> None:
    service = service_create(actor=None, name="Payments", slug="payments")
    integration, _ = integration_create(
        actor=None, kind="alertmanager", name="Prod", slug="prod", service=service
    )
    now = clock.now()
    with transaction.atomic():
        Payload.objects.bulk_create(
            Payload(
                integration=integration,
                received_at=now,
                body=json.dumps(webhook(alert(rule, instance=f"host-{n}"))),
                alerts=1,
                available_at=now,
            )
            for n, rule in enumerate(RULES * 3)
        )


def events(log: Path) -> list[dict[str, Any]]:
    found = []
    for line in log.read_text().splitlines():
        try:
            found.append(json.loads(line))
        except ValueError:
            continue
    return found


@pytest.mark.django_db(transaction=True)
def test_nice_worker_looks_ahead_in_a_child_at_its_first_priority(tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    first = os.getpriority(os.PRIO_PROCESS, 0)
    worker = start_worker(log, "--nice", "5")
    try:
        wait_for(lambda: len(children_of(worker.pid)) == 1, 60, "the look ahead to start")
        (child,) = children_of(worker.pid)
        wait_for(
            lambda: os.getpriority(os.PRIO_PROCESS, worker.pid) == min(19, first + 5),
            30,
            "the worker to lower its priority",
        )
        assert os.getpriority(os.PRIO_PROCESS, child) == first
        assert "--look-ahead" in Path(f"/proc/{child}/cmdline").read_text()
        wait_for(
            lambda: "look_ahead_started" in [e.get("event") for e in events(log)],
            60,
            "the look ahead to say it started",
        )
        store_storm()
        wait_for(
            lambda: (
                AlertGroup.objects.count() == len(RULES)
                and not AlertGroup.objects.filter(case=None).exists()
                and not Payload.objects.filter(state="pending").exists()
            ),
            60,
            "every group in its case and every payload folded",
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    # the payloads came in one commit: the look ahead opened the 8 groups at once, over the
    # threshold of 5, so they are one storm case
    storm = AlertStorm.objects.get()
    assert AlertGroup.objects.filter(storm=storm).count() == len(RULES)
    assert set(AlertGroup.objects.values_list("case", flat=True)) == {storm.case_id}
    # the child ended with the worker, and it was the one that looked ahead
    wait_for(lambda: gone(child), 30, "the look ahead to stop with the worker")
    said = [e.get("event") for e in events(log)]
    assert "look_ahead_stopped" in said
    assert "job_failed" not in said


@pytest.mark.django_db(transaction=True)
def test_look_ahead_stops_when_its_worker_is_killed(tmp_path: Path) -> None:
    worker = start_worker(tmp_path / "worker.log", "--nice", "3")
    try:
        wait_for(lambda: len(children_of(worker.pid)) == 1, 60, "the look ahead to start")
        (child,) = children_of(worker.pid)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    wait_for(lambda: gone(child), 30, "the orphaned look ahead to stop")


def test_nice_out_of_range_is_refused() -> None:
    with pytest.raises(CommandError, match="--nice"):
        call_command("worker", "--once", "--nice", "25")


@pytest.mark.django_db(transaction=True)
def test_a_failing_job_is_logged_and_the_others_run(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[str] = []

    def boom() -> int:
        ran.append("boom")
        raise RuntimeError("deadlock detected")

    def fine() -> int:
        ran.append("fine")
        return 1

    jobs = [Job("boom", 0, boom), Job("fine", 0, fine)]
    monkeypatch.setattr("casebridge.core.management.commands.worker.periodic_jobs", lambda: jobs)
    call_command("worker", "--once")
    assert ran == ["boom", "fine"]
