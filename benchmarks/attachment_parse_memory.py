"""Peak memory and speed of parsing a ~100 MB log attachment through the product path.

The parent process builds a fresh database (SQLite by default, or ``DATABASE_URL``), opens a case
and attaches a generated ~100 MB log to it with ``attachment_add`` (the log generator of
``benchmarks/log_memory.py``: many event types, high-cardinality values, other formats and junk
lines that keep creating templates). Then three fresh child processes each report their own
peak RSS:

* ``idle``: Django set up, nothing else (the floor of any worker process);
* ``baseline``: read the stored attachment line by line through Django's storage;
* ``parser``: the bare parser over the same file (``logparse.parse_file``), no database;
* ``task``: run the background task ``parse_log_source`` (stream from storage, parse with
  ``LogParser``, record signatures and sightings in one transaction, progress saved as it goes).

Usage::

    .venv/bin/python benchmarks/attachment_parse_memory.py [--megabytes 100] [--json]

Target: peak RSS of the task <= 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PEAK_RSS_TARGET_MB = 300


def _peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM: ru_maxrss would carry the parent's peak across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # pragma: no cover


def _prepare(megabytes: int) -> dict[str, Any]:
    """Fresh database, a case, and the generated log attached to it; returns what children need."""
    from benchmarks._common import setup_django
    from benchmarks.log_memory import generate

    workdir = setup_django()
    from django.core.files import File

    from casebridge.accounts.services import user_create
    from casebridge.cases.attachments import attachment_add
    from casebridge.cases.services import CaseInput, case_create
    from casebridge.catalog.services import service_create

    engineer = user_create(
        actor=None, username="bench-l2", email="l2@bench.invalid", roles=["l2_engineer"]
    )
    service = service_create(actor=None, name="Payments")
    case = case_create(
        actor=engineer,
        data=CaseInput(
            title="Checkout fails under load",
            description="",
            service=service,
            environment="production",
        ),
    )
    path = workdir / "generated.log"
    started = time.perf_counter()
    lines = generate(path, megabytes)
    generated = time.perf_counter() - started
    with path.open("rb") as handle:
        attachment = attachment_add(
            actor=engineer, case=case, upload=File(handle), filename="app.log"
        )
    path.unlink()
    return {
        "env": {
            "DATABASE_URL": os.environ["DATABASE_URL"],
            "CASEBRIDGE_MEDIA_ROOT": os.environ["CASEBRIDGE_MEDIA_ROOT"],
        },
        "attachment": attachment.pk,
        "source": attachment.log_source.pk,
        "size_mb": round(attachment.size / 1024 / 1024, 1),
        "lines": lines,
        "generated_s": round(generated, 1),
    }


def _child(mode: str, attachment_id: int, source_id: int) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casebridge.settings")
    os.environ["CASEBRIDGE_LOG_LEVEL"] = "WARNING"
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    import django

    django.setup()
    from casebridge.cases.models import Attachment
    from casebridge.occurrences.models import LogSource, Signature
    from casebridge.occurrences.tasks import parse_log_source

    started = time.perf_counter()
    lines = 0
    if mode == "baseline":
        attachment = Attachment.objects.get(pk=attachment_id)
        with attachment.file.open("rb") as handle:
            lines = sum(1 for _ in handle)
    elif mode == "parser":
        from casebridge.occurrences.logparse import parse_file

        lines = sum(1 for _ in parse_file(Attachment.objects.get(pk=attachment_id).file.path))
    elif mode == "task":
        parse_log_source.call(source_id)
        source = LogSource.objects.get(pk=source_id)
        assert source.state == "done", source.error
        lines = source.lines
    seconds = time.perf_counter() - started
    figures: dict[str, Any] = {
        "mode": mode,
        "lines": lines,
        "seconds": round(seconds, 2),
        "lines_per_s": round(lines / seconds) if seconds and lines else 0,
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }
    if mode == "task":
        source = LogSource.objects.get(pk=source_id)
        figures["templates"] = source.templates
        figures["signatures_recorded"] = Signature.objects.filter(sources__source=source).count()
    return figures


def _run_child(mode: str, prepared: dict[str, Any]) -> dict[str, Any]:
    env = {**os.environ, **prepared["env"]}
    command = [
        sys.executable,
        __file__,
        "--child",
        mode,
        str(prepared["attachment"]),
        str(prepared["source"]),
    ]
    output = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def main() -> int:
    from benchmarks._common import database_option

    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--megabytes", type=int, default=100)
    options.add_argument("--json", action="store_true")
    database_option(options)
    options.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = options.parse_args()
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    if args.child:
        mode, attachment_id, source_id = args.child
        print(json.dumps(_child(mode, int(attachment_id), int(source_id))))
        return 0
    prepared = _prepare(args.megabytes)
    runs = {mode: _run_child(mode, prepared) for mode in ("idle", "baseline", "parser", "task")}
    task, baseline = runs["task"], runs["baseline"]
    ok = task["peak_rss_mb"] <= PEAK_RSS_TARGET_MB
    result = {
        "attachment_mb": prepared["size_mb"],
        "generated_lines": prepared["lines"],
        "runs": runs,
        "task_over_baseline_throughput": round(task["lines_per_s"] / baseline["lines_per_s"], 3),
        "task_over_parser_throughput": round(
            task["lines_per_s"] / runs["parser"]["lines_per_s"], 3
        ),
        "target_met": ok,
    }
    if args.json:
        print(json.dumps(result))
        return 0 if ok else 1
    print(
        f"attachment {prepared['size_mb']} MB, {prepared['lines']:,} lines "
        f"(generated in {prepared['generated_s']} s), database {prepared['env']['DATABASE_URL']}"
    )
    labels = {
        "idle": "Django set up, idle",
        "baseline": "read lines (storage)",
        "parser": "parse_file (parser)",
        "task": "parse_log_source task",
    }
    for mode, run in runs.items():
        rate = f"{run['lines_per_s']:>10,} lines/s" if run["lines"] else " " * 18
        print(
            f"{labels[mode]:<22} {run['lines']:>10,} lines {run['seconds']:>7.2f} s {rate}"
            f"  peak RSS {run['peak_rss_mb']:6.1f} MB"
        )
    print(
        f"templates {task['templates']}, signatures recorded {task['signatures_recorded']}; "
        f"task / read throughput {result['task_over_baseline_throughput']}, "
        f"task / parser {result['task_over_parser_throughput']}"
    )
    print(f"peak RSS target <= {PEAK_RSS_TARGET_MB} MB: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
