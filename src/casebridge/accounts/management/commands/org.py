"""casebridge org create|list|show|update: customer organisations."""

from __future__ import annotations

from functools import partial

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from casebridge.accounts import selectors, services
from casebridge.accounts.schemas import OrganisationOut
from casebridge.core.actors import SYSTEM
from casebridge.core.cli import Options, add_admin_actor_argument, admin_actor_from, print_json, run


def _domains(values: list[str]) -> list[str]:
    """--domain a.example --domain b.example or --domain a.example,b.example."""
    return [d.strip() for v in values for d in v.split(",") if d.strip()]


class Command(BaseCommand):
    help = "Manage customer organisations: their name, slug, mail domains and partners."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="Create an organisation.")
        create.add_argument("name")
        create.add_argument("--slug", default="", help="Its key (default: from the name).")
        create.add_argument(
            "--domain", action="append", default=[], help="Mail domain; repeatable."
        )
        listing = sub.add_parser("list", help="List organisations.")
        show = sub.add_parser("show", help="One organisation with its people and partners.")
        show.add_argument("slug")
        update = sub.add_parser("update", help="Rename, change mail domains or partners.")
        update.add_argument("slug")
        update.add_argument("--name", default=None)
        update.add_argument(
            "--domain", action="append", default=None, help="The mail domains (replace them)."
        )
        update.add_argument(
            "--partner", action="append", default=None, help="The partners (replace them)."
        )
        for verb in (create, listing, show, update):
            verb.add_argument("--json", action="store_true")
        for verb in (create, update):
            add_admin_actor_argument(verb)

    def handle(self, *args: object, **raw: object) -> None:
        options = Options(raw)
        getattr(self, f"_{options['verb']}")(options)

    def _print(self, slug: str, options: Options) -> None:
        out = OrganisationOut.of(selectors.organisation_get_for(SYSTEM, slug), people=True)
        if options.flag("json"):
            print_json(out.model_dump())
            return
        self.stdout.write(f"{out.name} ({out.slug})")
        self.stdout.write(f"  e-mail domains: {', '.join(out.email_domains) or '-'}")
        self.stdout.write(f"  people:         {', '.join(out.members) or '-'}")
        self.stdout.write(f"  partners:       {', '.join(out.partners) or '-'}")

    def _create(self, options: Options) -> None:
        actor = admin_actor_from(options)
        organisation = run(
            lambda: services.organisation_create(
                actor=actor,
                name=options.text("name"),
                slug=options.text("slug"),
                email_domains=_domains(options.texts("domain")),
            )
        )
        if not options.flag("json"):
            self.stdout.write(f"created organisation {organisation.slug}")
        self._print(organisation.slug, options)

    def _list(self, options: Options) -> None:
        rows = selectors.organisation_list_for(SYSTEM).prefetch_related("members", "partners")
        outs = [OrganisationOut.of(o, people=True) for o in rows]
        if options.flag("json"):
            print_json([o.model_dump() for o in outs])
            return
        for o in outs:
            domains = ", ".join(o.email_domains) or "-"
            self.stdout.write(f"{o.slug:<20} {o.name:<30} {domains}")

    def _show(self, options: Options) -> None:
        run(lambda: selectors.organisation_get_for(SYSTEM, options.text("slug")))
        self._print(options.text("slug"), options)

    @transaction.atomic
    def _update(self, options: Options) -> None:
        actor = admin_actor_from(options)
        organisation = run(lambda: selectors.organisation_get_for(SYSTEM, options.text("slug")))
        domains = options.texts_or_none("domain")
        run(
            lambda: services.organisation_update(
                actor=actor,
                organisation=organisation,
                name=options.text_or_none("name"),
                email_domains=_domains(domains) if domains is not None else None,
            )
        )
        if (named := options.texts_or_none("partner")) is not None:
            partners = [
                run(partial(selectors.user_by_username, name, field="partner"))
                for name in _domains(named)
            ]
            run(
                lambda: services.organisation_set_partners(
                    actor=actor, organisation=organisation, partners=partners
                )
            )
        self._print(organisation.slug, options)
