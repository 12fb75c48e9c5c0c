"""casebridge backup PATH: a consistent archive of the database and the stored files."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from casebridge.core.backup import backup_create
from casebridge.core.cli import Options, print_json, run
from casebridge.core.text import plural


class Command(BaseCommand):
    help = (
        "Write a backup archive (tar: manifest, database snapshot, stored files) to PATH. "
        "Safe while the server runs. Restore it with `casebridge restore PATH`."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the archive to write, e.g. backup.tar")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: object, **raw: object) -> None:
        options = Options(raw)
        started = time.monotonic()
        result = run(lambda: backup_create(options.path("path")))
        seconds = round(time.monotonic() - started, 2)
        manifest = result.manifest
        rows = sum(manifest.tables.values())
        files = len(manifest.files) - 1
        if options.flag("json"):
            print_json(
                {
                    "path": str(result.path),
                    "bytes": result.bytes,
                    "engine": manifest.engine,
                    "created_at": manifest.created_at,
                    "tables": len(manifest.tables),
                    "rows": rows,
                    "files": files,
                    "seconds": seconds,
                }
            )
            return
        self.stdout.write(
            f"Backed up {manifest.engine}: {plural(len(manifest.tables), 'table')}, "
            f"{plural(rows, 'row')}, {plural(files, 'stored file')} to {result.path} "
            f"({result.bytes / 1e6:.1f} MB in {seconds} s)."
        )
