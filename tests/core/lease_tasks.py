"""Tasks for the lease and two-worker tests (tests/core/test_task_lease.py, test_two_workers.py)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.tasks import task


@task
def slow_mark(folder: str) -> None:
    """Write ``start``, wait until ``release`` exists (at most 60 s), then write ``done``."""
    where = Path(folder)
    with (where / "marks").open("a") as marks:
        marks.write("start\n")
    for _ in range(600):
        if (where / "release").exists():
            break
        time.sleep(0.1)
    with (where / "marks").open("a") as marks:
        marks.write("done\n")


@task
def record_run(folder: str, number: int) -> None:
    """Append ``<pid> <number>`` to ``runs``: the two-worker test counts who ran what, how often."""
    time.sleep(0.02)
    with (Path(folder) / "runs").open("a") as runs:
        runs.write(f"{os.getpid()} {number}\n")
