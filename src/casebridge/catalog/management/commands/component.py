"""casebridge component create|update|list: the components of a service."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from casebridge.catalog import selectors, services
from casebridge.catalog.management.commands.service import print_service
from casebridge.core.actors import SYSTEM
from casebridge.core.cli import Options, add_admin_actor_argument, admin_actor_from, print_json, run


class Command(BaseCommand):
    help = "Manage a service's components; a critical one needs an L3+ assignee (policy 4)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="Add a component to a service.")
        create.add_argument("service", help="Service slug.")
        create.add_argument("name")
        create.add_argument("--slug", default="")
        create.add_argument("--critical", action="store_true")
        update = sub.add_parser("update", help="Rename a component or mark it (not) critical.")
        update.add_argument("service", help="Service slug.")
        update.add_argument("component", help="Component slug.")
        update.add_argument("--name", default=None)
        critical = update.add_mutually_exclusive_group()
        critical.add_argument("--critical", dest="critical", action="store_true", default=None)
        critical.add_argument("--not-critical", dest="critical", action="store_false")
        listing = sub.add_parser("list", help="List components (of one service).")
        listing.add_argument("service", nargs="?", default="")
        for verb in (create, update, listing):
            verb.add_argument("--json", action="store_true")
        for verb in (create, update):
            add_admin_actor_argument(verb)

    def handle(self, *args: object, **raw: object) -> None:
        options = Options(raw)
        getattr(self, f"_{options['verb']}")(options)

    def _create(self, options: Options) -> None:
        actor = admin_actor_from(options)
        service = run(lambda: selectors.service_get_for(SYSTEM, options.text("service")))
        run(
            lambda: services.component_create(
                actor=actor,
                service=service,
                name=options.text("name"),
                slug=options.text("slug"),
                critical=options.flag("critical"),
            )
        )
        print_service(self, service.slug, options.flag("json"))

    def _update(self, options: Options) -> None:
        actor = admin_actor_from(options)
        service = run(lambda: selectors.service_get_for(SYSTEM, options.text("service")))
        component = run(lambda: selectors.component_get(service, options.text("component")))
        run(
            lambda: services.component_update(
                actor=actor,
                component=component,
                name=options.text_or_none("name"),
                critical=options.flag_or_none("critical"),
            )
        )
        print_service(self, service.slug, options.flag("json"))

    def _list(self, options: Options) -> None:
        service = (
            run(lambda: selectors.service_get_for(SYSTEM, options.text("service")))
            if options.text("service")
            else None
        )
        rows = [
            {"service": c.service.slug, "slug": c.slug, "name": c.name, "critical": c.critical}
            for c in selectors.component_list(service)
        ]
        if options.flag("json"):
            print_json(rows)
            return
        for r in rows:
            flag = "  [critical]" if r["critical"] else ""
            self.stdout.write(f"{r['service']}/{r['slug']:<24} {r['name']}{flag}")
