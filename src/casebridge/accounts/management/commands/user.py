"""casebridge user create|list|show|update|deactivate|token|revoke."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casebridge.accounts import selectors, services
from casebridge.accounts.models import Level, Organisation, Role, User
from casebridge.accounts.schemas import UserOut
from casebridge.core.cli import Options, add_admin_actor_argument, admin_actor_from, print_json, run


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
        listing.add_argument("--all", action="store_true", help="Deactivated users too.")
        show = sub.add_parser("show", help="One user.")
        show.add_argument("username")
        update = sub.add_parser("update", help="Change a user's profile, roles, level, org.")
        update.add_argument("username")
        update.add_argument("--email", default=None)
        update.add_argument("--name", default=None, help="Full name.")
        update.add_argument(
            "--role", action="append", default=None, choices=Role.values, help="Replaces roles."
        )
        update.add_argument("--level", choices=[*Level.values, ""], default=None)
        update.add_argument("--org", default=None, help="Organisation slug; '' for none.")
        active = update.add_mutually_exclusive_group()
        active.add_argument("--activate", dest="active", action="store_true", default=None)
        active.add_argument("--deactivate", dest="active", action="store_false")
        deactivate = sub.add_parser("deactivate", help="No more sign-in nor token use.")
        deactivate.add_argument("username")
        token = sub.add_parser("token", help="Create an API token; prints it once.")
        token.add_argument("username")
        token.add_argument("--name", default="cli")
        token.add_argument("--scope", choices=["read", "write"], default="read")
        token.add_argument("--days", type=int, default=None)
        revoke = sub.add_parser("revoke", help="Revoke a token by its prefix.")
        revoke.add_argument("username")
        revoke.add_argument("prefix")
        tokens = sub.add_parser("tokens", help="List a user's tokens.")
        tokens.add_argument("username")
        for verb in (create, listing, show, update, deactivate, token, tokens, revoke):
            verb.add_argument("--json", action="store_true")
        for verb in (create, update, deactivate, token, revoke):
            add_admin_actor_argument(verb)

    def handle(self, *args: object, **raw: object) -> None:
        options = Options(raw)
        getattr(self, f"_{options['verb']}")(options)

    def _create(self, options: Options) -> None:
        organisation = (
            run(lambda: selectors.organisation_by_slug(options.text("org"), field="org"))
            if options.text("org")
            else None
        )
        password = sys.stdin.readline().rstrip("\n") if options.flag("password_stdin") else None
        first, _, last = options.text("name").partition(" ")
        actor = admin_actor_from(options)
        user = run(
            lambda: services.user_create(
                actor=actor,
                username=options.text("username"),
                email=options.text("email"),
                roles=options.texts("role"),
                level=options.text("level"),
                organisation=organisation,
                password=password,
                first_name=first,
                last_name=last,
            )
        )
        secret = ""
        if options.flag("token"):
            _, secret = run(
                lambda: services.token_create(actor=actor, user=user, name="cli", scope="write")
            )
        if options.flag("json"):
            print_json({**self._out(user.username), **({"token": secret} if secret else {})})
            return
        self.stdout.write(f"created {user.username} ({', '.join(options.texts('role'))})")
        if secret:
            self.stdout.write(f"token (shown once, store it now): {secret}")

    def _out(self, username: str) -> dict[str, object]:
        return UserOut.of(selectors.user_admin_get(None, username)).model_dump()

    def _list(self, options: Options) -> None:
        users = list(
            selectors.user_admin_list(
                None, role=options.text("role"), include_inactive=options.flag("all")
            )
        )
        if options.flag("json"):
            print_json([UserOut.of(u).model_dump() for u in users])
            return
        for u in users:
            level = f" {u.level}" if u.level else ""
            inactive = "" if u.is_active else " (inactive)"
            self.stdout.write(f"{u.username:<20} {','.join(sorted(u.roles))}{level}{inactive}")

    def _show(self, options: Options) -> None:
        self._user(options.text("username"))
        out = self._out(options.text("username"))
        if options.flag("json"):
            print_json(out)
            return
        for key, value in out.items():
            shown = ", ".join(value) if isinstance(value, list) else value
            self.stdout.write(f"{key + ':':<14} {shown if shown not in (None, '') else '-'}")

    def _update(self, options: Options) -> None:
        actor = admin_actor_from(options)
        user = self._user(options.text("username"))
        organisation: Organisation | object | None = services.UNSET
        if options.text_or_none("org") is not None:
            organisation = (
                run(lambda: selectors.organisation_by_slug(options.text("org"), field="org"))
                if options.text("org")
                else None
            )
        first: str | None = None
        last: str | None = None
        if (name := options.text_or_none("name")) is not None:
            first, _, last = name.partition(" ")
        run(
            lambda: services.user_update(
                actor=actor,
                user=user,
                email=options.text_or_none("email"),
                first_name=first,
                last_name=last,
                roles=options.texts_or_none("role"),
                level=options.text_or_none("level"),
                organisation=organisation,
                active=options.flag_or_none("active"),
            )
        )
        self._report(user.username, options, "updated")

    def _deactivate(self, options: Options) -> None:
        actor = admin_actor_from(options)
        user = self._user(options.text("username"))
        run(lambda: services.user_deactivate(actor=actor, user=user))
        self._report(user.username, options, "deactivated")

    def _report(self, username: str, options: Options, done: str) -> None:
        if options.flag("json"):
            print_json(self._out(username))
        else:
            self.stdout.write(f"{done} {username}")

    def _tokens(self, options: Options) -> None:
        user = self._user(options.text("username"))
        tokens = list(selectors.tokens_of(None, user))
        rows = [
            {
                "prefix": t.prefix,
                "name": t.name,
                "scope": t.scope,
                "created_at": t.created_at,
                "expires_at": t.expires_at,
                "revoked_at": t.revoked_at,
                "last_used_at": t.last_used_at,
            }
            for t in tokens
        ]
        if options.flag("json"):
            print_json(rows)
            return
        for t in tokens:
            state = (
                f"revoked {t.revoked_at:%Y-%m-%d}"
                if t.revoked_at
                else f"expires {t.expires_at:%Y-%m-%d}"
            )
            self.stdout.write(f"{t.prefix}…  {t.name:<20} {t.scope:<5} {state}")

    def _user(self, username: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user '{username}'.", returncode=2)
        return user

    def _token(self, options: Options) -> None:
        user = self._user(options.text("username"))
        actor = admin_actor_from(options)
        token, secret = run(
            lambda: services.token_create(
                actor=actor,
                user=user,
                name=options.text("name"),
                scope=options.text("scope"),
                expires_in_days=options.number_or_none("days"),
            )
        )
        if options.flag("json"):
            print_json(
                {
                    "prefix": token.prefix,
                    "scope": token.scope,
                    "expires_at": token.expires_at,
                    "token": secret,
                }
            )
            return
        self.stdout.write(f"{options.text('scope')} token, expires {token.expires_at:%Y-%m-%d}:")
        self.stdout.write(secret)

    def _revoke(self, options: Options) -> None:
        user = self._user(options.text("username"))
        token = run(lambda: selectors.token_get_for(user, options.text("prefix")))
        run(lambda: services.token_revoke(actor=admin_actor_from(options), token=token))
        if options.flag("json"):
            print_json({"prefix": token.prefix, "revoked_at": token.revoked_at})
            return
        self.stdout.write(f"revoked {token.prefix}")
