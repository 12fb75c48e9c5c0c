"""casebridge invite USERNAME: e-mail a person a link to choose their password (admins)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from casebridge.accounts.invitations import user_for_invitation, user_invite
from casebridge.core.cli import Options, actor_from, add_actor_argument, print_json, run


class Command(BaseCommand):
    help = "E-mail a user an invitation with a link to choose their password (acts as --as)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        add_actor_argument(parser)
        parser.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: object, **raw: object) -> None:
        options = Options(raw)
        actor = actor_from(options)
        user = run(lambda: user_for_invitation(actor, options.text("username")))
        address = run(lambda: user_invite(actor=actor, user=user))
        if options.flag("json"):
            print_json({"username": user.username, "sent_to": address})
        else:
            self.stdout.write(f"invitation for {user.username} written to {address}")
