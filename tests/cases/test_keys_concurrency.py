"""Case keys under concurrency: eight processes each create 100 cases through ``case_create``.

The result must be 800 distinct keys and no error, on whichever database the suite runs on
(SQLite in WAL mode with IMMEDIATE transactions, or PostgreSQL through DATABASE_URL). The processes
are real: started with ``spawn``, each sets Django up against the test database and writes through
its own connection.
"""

from __future__ import annotations

import multiprocessing
import queue

import pytest
from django.conf import settings

from casebridge.audit.models import AuditEvent
from casebridge.cases.models import Case
from casebridge.core.models import Sequence
from casebridge.integrations.models import OutboxMessage
from tests import factories
from tests.cases.concurrency_worker import create_cases

PROCESSES = 8
PER_PROCESS = 100
TOTAL = PROCESSES * PER_PROCESS


@pytest.mark.django_db(transaction=True)
def test_eight_processes_allocate_800_distinct_keys() -> None:
    factories.build_world()  # committed: the worker processes must see it
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(PROCESSES), context.Queue()
    db_name = str(settings.DATABASES["default"]["NAME"])
    workers = [
        context.Process(
            target=create_cases, args=(db_name, barrier, results, n, PER_PROCESS, "l1"), daemon=True
        )
        for n in range(PROCESSES)
    ]
    for process in workers:
        process.start()
    reports = []
    try:
        for _ in workers:
            reports.append(results.get(timeout=180))
    except queue.Empty:
        pytest.fail(f"only {len(reports)} of {PROCESSES} workers finished in time")
    finally:
        for process in workers:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()

    errors = [f"worker {w}: {e}" for w, _, errs in reports for e in errs]
    assert errors == []
    keys = [key for _, worker_keys, _ in reports for key in worker_keys]
    assert len(keys) == TOTAL
    assert len(set(keys)) == TOTAL
    # No transaction rolled back, so the numbers are exactly 1..800, without gaps.
    assert set(keys) == {f"CB-{n}" for n in range(1, TOTAL + 1)}
    assert Case.objects.count() == TOTAL
    assert Sequence.objects.get(name="CB").value == TOTAL
    assert AuditEvent.objects.filter(subject_type="case", action="created").count() == TOTAL
    assert OutboxMessage.objects.filter(topic="case.created").count() == TOTAL
    # Each worker's own cases got increasing numbers (its transactions are ordered).
    for _, worker_keys, _ in reports:
        numbers = [int(key.removeprefix("CB-")) for key in worker_keys]
        assert numbers == sorted(numbers)
