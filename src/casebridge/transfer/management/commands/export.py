"""casebridge export: cases, comments and work items as JSON lines, keys kept."""

from __future__ import annotations

import sys
from datetime import datetime, time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from casebridge.core.cli import Options
from casebridge.transfer.jsonl import export_lines


def since_value(text: str) -> datetime:
    """A date (midnight in the server's zone) or an ISO 8601 date and time."""
    moment = parse_datetime(text)
    if moment is None:
        day = parse_date(text)
        if day is None:
            raise CommandError(
                f"--since: '{text}' is not a date (2026-11-01) or ISO 8601 time", returncode=2
            )
        moment = datetime.combine(day, time.min)
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class Command(BaseCommand):
    help = (
        "Export work items, cases and comments as JSON lines (one object a line, keys kept), "
        "for `casebridge import` in another installation."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["jsonl"], default="jsonl")
        parser.add_argument("--since", default="", help="only what changed since this date")
        parser.add_argument("--output", "-o", type=Path, help="write here instead of stdout")

    def handle(self, *args: object, **raw: object) -> None:
        options = Options(raw)
        since = since_value(options.text("since")) if options.text("since") else None
        target = options.path_or_none("output")
        count = 0
        if target is not None:
            partial = target.with_name(target.name + ".partial")
            with partial.open("w", encoding="utf-8") as out:
                for line in export_lines(since=since):
                    out.write(line + "\n")
                    count += 1
            partial.replace(target)
            self.stderr.write(f"Exported {count:,} records to {target}.")
            return
        for line in export_lines(since=since):
            sys.stdout.write(line + "\n")
