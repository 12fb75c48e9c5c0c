"""casebridge webhook add|list|remove|test|route|unroute: Slack, Teams and generic webhook
destinations and their routes. Acts as --as USER (an administrator)."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casebridge.accounts.models import User
from casebridge.core.cli import Options, actor_from, add_actor_argument, print_json, run
from casebridge.integrations import selectors
from casebridge.integrations.models import WebhookKind
from casebridge.integrations.notices import SEVERITIES
from casebridge.integrations.schemas import RouteOut, WebhookOut
from casebridge.integrations.webhooks import services


class Command(BaseCommand):
    help = "Manage Slack, Teams and generic webhook destinations and their routes."
    requires_system_checks: list[str] = []  # start fast; `casebridge check` runs them

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        add = sub.add_parser(
            "add", help="Add a destination (a generic one prints its secret once)."
        )
        add.add_argument("--kind", required=True, choices=WebhookKind.values)
        add.add_argument("--name", required=True)
        add.add_argument("--slug", default="", help="Default: from the name.")
        where = add.add_mutually_exclusive_group(required=True)
        where.add_argument("--url", help="The webhook URL (it holds a credential).")
        where.add_argument(
            "--url-stdin", action="store_true", help="Read the URL from standard input instead."
        )
        sub.add_parser("list", help="List destinations with their routes.")
        remove = sub.add_parser(
            "remove", help="Remove a destination; what waits for it is discarded."
        )
        remove.add_argument("slug")
        test = sub.add_parser("test", help="Post a test notice now and print the answer.")
        test.add_argument("slug")
        route = sub.add_parser("route", help="Route events to a destination.")
        route.add_argument("slug")
        route.add_argument("--topic", required=True, help="incident.declared, incident.* or *")
        route.add_argument("--service", action="append", default=[], help="Repeatable.")
        route.add_argument("--team", action="append", default=[], help="Repeatable.")
        route.add_argument(
            "--severity", action="append", default=[], choices=SEVERITIES, help="Repeatable."
        )
        unroute = sub.add_parser("unroute", help="Remove a route.")
        unroute.add_argument("slug")
        unroute.add_argument("route", type=int, help="The route's id (see list).")
        for verb in sub.choices.values():
            add_actor_argument(verb)
            verb.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: object, **options: object) -> None:
        self.actor: User = actor_from(options)
        opts = Options(options)
        verb = opts.text("verb")
        if verb == "add":
            self._add(opts)
        elif verb == "list":
            self._list(opts)
        elif verb == "remove":
            self._remove(opts)
        elif verb == "test":
            self._test(opts)
        elif verb == "route":
            self._route(opts)
        else:
            self._unroute(opts)

    def _add(self, opts: Options) -> None:
        url = sys.stdin.readline().strip() if opts.flag("url_stdin") else opts.text("url")
        destination, secret = run(
            lambda: services.webhook_destination_create(
                actor=self.actor,
                kind=opts.text("kind"),
                name=opts.text("name"),
                url=url,
                slug=opts.text("slug"),
            )
        )
        out = WebhookOut.of(selectors.webhook_get_for(self.actor, destination.slug)).dict()
        if opts.flag("json"):
            print_json({**out, "signing_secret": secret or None})
            return
        self.stdout.write(f"added {destination.slug} ({destination.kind}, {destination.url_hint})")
        if secret:
            self.stdout.write(f"signing secret (shown once, store it now): {secret}")
        self.stdout.write(
            f"route events to it: casebridge webhook route {destination.slug} --topic ..."
        )

    def _list(self, opts: Options) -> None:
        found = run(lambda: selectors.webhook_list_for(self.actor))
        if opts.flag("json"):
            print_json([WebhookOut.of(d).dict() for d in found])
            return
        for d in found:
            self.stdout.write(f"{d.slug:<24} {d.kind:<8} {d.name:<24} {d.url_hint}")
            for r in d.routes.all():
                filters = " ".join(
                    f"{name}={','.join(values)}"
                    for name, values in (
                        ("services", r.services),
                        ("teams", r.teams),
                        ("severities", r.severities),
                    )
                    if values
                )
                self.stdout.write(f"    route {r.pk:<5} {r.topic:<24} {filters}")
        if not found:
            self.stdout.write("no webhooks")

    def _remove(self, opts: Options) -> None:
        destination = run(lambda: selectors.webhook_get_for(self.actor, opts.text("slug")))
        count = run(
            lambda: services.webhook_destination_remove(actor=self.actor, destination=destination)
        )
        if opts.flag("json"):
            print_json({"removed": opts.text("slug"), "discarded": count})
        else:
            self.stdout.write(f"removed {opts.text('slug')} ({count} waiting deliveries discarded)")

    def _test(self, opts: Options) -> None:
        destination = run(lambda: selectors.webhook_get_for(self.actor, opts.text("slug")))
        result = run(lambda: services.webhook_test(actor=self.actor, destination=destination))
        if opts.flag("json"):
            print_json({"ok": result.ok, "status": result.status, "detail": result.detail})
        else:
            self.stdout.write(f"{'delivered' if result.ok else 'failed'}: {result.detail}")
        if not result.ok:
            raise CommandError(f"the test to {opts.text('slug')} failed", returncode=1)

    def _route(self, opts: Options) -> None:
        destination = run(lambda: selectors.webhook_get_for(self.actor, opts.text("slug")))
        route = run(
            lambda: services.webhook_route_add(
                actor=self.actor,
                destination=destination,
                topic=opts.text("topic"),
                services=opts.texts("service"),
                teams=opts.texts("team"),
                severities=opts.texts("severity"),
            )
        )
        if opts.flag("json"):
            print_json(RouteOut.of(route).dict())
        else:
            self.stdout.write(f"route {route.pk}: {route.topic} -> {destination.slug}")

    def _unroute(self, opts: Options) -> None:
        destination = run(lambda: selectors.webhook_get_for(self.actor, opts.text("slug")))
        route = run(
            lambda: selectors.webhook_route_get_for(self.actor, destination, opts.number("route"))
        )
        run(lambda: services.webhook_route_remove(actor=self.actor, route=route))
        if opts.flag("json"):
            print_json({"removed": opts.number("route")})
        else:
            self.stdout.write(f"route {opts.number('route')} removed")
