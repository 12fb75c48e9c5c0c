"""casebridge delivery-source create|list|rotate|events (as the server's operator): the doors for
Azure Pipelines, Azure Repos, GitHub and generic deployment events, and what they stored."""

from __future__ import annotations

from typing import TypedDict

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casebridge.core.cli import print_json, run
from casebridge.integrations.delivery.doors import GITHUB_SIGNATURE, SIGNATURE, TIMESTAMP
from casebridge.integrations.delivery.models import (
    DeliverySource,
    EventState,
    InboundEvent,
    SourceKind,
)
from casebridge.integrations.delivery.services import (
    STANDALONE_KINDS,
    delivery_source_create,
    delivery_source_rotate,
)

HOW = {
    SourceKind.AZURE_PIPELINES: "service hook 'Web Hooks', basic authentication, this password",
    SourceKind.AZURE_REPOS: "service hook 'Web Hooks', basic authentication, this password",
    SourceKind.GITHUB: f"webhook, content type application/json, secret (signs {GITHUB_SIGNATURE})",
    SourceKind.DEPLOYMENTS: f"sign '<{TIMESTAMP}>.' + body into {SIGNATURE}: sha256=<hex>",
    SourceKind.AZURE_DEVOPS: "service hook 'Web Hooks', basic authentication, this password",
}


class Options(TypedDict, total=False):
    """What the subcommands' arguments parse to."""

    verb: str
    json: bool
    kind: str
    name: str
    slug: str
    max_bytes: int
    rate_limit: int
    tolerance: int
    state: str
    limit: int


class SourceRow(TypedDict):
    kind: str
    slug: str
    name: str
    url: str
    secret_hint: str
    max_body_bytes: int
    rate_limit_per_minute: int
    tolerance_seconds: int
    enabled: bool


def _row(source: DeliverySource) -> SourceRow:
    return {
        "kind": source.kind,
        "slug": source.slug,
        "name": source.name,
        "url": source.door,
        "secret_hint": source.secret_hint,
        "max_body_bytes": source.max_body_bytes,
        "rate_limit_per_minute": source.rate_limit_per_minute,
        "tolerance_seconds": source.tolerance_seconds,
        "enabled": source.enabled,
    }


class Command(BaseCommand):
    help = "Manage the doors of deployments and pull requests (as the server's operator)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="Create a source; prints its secret once.")
        create.add_argument("--kind", required=True, choices=STANDALONE_KINDS)
        create.add_argument("--name", required=True)
        create.add_argument("--slug", default="")
        create.add_argument("--max-bytes", type=int, default=1024 * 1024)
        create.add_argument("--rate-limit", type=int, default=600, help="Deliveries a minute.")
        create.add_argument("--tolerance", type=int, default=300, help="Signed events: seconds.")
        sub.add_parser("list", help="List the sources (Azure DevOps connections' too).")
        rotate = sub.add_parser("rotate", help="Give a source a new secret; prints it once.")
        rotate.add_argument("kind", choices=SourceKind.values)
        rotate.add_argument("slug")
        events = sub.add_parser("events", help="Stored deliveries, newest first.")
        events.add_argument("--state", default="pending", choices=["", *EventState.values])
        events.add_argument("--limit", type=int, default=50)
        for verb in sub.choices.values():
            verb.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: object, **options: object) -> None:
        getattr(self, f"_{options['verb']}")(options)

    def _create(self, options: Options) -> None:
        source, secret = run(
            lambda: delivery_source_create(
                actor=None,
                kind=options["kind"],
                name=options["name"],
                slug=options["slug"],
                max_body_bytes=options["max_bytes"],
                rate_limit_per_minute=options["rate_limit"],
                tolerance_seconds=options["tolerance"],
            )
        )
        self._secret(source, secret, options, "created")

    def _secret(self, source: DeliverySource, secret: str, options: Options, did: str) -> None:
        if options["json"]:
            print_json({**_row(source), "secret": secret})
            return
        self.stdout.write(f"{did} {source.kind} source {source.slug}: POST {source.door}")
        self.stdout.write(f"how: {HOW[SourceKind(source.kind)]}")
        self.stdout.write(f"secret (shown once, store it now): {secret}")

    def _list(self, options: Options) -> None:
        rows = [_row(s) for s in DeliverySource.objects.order_by("kind", "slug")]
        if options["json"]:
            print_json(rows)
            return
        for row in rows:
            state = "" if row["enabled"] else "  (disabled)"
            self.stdout.write(
                f"{row['kind']:<16} {row['slug']:<20} {row['url']:<48} "
                f"{row['rate_limit_per_minute']:>6}/min {row['max_body_bytes']:>9} B{state}"
            )

    def _rotate(self, options: Options) -> None:
        source = DeliverySource.objects.filter(kind=options["kind"], slug=options["slug"]).first()
        if source is None:
            raise CommandError(f"no {options['kind']} source {options['slug']}", returncode=2)
        secret = run(lambda: delivery_source_rotate(actor=None, source=source))
        self._secret(source, secret, options, "rotated the secret of")

    def _events(self, options: Options) -> None:
        events = InboundEvent.objects.select_related("source").defer("body").order_by("-id")
        if options["state"]:
            events = events.filter(state=options["state"])
        rows = [
            {
                "id": e.pk,
                "source": e.source.key,
                "delivery_id": e.delivery_id,
                "event_type": e.event_type,
                "received_at": e.received_at,
                "state": e.state,
                "error": e.error,
            }
            for e in events[: max(1, options["limit"])]
        ]
        if options["json"]:
            print_json(rows)
            return
        for row in rows:
            self.stdout.write(
                f"{row['id']:>8} {row['source']:<32} {row['event_type']:<44} {row['state']:<8} "
                f"{row['delivery_id']}"
            )
