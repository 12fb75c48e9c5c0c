"""casebridge user create|list|token|revoke."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casebridge.accounts import selectors, services
from casebridge.accounts.models import Level, Role, User
from casebridge.core.actors import SYSTEM
from casebridge.core.cli import print_json, run


class Command(BaseCommand):
    help = "Manage users and their API tokens (as the server's operator)."
    requires_system_checks: list[str] = []  # start fast; `casebridge check` runs them

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="Create a user.")
        create.add_argument("username")
        create.add_argument("--email", required=True)
        create.add_argument(
            "--role", action="append", required=True, choices=Role.values, help="Repeatable."
        )
        create.add_argument("--level", choices=Level.values, default="")
        create.add_argument("--org", default="", help="Organisation slug (customers, partners).")
        create.add_argument("--name", default="", help="Full name.")
        create.add_argument(
            "--password-stdin", action="store_true", help="Read a password from standard input."
        )
        create.add_argument("--token", action="store_true", help="Also create a write token.")
        listing = sub.add_parser("list", help="List users.")
        listing.add_argument("--role", default="")
        listing.add_argument("--json", action="store_true")
        token = sub.add_parser("token", help="Create an API token; prints it once.")
        token.add_argument("username")
        token.add_argument("--name", default="cli")
        token.add_argument("--scope", choices=["read", "write"], default="read")
        token.add_argument("--days", type=int, default=None)
        revoke = sub.add_parser("revoke", help="Revoke a token by its prefix.")
        revoke.add_argument("username")
        revoke.add_argument("prefix")

    def handle(self, *args: object, **options: object) -> None:
        getattr(self, f"_{options['verb']}")(options)

    def _create(self, options: dict[str, Any]) -> None:
        organisation = (
            run(lambda: selectors.organisation_by_slug(options["org"], field="org"))
            if options["org"]
            else None
        )
        password = sys.stdin.readline().rstrip("\n") if options["password_stdin"] else None
        first, _, last = options["name"].partition(" ")
        user = run(
            lambda: services.user_create(
                actor=None,
                username=options["username"],
                email=options["email"],
                roles=options["role"],
                level=options["level"],
                organisation=organisation,
                password=password,
                first_name=first,
                last_name=last,
            )
        )
        self.stdout.write(f"created {user.username} ({', '.join(options['role'])})")
        if options["token"]:
            _, secret = run(
                lambda: services.token_create(actor=None, user=user, name="cli", scope="write")
            )
            self.stdout.write(f"token (shown once, store it now): {secret}")

    def _list(self, options: dict[str, Any]) -> None:
        users = list(selectors.user_list_for(SYSTEM, role=options["role"]))
        if options["json"]:
            print_json(
                [
                    {
                        "username": u.username,
                        "email": u.email,
                        "roles": sorted(u.roles),
                        "level": u.level or None,
                    }
                    for u in users
                ]
            )
            return
        for u in users:
            level = f" {u.level}" if u.level else ""
            self.stdout.write(f"{u.username:<20} {','.join(sorted(u.roles))}{level}")

    def _user(self, username: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user '{username}'.", returncode=2)
        return user

    def _token(self, options: dict[str, Any]) -> None:
        user = self._user(options["username"])
        token, secret = run(
            lambda: services.token_create(
                actor=None,
                user=user,
                name=options["name"],
                scope=options["scope"],
                expires_in_days=options["days"],
            )
        )
        self.stdout.write(f"{options['scope']} token, expires {token.expires_at:%Y-%m-%d}:")
        self.stdout.write(secret)

    def _revoke(self, options: dict[str, Any]) -> None:
        user = self._user(options["username"])
        token = run(lambda: selectors.token_get_for(user, options["prefix"]))
        run(lambda: services.token_revoke(actor=None, token=token))
        self.stdout.write(f"revoked {token.prefix}")
