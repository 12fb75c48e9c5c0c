"""casebridge service create|list|show|update: the service catalogue."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from casebridge.accounts.selectors import team_by_slug
from casebridge.catalog import selectors, services
from casebridge.catalog.schemas import ServiceOut
from casebridge.core.actors import SYSTEM
from casebridge.core.cli import Options, add_admin_actor_argument, admin_actor_from, print_json, run


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

    def handle(self, *args: object, **raw: object) -> None:
        options = Options(raw)
        getattr(self, f"_{options['verb']}")(options)

    def _create(self, options: Options) -> None:
        actor = admin_actor_from(options)
        owner = options.text("owner_team")
        team = run(lambda: team_by_slug(owner, field="owner_team")) if owner else None
        components = [(name, False) for name in options.texts("component")]
        components += [(name, True) for name in options.texts("critical")]
        service = run(
            lambda: services.service_create(
                actor=actor,
                name=options.text("name"),
                slug=options.text("slug"),
                description=options.text("description"),
                owner_team=team,
                components=components,
            )
        )
        if not options.flag("json"):
            self.stdout.write(f"created service {service.slug}")
        print_service(self, service.slug, options.flag("json"))

    def _list(self, options: Options) -> None:
        outs = [ServiceOut.of(s) for s in selectors.service_list()]
        if options.flag("json"):
            print_json([o.model_dump() for o in outs])
            return
        for o in outs:
            names = ", ".join(c.name + ("*" if c.critical else "") for c in o.components)
            self.stdout.write(f"{o.slug:<20} {o.owner_team or '-':<16} {names or '-'}")

    def _show(self, options: Options) -> None:
        run(lambda: selectors.service_get_for(SYSTEM, options.text("slug")))
        print_service(self, options.text("slug"), options.flag("json"))

    def _update(self, options: Options) -> None:
        actor = admin_actor_from(options)
        service = run(lambda: selectors.service_get_for(SYSTEM, options.text("slug")))
        owner: object = services.KEEP
        if options.text_or_none("owner_team") is not None:
            slug = options.text_or_none("owner_team")
            owner = run(lambda: team_by_slug(slug, field="owner_team")) if slug else None
        run(
            lambda: services.service_update(
                actor=actor,
                service=service,
                name=options.text_or_none("name"),
                description=options.text_or_none("description"),
                owner_team=owner,
            )
        )
        print_service(self, service.slug, options.flag("json"))
