"""A task for the lease test (tests/core/test_task_lease.py): imported by a worker process."""

from __future__ import annotations

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
