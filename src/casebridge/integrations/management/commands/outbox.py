"""casebridge outbox list|retry|discard: dead letters and the state of delivery (administrators)."""

from __future__ import annotations

from collections.abc import Callable
from typing import get_args

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casebridge.accounts.models import User
from casebridge.core.cli import Options, actor_from, add_actor_argument, print_json, run
from casebridge.integrations import selectors, services
from casebridge.integrations.models import OutboxMessage
from casebridge.integrations.schemas import OutboxMessageOut, StateFilter

STATES: list[str] = list(get_args(StateFilter))


class Command(BaseCommand):
    help = "See and act on outbox messages: dead letters by default. Acts as --as USER (admin)."
    requires_system_checks: list[str] = []  # start fast; `casebridge check` runs them

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        listing = sub.add_parser("list", help="List messages (dead letters by default).")
        listing.add_argument("--state", default="dead", choices=STATES)
        listing.add_argument("--destination", default="", help="A webhook's slug or webhook:ID.")
        listing.add_argument("--topic", default="")
        listing.add_argument("--limit", type=int, default=100)
        retry = sub.add_parser("retry", help="Send dead letters again now.")
        retry.add_argument("ids", nargs="*", type=int, help="Message ids.")
        retry.add_argument("--all-dead", action="store_true", help="Every dead letter.")
        retry.add_argument("--destination", default="", help="With --all-dead: only these.")
        discard = sub.add_parser("discard", help="Give up on dead letters.")
        discard.add_argument("ids", nargs="+", type=int, help="Message ids.")
        for verb in sub.choices.values():
            add_actor_argument(verb)
            verb.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: object, **options: object) -> None:
        self.actor: User = actor_from(options)
        opts = Options(options)
        verb = opts.text("verb")
        if verb == "list":
            self._list(opts)
        elif verb == "retry":
            self._retry(opts)
        else:
            self._discard(opts)

    def _list(self, opts: Options) -> None:
        state = "" if opts.text("state") == "all" else opts.text("state")
        found = run(
            lambda: selectors.outbox_list_for(
                self.actor,
                state=state,
                destination=opts.text("destination"),
                topic=opts.text("topic"),
                limit=opts.number("limit"),
            )
        )
        names = selectors.destination_names()
        if opts.flag("json"):
            print_json([OutboxMessageOut.of(m, names).dict() for m in found])
            return
        for m in found:
            where = names.get(m.destination, m.destination) or "-"
            self.stdout.write(
                f"{m.pk:>8} {m.state:<11} {m.topic:<22} {where:<20} {m.attempts:>2} tries  "
                f"{m.last_error[:70]}"
            )
        if not found:
            self.stdout.write(f"no {opts.text('state').replace('_', ' ')} messages")

    def _each(self, change: Callable[..., OutboxMessage], message_id: int) -> int:
        message = run(lambda: selectors.outbox_get_for(self.actor, message_id))
        return run(lambda: change(actor=self.actor, message=message)).pk

    def _retry(self, opts: Options) -> None:
        if opts.flag("all_dead") == bool(opts.numbers("ids")):
            raise CommandError("Give message ids or --all-dead (not both).", returncode=2)
        if opts.flag("all_dead"):
            destination = selectors.address_of(opts.text("destination"))
            count = run(
                lambda: services.outbox_retry_dead(actor=self.actor, destination=destination)
            )
            self._say(opts, {"retried": count}, f"{count} dead letters queued again")
            return
        done = [self._each(services.outbox_retry, m) for m in opts.numbers("ids")]
        self._say(opts, {"retried": done}, f"queued again: {', '.join(map(str, done))}")

    def _discard(self, opts: Options) -> None:
        done = [self._each(services.outbox_discard, m) for m in opts.numbers("ids")]
        self._say(opts, {"discarded": done}, f"discarded: {', '.join(map(str, done))}")

    def _say(self, opts: Options, data: dict[str, object], text: str) -> None:
        if opts.flag("json"):
            print_json(data)
        else:
            self.stdout.write(text)
