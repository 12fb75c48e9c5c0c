"""casebridge sso mapping list|add|remove: the single sign-on group mapping."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from casebridge.accounts import sso
from casebridge.accounts.models import Level, Role, SsoGroupMapping
from casebridge.core.cli import Options, print_json, run


class Command(BaseCommand):
    help = "Map identity provider groups to roles, levels and organisations (single sign-on)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        mapping = sub.add_parser("mapping", help="The group mapping.")
        verbs = mapping.add_subparsers(dest="verb", required=True)
        listing = verbs.add_parser("list", help="List the mapped groups.")
        listing.add_argument("--json", action="store_true")
        add = verbs.add_parser("add", help="Map a group.")
        add.add_argument("group")
        add.add_argument("--role", required=True, choices=Role.values)
        add.add_argument("--level", choices=Level.values, default="")
        add.add_argument("--org", default="", help="Organisation slug (customer groups).")
        remove = verbs.add_parser("remove", help="Stop mapping a group.")
        remove.add_argument("group")

    def handle(self, *args: object, **raw: object) -> None:
        options = Options(raw)
        verb = options["verb"]
        if verb == "add":
            row = run(
                lambda: sso.mapping_add(
                    actor=None,
                    group=options.text("group"),
                    role=options.text("role"),
                    level=options.text("level"),
                    organisation=options.text("org"),
                )
            )
            self.stdout.write(f"Group '{row.group}' maps to {row.role}.")
        elif verb == "remove":
            run(lambda: sso.mapping_remove(actor=None, group=options.text("group")))
            self.stdout.write(f"Group '{options.text('group')}' is no longer mapped.")
        else:
            rows = [
                {
                    "group": m.group,
                    "role": m.role,
                    "level": m.level,
                    "organisation": m.organisation.slug if m.organisation else "",
                }
                for m in SsoGroupMapping.objects.select_related("organisation")
            ]
            if options.flag("json"):
                print_json(rows)
                return
            for r in rows:
                self.stdout.write(
                    f"{r['group']:<40} {r['role']:<16} {r['level'] or '-':<3} {r['organisation']}"
                )
