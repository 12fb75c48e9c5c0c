"""casebridge worker: background tasks, outbox delivery and periodic jobs, in one loop.

The worker delivers the outbox between its other jobs (``Relay.deliver_due``) unless told
``--no-outbox``, for setups that run ``casebridge relay`` processes instead.
"""

from __future__ import annotations

import signal
import time
import uuid
from types import FrameType

import structlog
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from casebridge.core.cli import Options
from casebridge.core.tasks import Heartbeat
from casebridge.integrations.relay import Relay
from casebridge.jobs import periodic_jobs

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

    def handle(self, *args: object, **raw: object) -> None:
        options = Options(raw)
        from django_tasks_db.management.commands.db_worker import Worker  # noqa: PLC0415 - the task worker loads only when it runs

        self.running = True
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
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
        log.info("worker_stopped")

    def _periodic(self, last_run: dict[str, float]) -> int:
        done = 0
        now = time.monotonic()
        for job in periodic_jobs():
            if now - last_run.get(job.name, -1e9) >= job.every_seconds:
                last_run[job.name] = now
                count = job.run()
                if count:
                    log.info("job_done", job=job.name, count=count, worker=self.worker_id)
                done += count
        return done

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        log.info("worker_stopping", signal=signal.strsignal(signum))
        self.running = False
