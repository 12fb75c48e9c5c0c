"""casebridge eval duplicates|logs --data DIR [--json]: quality against baselines, same run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from casebridge.core.cli import Options

INSIDE = "CASEBRIDGE_EVAL_DATABASE"


class Command(BaseCommand):
    help = "Measure retrieval and log parsing quality on public data, against baselines."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        dup = sub.add_parser("duplicates", help="Duplicate detection: ours vs BM25.")
        dup.add_argument("--data", type=Path, required=True)
        dup.add_argument("--json", action="store_true")
        dup.add_argument(
            "--database-url",
            default="",
            help="Evaluate in this empty database instead of a temporary SQLite file.",
        )
        logs = sub.add_parser("logs", help="Log templates: ours (raw, content) vs drain3.")
        logs.add_argument("--data", type=Path, required=True)
        logs.add_argument("--json", action="store_true")
        logs.add_argument("--repeats", type=int, default=3, help="Timing repeats, best kept.")

    def handle(self, *args: object, **options: object) -> None:
        given = Options(options)
        if not given.path("data").is_dir():
            raise CommandError(f"--data: {options['data']} is not a directory", returncode=2)
        getattr(self, f"_{options['verb']}")(given)

    def _logs(self, options: Options) -> None:
        from casebridge.occurrences.evaluation.logs import evaluate_logs, format_logs_report  # noqa: PLC0415 - a harness loads only when asked for

        result = evaluate_logs(options.path("data"), repeats=options.number("repeats"))
        if not result["systems"]:
            raise CommandError(
                f"--data: no <S>/<S>_2k.log systems in {options['data']}", returncode=2
            )
        self.stdout.write(
            json.dumps(result, indent=2) if options["json"] else format_logs_report(result)
        )

    def _duplicates(self, options: Options) -> None:
        if os.environ.get(INSIDE) != "1":
            self._in_fresh_database(options)
            return
        from casebridge.occurrences.evaluation.duplicates import (  # noqa: PLC0415 - a harness loads only when asked for
            evaluate_duplicates,
            format_duplicates,
        )

        call_command("migrate", verbosity=0, interactive=False)
        try:
            result = evaluate_duplicates(options.path("data"))
        except (FileNotFoundError, KeyError, ValueError) as exc:
            raise CommandError(f"--data: {exc}", returncode=2) from exc
        self.stdout.write(
            json.dumps(result, indent=2) if options["json"] else format_duplicates(result)
        )

    def _in_fresh_database(self, options: Options) -> None:
        """Run again in a child process whose DATABASE_URL is a new, empty database."""
        with tempfile.TemporaryDirectory(prefix="casebridge-eval-") as work:
            url = options.text("database_url") or f"sqlite:///{Path(work) / 'eval.sqlite3'}"
            env = {
                **os.environ,
                INSIDE: "1",
                "DATABASE_URL": url,
                "CASEBRIDGE_MEDIA_ROOT": str(Path(work) / "media"),
                "CASEBRIDGE_LOG_LEVEL": "WARNING",
            }
            argv = [
                sys.executable,
                "-m",
                "casebridge.cli",
                "eval",
                "duplicates",
                "--data",
                str(options["data"]),
            ]
            if options["json"]:
                argv.append("--json")
            done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        self.stdout.write(done.stdout.rstrip("\n"))
        if done.returncode:
            raise CommandError(
                done.stderr.strip() or "evaluation failed", returncode=done.returncode
            )
