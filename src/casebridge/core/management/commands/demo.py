"""casebridge demo: load the realistic demo data set (once)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from casebridge.accounts.models import User
from casebridge.core.cli import Options
from casebridge.core.text import plural


class Command(BaseCommand):
    help = "Load demo data: services, a user for every role and level, ~200 cases with history."
    requires_system_checks: list[str] = []  # start fast; `casebridge check` runs them

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, default=200)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args: object, **raw: object) -> None:
        options = Options(raw)
        from casebridge.demo.build import load_demo  # noqa: PLC0415 - the demo builder (every app) loads only when asked for

        if User.objects.exists():
            self.stdout.write("The database already has users; demo data not loaded again.")
            return
        counts = load_demo(cases=options.number("cases"), seed=options.number("seed"))
        summary = ", ".join(f"{n} {state}" for state, n in counts.items())
        self.stdout.write(f"Demo loaded: {plural(sum(counts.values()), 'case')} ({summary}).")
