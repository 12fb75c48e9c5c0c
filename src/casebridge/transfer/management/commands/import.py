"""casebridge import FILE: a JSON lines export (idempotent), or cases from another tool's CSV."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casebridge.core.cli import Options, actor_from, add_actor_argument, print_json, run
from casebridge.transfer.csvcases import CASE_COLUMNS, import_cases_csv, parse_mapping
from casebridge.transfer.jsonl import import_lines


class Command(BaseCommand):
    help = (
        "Import a `casebridge export` file (JSON lines; keys kept; importing twice changes "
        "nothing), or with --format csv open cases from another tool's CSV export, mapping its "
        f"columns with --map FIELD=COLUMN (fields: {', '.join(CASE_COLUMNS)})."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the file to import, or - for standard input")
        parser.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="FIELD=COLUMN",
            help="csv: which column holds a field (repeat); unmapped fields use the column "
            "of the same name",
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        add_actor_argument(parser)

    def handle(self, *args: object, **raw: object) -> None:
        options = Options(raw)
        name = options.text("file")
        if name != "-" and not Path(name).is_file():
            raise CommandError(f"file: no file '{name}'", returncode=2)
        handle = sys.stdin if name == "-" else Path(name).open(encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed by the with below
        with handle:
            if options.text("format") == "csv":
                mapping = run(lambda: parse_mapping(options.texts("map")))
                actor = actor_from(options)
                result = run(lambda: import_cases_csv(handle, mapping=mapping, actor=actor))
                counts: dict[str, dict[str, int]] = {"created": {"case": len(result)}}
                data: dict[str, object] = {**counts, "keys": result}
            else:
                done = run(lambda: import_lines(handle))
                counts = {"created": done.created, "unchanged": done.unchanged}
                data = {**counts}
        if options.flag("json"):
            print_json(data)
            return
        created = ", ".join(f"{n} {kind}" for kind, n in counts["created"].items())
        unchanged = ", ".join(f"{n} {kind}" for kind, n in counts.get("unchanged", {}).items())
        self.stdout.write(
            f"Imported: {created}." + (f" Already there: {unchanged}." if unchanged else "")
        )
