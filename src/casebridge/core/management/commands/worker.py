"""casebridge worker: background tasks, outbox delivery and periodic jobs, in one loop.

The worker delivers the outbox between its other jobs (``Relay.deliver_due``) unless told
``--no-outbox``, for setups that run ``casebridge relay`` processes instead.

``--nice N`` puts the worker's bulk work (the fold of alert payloads, tasks, the outbox, every
job) N steps below the priority it was started with, for a machine it shares with the web
processes, and keeps what an L2 engineer waits for in a storm at that first priority: a child
process (``--look-ahead``) opens the groups of new alert keys and their cases (or joins them to
the storm's case) as payloads arrive (``monitoring.worker.groups_ahead_sync``), and catches the
cases of the groups the fold opened or changed up (``cases_catch_up``). The child ends
with the worker; if it dies, the worker looks ahead itself again.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import uuid
from types import FrameType

import structlog
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from casebridge.core.cli import Options
from casebridge.core.tasks import Heartbeat
from casebridge.integrations.relay import Relay
from casebridge.jobs import periodic_jobs
from casebridge.monitoring.ahead import AHEAD
from casebridge.monitoring.worker import cases_catch_up, groups_ahead_sync

log = structlog.get_logger("casebridge.worker")


class Command(BaseCommand):
    help = "Run background tasks, deliver the outbox and run periodic jobs."
    requires_system_checks: list[str] = []  # start fast; `casebridge check` runs them

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="Idle sleep, seconds.")
        parser.add_argument("--once", action="store_true", help="One pass, then exit.")
        parser.add_argument(
            "--no-outbox",
            action="store_true",
            help="Leave the outbox to `casebridge relay` processes.",
        )
        parser.add_argument(
            "--nice",
            type=int,
            default=0,
            help="Run the bulk work this many steps nicer (0-19); the look ahead of new alert "
            "groups stays at the starting priority, in a child process.",
        )
        parser.add_argument(
            "--look-ahead",
            action="store_true",
            help="Only look ahead for new alert groups (the child of `worker --nice`).",
        )
        parser.add_argument("--parent", type=int, default=None, help=argparse.SUPPRESS)

    def handle(self, *args: object, **raw: object) -> None:
        options = Options(raw)
        self.running = True
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        if options.flag("look_ahead"):
            self._look_ahead(options.real("interval"), options.number_or_none("parent"))
            return
        nice = options.number("nice")
        if not 0 <= nice <= 19:
            raise CommandError(f"--nice: {nice} is not between 0 and 19")
        self.child = self._child() if nice and not options.flag("once") else None
        os.nice(nice)
        from django_tasks_db.management.commands.db_worker import Worker  # noqa: PLC0415 - the task worker loads only when it runs

        worker_id = f"casebridge-{uuid.uuid4().hex[:8]}"
        self.worker_id = worker_id
        tasks = Worker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=50,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        heartbeat = Heartbeat(worker_id)  # the lease on the tasks it claims (core.tasks)
        heartbeat.start()
        last_run: dict[str, float] = {}
        relay = None if options.flag("no_outbox") else Relay(concurrency=4, batch=200)
        log.info("worker_started", outbox=relay is not None, worker=worker_id)
        try:
            while self.running:
                close_old_connections()
                self._child_alive()
                tasks._run_tasks = 0
                tasks.run()
                delivered = relay.deliver_due(500) if relay else 0
                if delivered:
                    log.info("outbox_delivered", count=delivered, worker=worker_id)
                if tasks._run_tasks:
                    log.info("tasks_run", count=tasks._run_tasks, worker=worker_id)
                work = tasks._run_tasks + delivered
                work += self._periodic(last_run)
                if options.flag("once"):
                    break
                if not work:
                    time.sleep(options.real("interval"))
        finally:
            if relay is not None:
                relay.close()
            heartbeat.stop()
            if self.child is not None:
                self.child.terminate()
                self.child.wait(timeout=30)
        log.info("worker_stopped")

    def _child(self) -> subprocess.Popen[bytes]:
        """The look ahead at this process's first priority; the worker's own stops."""
        AHEAD.inline = False
        command = [sys.executable, "-m", "casebridge.cli", "worker", "--look-ahead"]
        return subprocess.Popen([*command, "--interval", "0.2", "--parent", str(os.getpid())])  # noqa: S603 - our own command line

    def _child_alive(self) -> None:
        if self.child is not None and self.child.poll() is not None:
            log.warning("look_ahead_stopped", code=self.child.returncode)
            self.child, AHEAD.inline = None, True  # started again it would run at our nice

    def _look_ahead(self, interval: float, parent: int | None) -> None:
        """The child's loop: look ahead until told to stop or the worker is gone."""
        AHEAD.inline = False
        parent = parent or os.getppid()
        log.info("look_ahead_started", worker=parent)
        while self.running and os.getppid() == parent:
            close_old_connections()
            if not groups_ahead_sync() + cases_catch_up():
                time.sleep(interval)
        log.info("look_ahead_stopped", worker=parent)

    def _periodic(self, last_run: dict[str, float]) -> int:
        done = 0
        now = time.monotonic()
        for job in periodic_jobs():
            if now - last_run.get(job.name, -1e9) >= job.every_seconds:
                last_run[job.name] = now
                try:
                    count = job.run()
                except Exception:  # one job's failure (a deadlock, a bug) is logged; the others run
                    log.exception("job_failed", job=job.name, worker=self.worker_id)
                    continue
                if count:
                    log.info("job_done", job=job.name, count=count, worker=self.worker_id)
                done += count
        return done

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        log.info("worker_stopping", signal=signal.strsignal(signum))
        self.running = False
