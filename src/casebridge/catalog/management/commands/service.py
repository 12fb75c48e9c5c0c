"""casebridge service create|list|show|update: the service catalogue."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from casebridge.accounts.selectors import team_by_slug
from casebridge.catalog import selectors, services
from casebridge.catalog.schemas import ServiceOut
from casebridge.core.actors import SYSTEM
from casebridge.core.cli import add_admin_actor_argument, admin_actor_from, print_json, run


def print_service(command: BaseCommand, slug: str, as_json: bool) -> None:
    out = ServiceOut.of(selectors.service_get_for(SYSTEM, slug))
    if as_json:
        print_json(out.model_dump())
        return
    command.stdout.write(f"{out.name} ({out.slug}), owner team: {out.owner_team or '-'}")
    for c in out.components:
        command.stdout.write(f"  {c.slug:<24} {c.name}{'  [critical]' if c.critical else ''}")


class Command(BaseCommand):
    help = "Manage services: their owner team and components (see also `casebridge component`)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="Create a service.")
        create.add_argument("name")
        create.add_argument("--slug", default="")
        create.add_argument("--description", default="")
        create.add_argument("--owner-team", default="", help="Team slug.")
        create.add_argument(
            "--component", action="append", default=[], help="A component's name; repeatable."
        )
        create.add_argument(
            "--critical", action="append", default=[], help="A critical component's name."
        )
        listing = sub.add_parser("list", help="List services with their components.")
        show = sub.add_parser("show", help="One service.")
        show.add_argument("slug")
        update = sub.add_parser("update", help="Rename, describe or change the owner team.")
        update.add_argument("slug")
        update.add_argument("--name", default=None)
        update.add_argument("--description", default=None)
        update.add_argument("--owner-team", default=None, help="Team slug; '' for none.")
        for verb in (create, listing, show, update):
            verb.add_argument("--json", action="store_true")
        for verb in (create, update):
            add_admin_actor_argument(verb)

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['verb']}")(options)

    def _create(self, options: dict[str, Any]) -> None:
        actor = admin_actor_from(options)
        owner = options["owner_team"]
        team = run(lambda: team_by_slug(owner, field="owner_team")) if owner else None
        components = [(name, False) for name in options["component"]]
        components += [(name, True) for name in options["critical"]]
        service = run(
            lambda: services.service_create(
                actor=actor,
                name=options["name"],
                slug=options["slug"],
                description=options["description"],
                owner_team=team,
                components=components,
            )
        )
        if not options["json"]:
            self.stdout.write(f"created service {service.slug}")
        print_service(self, service.slug, options["json"])

    def _list(self, options: dict[str, Any]) -> None:
        outs = [ServiceOut.of(s) for s in selectors.service_list()]
        if options["json"]:
            print_json([o.model_dump() for o in outs])
            return
        for o in outs:
            names = ", ".join(c.name + ("*" if c.critical else "") for c in o.components)
            self.stdout.write(f"{o.slug:<20} {o.owner_team or '-':<16} {names or '-'}")

    def _show(self, options: dict[str, Any]) -> None:
        run(lambda: selectors.service_get_for(SYSTEM, options["slug"]))
        print_service(self, options["slug"], options["json"])

    def _update(self, options: dict[str, Any]) -> None:
        actor = admin_actor_from(options)
        service = run(lambda: selectors.service_get_for(SYSTEM, options["slug"]))
        owner: object = services.KEEP
        if options["owner_team"] is not None:
            slug = options["owner_team"]
            owner = run(lambda: team_by_slug(slug, field="owner_team")) if slug else None
        run(
            lambda: services.service_update(
                actor=actor,
                service=service,
                name=options["name"],
                description=options["description"],
                owner_team=owner,
            )
        )
        print_service(self, service.slug, options["json"])
