"""casebridge restore PATH: check a backup archive, then restore it."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from casebridge.core.cli import Options, print_json, run
from casebridge.core.restore import backup_restore, backup_verify
from casebridge.core.text import plural


class Command(BaseCommand):
    help = (
        "Restore a backup written by `casebridge backup` into the configured database (empty, "
        "unless --replace) and media root. Every member is checked before anything changes."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the archive written by casebridge backup")
        parser.add_argument(
            "--check", action="store_true", help="only check the archive; change nothing"
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="replace the data of a database that is not empty",
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: object, **raw: object) -> None:
        options = Options(raw)
        path = options.path("path")
        started = time.monotonic()
        if options.flag("check"):
            manifest = run(lambda: backup_verify(path))
            rows = sum(manifest["tables"].values())
            if options.flag("json"):
                print_json(
                    {
                        "path": str(path),
                        "ok": True,
                        "engine": manifest["engine"],
                        "created_at": manifest["created_at"],
                        "rows": rows,
                    }
                )
            else:
                self.stdout.write(
                    f"{path}: intact, a {manifest['engine']} backup of "
                    f"{manifest['created_at']} with {plural(rows, 'row')}."
                )
            return
        result = run(lambda: backup_restore(path, replace=options.flag("replace")))
        seconds = round(time.monotonic() - started, 2)
        if options.flag("json"):
            print_json({**result.__dict__, "path": str(path), "seconds": seconds})
            return
        self.stdout.write(
            f"Restored the backup of {result.created_at}: {plural(result.tables, 'table')}, "
            f"{plural(result.rows, 'row')}, {plural(result.files, 'stored file')}, all matching "
            f"the manifest ({seconds} s)."
        )
