"""Background tasks: enqueued with the change that asks for them, leased to the worker running them.

* :func:`enqueue_with_change`: with the database backend (production), the task's row is written
  in the change's own transaction, so both commit or neither does. (Enqueued "on commit", a crash
  between the commit and the enqueue dropped the task.) Other backends (the immediate one of
  development, the dummy one of tests) run outside the database, so they enqueue at the commit.
* Leases: every ``casebridge worker`` writes a heartbeat row every ``lease / 4`` seconds from a
  thread of its own, whatever its tasks are doing. A task left ``RUNNING`` by a worker whose last
  heartbeat is older than ``CASEBRIDGE_TASK_LEASE_SECONDS`` (the worker was killed, or its machine
  lost) is put back to ``READY`` by the job :func:`tasks_reclaim` and runs again: tasks are
  idempotent. No task stays "running" for ever after a crash.
"""

from __future__ import annotations

import os
import socket
import threading
from datetime import timedelta

import structlog
from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.tasks import Task, TaskResultStatus, task_backends
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from casebridge.core import clock
from casebridge.core.models import WorkerHeartbeat

log = structlog.get_logger("casebridge.tasks")


def enqueue_with_change[**P, T](task: Task[P, T], *args: P.args, **kwargs: P.kwargs) -> None:
    """Enqueue ``task`` as part of the current change (see the module's docstring)."""
    if isinstance(task_backends[task.backend], DatabaseBackend):
        task.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(lambda: task.enqueue(*args, **kwargs))


def lease() -> timedelta:
    return timedelta(seconds=settings.TASK_LEASE_SECONDS)


class Heartbeat:
    """A worker's heartbeat thread: ``start()`` when the worker starts, ``stop()`` when it ends."""

    def __init__(self, worker_id: str) -> None:
        self.worker_id = worker_id
        self.every = max(0.2, settings.TASK_LEASE_SECONDS / 4)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def start(self) -> None:
        self.beat()  # before the first task is claimed
        self._thread.start()

    def beat(self) -> None:
        now = clock.now()
        WorkerHeartbeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={"seen_at": now},
            create_defaults={
                "seen_at": now,
                "started_at": now,
                "host": socket.gethostname()[:100],
                "pid": os.getpid(),
            },
        )

    def _run(self) -> None:
        try:
            while not self._stopped.wait(self.every):
                try:
                    self.beat()
                except Exception:  # a lost connection: the next beat tries again
                    log.exception("heartbeat_failed", worker=self.worker_id)
                    close_old_connections()
        finally:
            connection.close()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()


def tasks_reclaim() -> int:
    """Put back to ``READY`` the tasks running under a worker that is gone; returns how many.

    A worker is gone when its last heartbeat is older than the lease (or it has none). A task
    claimed less than a lease ago is left alone whatever its worker (its first beat may be late).
    Heartbeats of workers gone ten leases ago are forgotten.
    """
    now = clock.now()
    cutoff = now - lease()
    alive = set(
        WorkerHeartbeat.objects.filter(seen_at__gte=cutoff).values_list("worker_id", flat=True)
    )
    orphans = [
        pk
        for pk, workers, started in DBTaskResult.objects.filter(
            status=TaskResultStatus.RUNNING
        ).values_list("id", "worker_ids", "started_at")
        if (not workers or workers[-1] not in alive) and (started is None or started < cutoff)
    ]
    reclaimed = 0
    if orphans:
        with transaction.atomic():
            reclaimed = DBTaskResult.objects.filter(
                id__in=orphans, status=TaskResultStatus.RUNNING
            ).update(status=TaskResultStatus.READY, started_at=None)
        log.warning("tasks_reclaimed", count=reclaimed)
    WorkerHeartbeat.objects.filter(seen_at__lt=now - 10 * lease()).delete()
    return reclaimed
