"""casebridge notifications list|read|watch|unwatch|watches|digest: a person's notifications
and what they watch (acting as --as USER, who sees only their own)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casebridge.core.cli import actor_from, add_actor_argument, print_json, run
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

    def handle(self, *args: Any, **options: Any) -> None:
        verb = options["verb"]
        self.actor = None if verb == "digest" else actor_from(options)
        getattr(self, f"_{verb}")(options)

    def _list(self, options: dict[str, Any]) -> None:
        if not 1 <= options["limit"] <= 500:
            raise CommandError("--limit: between 1 and 500.", returncode=2)
        notes = list(
            notifications.notifications_for(self.actor, unread_only=options["unread"])[
                : options["limit"]
            ]
        )
        if options["json"]:
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

    def _read(self, options: dict[str, Any]) -> None:
        if options["all"] == bool(options["ids"]):
            raise CommandError("Give notification ids or --all (not both).", returncode=2)
        ids = None if options["all"] else options["ids"]
        count = notifications.notifications_mark_read(viewer=self.actor, ids=ids)
        self._say(options, {"marked": count}, f"{plural(count, 'notification')} marked read")

    def _watch(self, options: dict[str, Any], on: bool = True) -> None:
        changed = run(
            lambda: watching.watch_set(
                actor=self.actor,
                subject_type=options["subject_type"],
                key=options["key"][:64],
                watching=on,
            )
        )
        key = options["key"].upper()
        text = ("watching " if on else "not watching ") + key + ("" if changed else " (already)")
        self._say(options, {"key": key, "watching": on, "changed": changed}, text)

    def _unwatch(self, options: dict[str, Any]) -> None:
        self._watch(options, on=False)

    def _watches(self, options: dict[str, Any]) -> None:
        found = watching.watched_by(self.actor)
        if options["json"]:
            print_json([{"subject_type": t, "key": k} for t, k in found])
            return
        for subject_type, key in found:
            self.stdout.write(f"{subject_type:<10} {key}")
        if not found:
            self.stdout.write("watching nothing")

    def _digest(self, options: dict[str, Any]) -> None:
        count = notifications.digests_send(limit=options["limit"])
        self._say(options, {"digests": count}, f"{plural(count, 'digest')} written")

    def _say(self, options: dict[str, Any], data: dict[str, Any], text: str) -> None:
        if options["json"]:
            print_json(data)
        else:
            self.stdout.write(text)
