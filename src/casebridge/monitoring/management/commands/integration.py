"""casebridge integration create|list|grouping|payloads|retry|process (as the server's operator)."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casebridge.catalog.models import Environment
from casebridge.catalog.selectors import service_by_slug
from casebridge.core.cli import Options, print_json, run
from casebridge.core.text import plural
from casebridge.monitoring import rules, services, worker
from casebridge.monitoring.intake import signature_header
from casebridge.monitoring.models import Integration, IntegrationKind, Payload, PayloadState


class IntegrationRow(TypedDict):
    slug: str
    name: str
    kind: str
    auth: str
    url: str
    service: str
    environment: str
    signature_header: str
    max_body_bytes: int
    rate_limit_per_minute: int
    grouping_labels: list[str]
    use_group_labels: bool
    storm_threshold: int
    enabled: bool


class PayloadRow(TypedDict):
    id: int
    integration: str
    received_at: datetime
    alerts: int
    state: str
    attempts: int
    error: str


class Command(BaseCommand):
    help = "Manage monitoring integrations and their stored payloads (as the server's operator)."
    requires_system_checks: list[str] = []  # start fast; `casebridge check` runs them

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="Create an integration; prints its secret once.")
        create.add_argument("--kind", required=True, choices=IntegrationKind.values)
        create.add_argument("--name", required=True)
        create.add_argument("--slug", default="", help="Default: from the name.")
        create.add_argument("--service", required=True, help="Default service slug.")
        create.add_argument("--environment", default="production", choices=Environment.values)
        create.add_argument("--auth", default="bearer", choices=["bearer", "hmac"])
        create.add_argument("--signature-header", default="")
        create.add_argument("--timestamp-header", default="")
        create.add_argument("--max-bytes", type=int, default=1024 * 1024)
        create.add_argument("--rate-limit", type=int, default=1200, help="Payloads a minute.")
        create.add_argument("--json", action="store_true")
        grouping = sub.add_parser(
            "grouping", help="Show or change the grouping rules and storm threshold."
        )
        grouping.add_argument("slug")
        grouping.add_argument(
            "--labels",
            default=None,
            help="Label names, comma-separated; '' for one group per alert.",
        )
        grouping.add_argument(
            "--group-labels",
            default=None,
            choices=["on", "off"],
            help="Group by a webhook's groupLabels when it has them.",
        )
        grouping.add_argument(
            "--storm-threshold", type=int, default=None, help="New groups a minute; 0: global."
        )
        grouping.add_argument("--json", action="store_true")
        listing = sub.add_parser("list", help="List integrations.")
        listing.add_argument("--json", action="store_true")
        payloads = sub.add_parser("payloads", help="List stored payloads (failed by default).")
        payloads.add_argument(
            "--state",
            default="failed",
            choices=["all", *PayloadState.values],
            help="'all' for every state.",
        )
        payloads.add_argument("--limit", type=int, default=50)
        payloads.add_argument("--json", action="store_true")
        retry = sub.add_parser("retry", help="Queue a failed payload again now.")
        retry.add_argument("payload", type=int)
        sub.add_parser("process", help="Fold and sync until nothing is due (the worker does it).")

    def handle(self, *args: object, **options: object) -> None:
        opts = Options(options)
        verb = opts.text("verb")
        if verb == "create":
            self._create(opts)
        elif verb == "list":
            self._list(opts)
        elif verb == "grouping":
            self._grouping(opts)
        elif verb == "payloads":
            self._payloads(opts)
        elif verb == "retry":
            self._retry(opts)
        else:
            self._process()

    def _create(self, opts: Options) -> None:
        service = run(lambda: service_by_slug(opts.text("service")))
        integration, secret = run(
            lambda: services.integration_create(
                actor=None,
                kind=opts.text("kind"),
                name=opts.text("name"),
                slug=opts.text("slug"),
                service=service,
                environment=opts.text("environment"),
                auth=opts.text("auth"),
                signature_header=opts.text("signature_header"),
                timestamp_header=opts.text("timestamp_header"),
                max_body_bytes=opts.number("max_bytes"),
                rate_limit_per_minute=opts.number("rate_limit"),
            )
        )
        row = _row(integration)
        if opts.flag("json"):
            print_json({**row, "secret": secret})
            return
        self.stdout.write(f"created {integration.slug}: POST {row['url']}")
        if integration.auth == "hmac":
            self.stdout.write(f"HMAC-SHA256 secret (shown once, store it now): {secret}")
            self.stdout.write(f"signature header: {row['signature_header']}")
        else:
            self.stdout.write(f"bearer token (shown once, store it now): {secret}")

    def _list(self, opts: Options) -> None:
        rows = [_row(i) for i in Integration.objects.select_related("service").order_by("name")]
        if opts.flag("json"):
            print_json(rows)
            return
        for row in rows:
            state = "" if row["enabled"] else "  (disabled)"
            self.stdout.write(
                f"{row['slug']:<24} {row['kind']:<13} {row['auth']:<7} {row['service']:<16} "
                f"{row['rate_limit_per_minute']:>6}/min {row['max_body_bytes']:>9} B{state}"
            )

    def _grouping(self, opts: Options) -> None:
        slug = opts.text("slug")
        integration = Integration.objects.select_related("service").filter(slug=slug).first()
        if integration is None:
            raise CommandError(f"no integration '{slug}'", returncode=2)
        labels = _labels(opts.text_or_none("labels"))
        use = opts.text_or_none("group_labels")
        threshold = opts.number_or_none("storm_threshold")
        run(
            lambda: rules.integration_grouping_set(
                actor=None,
                integration=integration,
                grouping_labels=labels,
                use_group_labels=None if use is None else use == "on",
                storm_threshold=threshold,
            )
        )
        row = _row(integration)
        if opts.flag("json"):
            print_json(row)
            return
        self.stdout.write(
            f"{row['slug']}: group by {', '.join(row['grouping_labels']) or '(each alert alone)'}"
            f"; groupLabels {'on' if row['use_group_labels'] else 'off'}; storm threshold "
            f"{row['storm_threshold'] or 'global'} new groups a minute"
        )

    def _payloads(self, opts: Options) -> None:
        payloads = Payload.objects.select_related("integration").defer("body").order_by("-id")
        state = opts.text("state")
        if state != "all":
            payloads = payloads.filter(state=state)
        rows: list[PayloadRow] = [
            {
                "id": p.pk,
                "integration": p.integration.slug,
                "received_at": p.received_at,
                "alerts": p.alerts,
                "state": p.state,
                "attempts": p.attempts,
                "error": p.error,
            }
            for p in payloads[: opts.number("limit")]
        ]
        if opts.flag("json"):
            print_json(rows)
            return
        for row in rows:
            self.stdout.write(
                f"{row['id']:>8} {row['integration']:<20} {row['state']:<8} "
                f"{plural(row['attempts'], 'try')}  {plural(row['alerts'], 'alert'):>10}  "
                f"{row['error'][:80]}"
            )

    def _retry(self, opts: Options) -> None:
        pk = opts.number("payload")
        payload = Payload.objects.filter(pk=pk).first()
        if payload is None:
            raise CommandError(f"no payload {pk}", returncode=2)
        run(lambda: services.payload_retry(actor=None, payload=payload))
        self.stdout.write(f"payload {payload.pk} queued again")

    def _process(self) -> None:
        self.stdout.write(f"processed {worker.intake_drain()} alerts and groups")


def _row(integration: Integration) -> IntegrationRow:
    return {
        "slug": integration.slug,
        "name": integration.name,
        "kind": integration.kind,
        "auth": integration.auth,
        "url": f"/api/v1/intake/{integration.kind}/{integration.slug}",
        "service": integration.service.slug,
        "environment": integration.environment,
        "signature_header": signature_header(integration) if integration.auth == "hmac" else "",
        "max_body_bytes": integration.max_body_bytes,
        "rate_limit_per_minute": integration.rate_limit_per_minute,
        "grouping_labels": list(integration.grouping_labels or []),
        "use_group_labels": integration.use_group_labels,
        "storm_threshold": integration.storm_threshold,
        "enabled": integration.enabled,
    }


def _labels(value: str | None) -> list[str] | None:
    """``--labels a,b`` as a list; ``None`` when left out."""
    if value is None:
        return None
    return [name.strip() for name in value.split(",") if name.strip()]
