"""casebridge team create|list|show|update|add-member|remove-member."""

from __future__ import annotations

from functools import partial

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from casebridge.accounts import selectors, services
from casebridge.accounts.models import TeamKind
from casebridge.accounts.schemas import TeamOut
from casebridge.core.actors import SYSTEM
from casebridge.core.cli import Options, add_admin_actor_argument, admin_actor_from, print_json, run


class Command(BaseCommand):
    help = "Manage development and DevOps teams and their members."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="Create a team.")
        create.add_argument("name")
        create.add_argument("--kind", choices=TeamKind.values, default=TeamKind.DEVELOPMENT)
        create.add_argument("--member", action="append", default=[], help="Username; repeatable.")
        listing = sub.add_parser("list", help="List teams with their members.")
        show = sub.add_parser("show", help="One team.")
        show.add_argument("team", help="Team slug.")
        update = sub.add_parser("update", help="Rename a team or change its kind.")
        update.add_argument("team", help="Team slug.")
        update.add_argument("--name", default=None)
        update.add_argument("--kind", choices=TeamKind.values, default=None)
        add = sub.add_parser("add-member", help="Add people to a team.")
        remove = sub.add_parser("remove-member", help="Take people out of a team.")
        for verb in (add, remove):
            verb.add_argument("team", help="Team slug.")
            verb.add_argument("username", nargs="+")
        for verb in (create, listing, show, update, add, remove):
            verb.add_argument("--json", action="store_true")
        for verb in (create, update, add, remove):
            add_admin_actor_argument(verb)

    def handle(self, *args: object, **raw: object) -> None:
        options = Options(raw)
        getattr(self, f"_{options.text('verb').replace('-', '_')}")(options)

    def _print(self, slug: str, options: Options) -> None:
        out = TeamOut.of(selectors.team_get_for(SYSTEM, slug))
        if options.flag("json"):
            print_json(out.model_dump())
        else:
            self.stdout.write(f"{out.slug:<20} {out.kind:<12} {', '.join(out.members) or '-'}")

    def _create(self, options: Options) -> None:
        actor = admin_actor_from(options)
        members = [
            run(partial(selectors.user_by_username, name, field="member"))
            for name in options.texts("member")
        ]
        team = run(
            lambda: services.team_create(
                actor=actor, name=options.text("name"), kind=options.text("kind"), members=members
            )
        )
        if not options.flag("json"):
            self.stdout.write(f"created team {team.slug}")
        self._print(team.slug, options)

    def _list(self, options: Options) -> None:
        outs = [TeamOut.of(t) for t in selectors.team_list_for(SYSTEM)]
        if options.flag("json"):
            print_json([o.model_dump() for o in outs])
            return
        for o in outs:
            self.stdout.write(f"{o.slug:<20} {o.kind:<12} {', '.join(o.members) or '-'}")

    def _show(self, options: Options) -> None:
        team = run(lambda: selectors.team_get_for(SYSTEM, options.text("team")))
        self._print(team.slug, options)

    def _update(self, options: Options) -> None:
        actor = admin_actor_from(options)
        team = run(lambda: selectors.team_get_for(SYSTEM, options.text("team")))
        run(
            lambda: services.team_update(
                actor=actor,
                team=team,
                name=options.text_or_none("name"),
                kind=options.text_or_none("kind"),
            )
        )
        self._print(team.slug, options)

    @transaction.atomic
    def _add_member(self, options: Options) -> None:
        actor = admin_actor_from(options)
        team = run(lambda: selectors.team_get_for(SYSTEM, options.text("team")))
        for name in options.texts("username"):
            user = run(partial(selectors.user_by_username, name, field="username"))
            run(partial(services.team_member_add, actor=actor, team=team, user=user))
        self._print(team.slug, options)

    @transaction.atomic
    def _remove_member(self, options: Options) -> None:
        actor = admin_actor_from(options)
        team = run(lambda: selectors.team_get_for(SYSTEM, options.text("team")))
        for name in options.texts("username"):
            user = run(partial(selectors.user_by_username_any, name))
            run(partial(services.team_member_remove, actor=actor, team=team, user=user))
        self._print(team.slug, options)
