"""casebridge gate show|set: what each category needs before a case is escalated."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from casebridge.core.cli import Options, add_admin_actor_argument, admin_actor_from, print_json, run
from casebridge.workitems.documentation import ITEMS, requirements_for
from casebridge.workitems.models import Category
from casebridge.workitems.services import escalation_requirements_set


def _codes(values: list[str]) -> list[str]:
    return [c.strip() for v in values for c in v.split(",") if c.strip()]


class Command(BaseCommand):
    help = (
        "Show or set the escalation gate: the documentation each category needs. Items: "
        + ", ".join(ITEMS)
        + "."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        show = sub.add_parser("show", help="The requirements of every (or one) category.")
        show.add_argument("category", nargs="?", choices=["", *Category.values], default="")
        change = sub.add_parser(
            "set", help="e.g. `gate set feature --require justification,impact_assessment`."
        )
        change.add_argument("category", choices=Category.values)
        change.add_argument(
            "--require", action="append", default=[], help="Item codes (replace the list)."
        )
        for verb in (show, change):
            verb.add_argument("--json", action="store_true")
        add_admin_actor_argument(change)

    def handle(self, *args: object, **raw: object) -> None:
        options = Options(raw)
        if options["verb"] == "set":
            actor = admin_actor_from(options)
            run(
                lambda: escalation_requirements_set(
                    actor=actor,
                    category=options.text("category"),
                    required=_codes(options.texts("require")),
                )
            )
        categories = [options.text("category")] if options.text("category") else Category.values
        gate = {c: [item.code for item in requirements_for(c)] for c in categories}
        if options.flag("json"):
            print_json(gate)
            return
        for category, codes in gate.items():
            self.stdout.write(f"{category:<12} {', '.join(codes) or '(nothing required)'}")
