"""casebridge reports rebuild-rollup [--from DAY] [--to DAY]: recompute the support report's
rollup (every case, or the cases created, resolved or escalated from one day to another). An
operator's command, like ``migrate``: run it once after upgrading; the worker keeps the rollup
current from then on. Idempotent."""

from __future__ import annotations

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casebridge.reporting.rollup import rollup_rebuild


def _day(text: object, name: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(str(text))
    except ValueError as exc:
        raise CommandError(f"--{name}: not a day like 2026-11-30 ({text})", returncode=2) from exc


class Command(BaseCommand):
    help = "Support report: rebuild-rollup (recompute the daily rollup)."

    def add_arguments(self, parser: CommandParser) -> None:
        verbs = parser.add_subparsers(dest="verb", required=True)
        rebuild = verbs.add_parser(
            "rebuild-rollup", help="Recompute the rollup of every case, or of a range of days."
        )
        rebuild.add_argument("--from", dest="start", help="First day (YYYY-MM-DD).")
        rebuild.add_argument("--to", dest="end", help="Last day, included (YYYY-MM-DD).")
        rebuild.add_argument("--json", action="store_true", help="Print the counts as JSON.")

    def handle(self, *args: object, **options: object) -> None:
        start, end = _day(options.get("start"), "from"), _day(options.get("end"), "to")
        if start and end and start > end:
            raise CommandError("--from: the first day must not come after --to", returncode=2)
        done = rollup_rebuild(start=start, end=end)
        if options.get("json"):
            self.stdout.write(json.dumps(done))
        else:
            self.stdout.write(
                f"Rollup rebuilt: {done['cases']} cases, {done['days']} days, {done['rows']} rows."
            )
