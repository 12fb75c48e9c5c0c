"""casebridge notifications list|read|watch|unwatch|watches|digest: a person's notifications
and what they watch (acting as --as USER, who sees only their own)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casebridge.accounts.models import User
from casebridge.core.cli import Options, actor_from, add_actor_argument, print_json, run
from casebridge.core.text import plural
from casebridge.integrations import notifications, watching
from casebridge.integrations.models import WatchSubject

SUBJECTS = [s.value for s in WatchSubject]


class Command(BaseCommand):
    help = "Your notifications and watches (acts as --as USER); `digest` sends due digests."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        listing = sub.add_parser("list", help="Your notifications, newest first.")
        listing.add_argument("--unread", action="store_true", help="Only unread ones.")
        listing.add_argument("--limit", type=int, default=50)
        read = sub.add_parser("read", help="Mark notifications read.")
        read.add_argument("ids", nargs="*", type=int, help="Notification ids.")
        read.add_argument("--all", action="store_true", help="Every unread notification.")
        for name in ("watch", "unwatch"):
            one = sub.add_parser(name, help=f"{name.capitalize()} a case, work item or incident.")
            one.add_argument("subject_type", choices=SUBJECTS)
            one.add_argument("key", help="CB-12, BUG-3, INC-4 ...")
        sub.add_parser("watches", help="What you watch.")
        digest = sub.add_parser("digest", help="Send the daily digests that are due now.")
        digest.add_argument("--limit", type=int, default=500)
        for parser_of in sub.choices.values():
            if parser_of is not digest:
                add_actor_argument(parser_of)
            parser_of.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: object, **options: object) -> None:
        opts = Options(options)
        verb = opts.text("verb")
        if verb == "digest":
            self._digest(opts)
            return
        actor: User = actor_from(options)
        if verb == "list":
            self._list(actor, opts)
        elif verb == "read":
            self._read(actor, opts)
        elif verb in ("watch", "unwatch"):
            self._watch(actor, opts, on=verb == "watch")
        else:
            self._watches(actor, opts)

    def _list(self, actor: User, opts: Options) -> None:
        limit = opts.number("limit")
        if not 1 <= limit <= 500:
            raise CommandError("--limit: between 1 and 500.", returncode=2)
        notes = list(
            notifications.notifications_for(actor, unread_only=opts.flag("unread"))[:limit]
        )
        if opts.flag("json"):
            print_json(
                [
                    {
                        "id": n.pk,
                        "kind": n.kind,
                        "subject": n.subject_key,
                        "message": n.message,
                        "url": n.url,
                        "created_at": n.created_at,
                        "read": n.read_at is not None,
                    }
                    for n in notes
                ]
            )
            return
        for n in notes:
            mark = " " if n.read_at else "*"
            self.stdout.write(f"{mark} {n.pk:>8} {n.created_at:%Y-%m-%d %H:%M} {n.message}")
        if not notes:
            self.stdout.write("no notifications")

    def _read(self, actor: User, opts: Options) -> None:
        every, given = opts.flag("all"), opts.numbers("ids")
        if every == bool(given):
            raise CommandError("Give notification ids or --all (not both).", returncode=2)
        count = notifications.notifications_mark_read(viewer=actor, ids=None if every else given)
        self._say(opts, {"marked": count}, f"{plural(count, 'notification')} marked read")

    def _watch(self, actor: User, opts: Options, *, on: bool) -> None:
        key = opts.text("key")
        changed = run(
            lambda: watching.watch_set(
                actor=actor, subject_type=opts.text("subject_type"), key=key[:64], watching=on
            )
        )
        key = key.upper()
        text = ("watching " if on else "not watching ") + key + ("" if changed else " (already)")
        self._say(opts, {"key": key, "watching": on, "changed": changed}, text)

    def _watches(self, actor: User, opts: Options) -> None:
        found = watching.watched_by(actor)
        if opts.flag("json"):
            print_json([{"subject_type": t, "key": k} for t, k in found])
            return
        for subject_type, key in found:
            self.stdout.write(f"{subject_type:<10} {key}")
        if not found:
            self.stdout.write("watching nothing")

    def _digest(self, opts: Options) -> None:
        count = notifications.digests_send(limit=opts.number("limit"))
        self._say(opts, {"digests": count}, f"{plural(count, 'digest')} written")

    def _say(self, opts: Options, data: dict[str, object], text: str) -> None:
        if opts.flag("json"):
            print_json(data)
        else:
            self.stdout.write(text)
