"""casebridge sla calendar|policy list|show|create|update|delete, sla policy order, sla tier,
sla clocks CASE, sla item-target (a fix target for work items): SLA calendars and policies
(administrators write; staff read)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder

from casebridge.accounts.models import Organisation
from casebridge.cases.selectors import case_get_for
from casebridge.core.cli import actor_from, add_actor_argument, run
from casebridge.core.text import plural
from casebridge.sla import calendars, policies, selectors
from casebridge.sla.clocks import KIND_LABELS, Kind
from casebridge.sla.items import item_policy_create
from casebridge.sla.models import Policy
from casebridge.sla.schemas import CalendarOut, PolicyOut

VERBS = ("list", "show", "create", "update", "delete")


#: The parsed arguments, as Django passes them to ``handle``.
Options = Mapping[str, object]


def _opt(options: Options, name: str) -> str | None:
    value = options.get(name)
    return None if value is None else str(value)


def _text(options: Options, name: str) -> str:
    return _opt(options, name) or ""


def _json_arg(text: str | None, name: str) -> object:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(f"--{name}: not JSON ({exc.msg})", returncode=2) from exc


def _names(options: Options) -> list[str]:
    found = options.get("slugs")
    return [str(s) for s in found] if isinstance(found, list) else []


def _csv(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [part.strip() for part in text.split(",") if part.strip()]


def _calendar_arguments(parser: CommandParser) -> None:
    parser.add_argument("--name")
    parser.add_argument("--timezone", help="IANA zone, e.g. Europe/Berlin")
    parser.add_argument("--always-open", choices=["yes", "no"], help="24x7")
    parser.add_argument("--hours", help='JSON: {"mon": [["09:00", "17:00"]], ...}')
    parser.add_argument(
        "--weekdays", help='Shortcut: the same hours Monday to Friday, e.g. "09:00-17:00"'
    )
    parser.add_argument("--holiday-country", help="ISO code, e.g. DE (the holidays package)")
    parser.add_argument("--holiday-subdivision", help="Region, e.g. BY")
    parser.add_argument("--extra-holidays", help="Comma-separated dates YYYY-MM-DD")


def _policy_arguments(parser: CommandParser) -> None:
    parser.add_argument("--name")
    parser.add_argument("--calendar", help="The calendar's slug")
    parser.add_argument("--position", type=int)
    parser.add_argument("--active", choices=["yes", "no"])
    for name in ("impacts", "sources", "organisations", "tiers", "services", "pause-states"):
        parser.add_argument(f"--{name}", help="Comma-separated; empty: any")
    parser.add_argument("--first-response", type=int, help="Business minutes")
    parser.add_argument("--triage", type=int, help="Business minutes (escalated cases)")
    parser.add_argument("--resolution", type=int, help="Business minutes")
    parser.add_argument("--warn-percent", type=int)
    parser.add_argument("--customer-visible", choices=["yes", "no"])
    parser.add_argument("--escalation-action", choices=["", "raise_impact", "notify_lead"])
    parser.add_argument("--lead", help="Username of the L2 lead")


class Command(BaseCommand):
    help = "Manage SLA calendars and policies; show a case's clocks."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        things = parser.add_subparsers(dest="thing", required=True)
        for thing, arguments in (("calendar", _calendar_arguments), ("policy", _policy_arguments)):
            sub = things.add_parser(thing, help=f"SLA {thing}s").add_subparsers(
                dest="verb", required=True
            )
            sub.add_parser("list", help=f"List the {thing}s.")
            for verb in ("show", "delete"):
                sub.add_parser(verb, help=f"{verb.title()} a {thing}.").add_argument("slug")
            create = sub.add_parser("create", help=f"Add a {thing}.")
            create.add_argument("--slug", default="")
            arguments(create)
            update = sub.add_parser("update", help=f"Change a {thing}.")
            update.add_argument("slug")
            arguments(update)
            if thing == "policy":
                order = sub.add_parser("order", help="Put policies in order (first match wins).")
                order.add_argument("slugs", nargs="+")
            for p in sub.choices.values():
                add_actor_argument(p)
                p.add_argument("--json", action="store_true", help="Print JSON.")
        tier = things.add_parser("tier", help="Set an organisation's contract tier.")
        tier.add_argument("organisation", help="The organisation's slug")
        tier.add_argument("tier", help="e.g. gold; empty to remove")
        clocks = things.add_parser("clocks", help="Show a case's clocks.")
        clocks.add_argument("case")
        item = things.add_parser("item-target", help="Add a fix target for work items.")
        item.add_argument("--name", required=True)
        item.add_argument("--calendar", required=True, help="The calendar's slug")
        item.add_argument("--categories", help="Comma-separated: bug, feature, improvement")
        item.add_argument("--priorities", help="Comma-separated: critical, major, minor")
        item.add_argument("--fix-minutes", type=int, required=True, help="Business minutes")
        item.add_argument("--warn-percent", type=int, default=75)
        item.add_argument("--lead", help="Username told of warnings and breaches")
        for p in (tier, clocks, item):
            add_actor_argument(p)
            p.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: object, **options: object) -> None:
        self.actor = actor_from(options)
        self.json = bool(options["json"])
        thing = options["thing"]
        if thing in ("tier", "clocks", "item-target"):
            getattr(self, f"_{str(thing).replace('-', '_')}")(options)
        else:
            getattr(self, f"_{thing}_{options['verb']}")(options)

    def _json_out(self, data: object) -> None:
        self.stdout.write(json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False))

    def _print(self, data: object, line: str) -> None:
        if self.json:
            self._json_out(data)
        else:
            self.stdout.write(line)

    # --- calendars ------------------------------------------------------------------------------

    def _calendar_values(self, options: Options) -> dict[str, object]:
        values: dict[str, object] = {
            "name": options["name"],
            "timezone": options["timezone"],
            "hours": _json_arg(_opt(options, "hours"), "hours"),
            "holiday_country": options["holiday_country"],
            "holiday_subdivision": options["holiday_subdivision"],
            "extra_holidays": _csv(_opt(options, "extra_holidays")),
        }
        if options["always_open"] is not None:
            values["always_open"] = options["always_open"] == "yes"
        weekdays = _opt(options, "weekdays")
        if weekdays:
            start, _, end = weekdays.partition("-")
            days = ("mon", "tue", "wed", "thu", "fri")
            values["hours"] = {d: [[start.strip(), end.strip()]] for d in days}
        return {k: v for k, v in values.items() if v is not None}

    def _calendar_list(self, options: Options) -> None:
        found = run(lambda: list(selectors.calendar_list_for(self.actor)))
        if self.json:
            self._json_out([CalendarOut.of(c).dict() for c in found])
            return
        for c in found:
            kind = (
                "24x7"
                if c.always_open
                else ", ".join(
                    f"{d} {'/'.join(f'{a}-{b}' for a, b in spans)}" for d, spans in c.hours.items()
                )
            )
            region = "-".join(filter(None, (c.holiday_country, c.holiday_subdivision)))
            country = f" holidays {region}" if region else ""
            self.stdout.write(f"{c.slug:<20} {c.timezone:<20} {kind}{country}")
        if not found:
            self.stdout.write("no calendars")

    def _calendar_show(self, options: Options) -> None:
        c = run(lambda: selectors.calendar_get_for(self.actor, _text(options, "slug")))
        data = CalendarOut.of(c).dict()
        self._print(data, "\n".join(f"{k}: {v}" for k, v in data.items()))

    def _calendar_create(self, options: Options) -> None:
        values = self._calendar_values(options)
        c = run(
            lambda: calendars.calendar_create(
                actor=self.actor, slug=_text(options, "slug"), **values
            )
        )
        self._print(CalendarOut.of(c).dict(), f"created calendar {c.slug}")

    def _calendar_update(self, options: Options) -> None:
        c = run(lambda: selectors.calendar_get_for(self.actor, _text(options, "slug")))
        changes = self._calendar_values(options)
        if not changes:
            raise CommandError("Nothing to change: give at least one option.", returncode=2)
        c = run(lambda: calendars.calendar_update(actor=self.actor, calendar=c, changes=changes))
        self._print(CalendarOut.of(c).dict(), f"updated calendar {c.slug}")

    def _calendar_delete(self, options: Options) -> None:
        c = run(lambda: selectors.calendar_get_for(self.actor, _text(options, "slug")))
        run(lambda: calendars.calendar_delete(actor=self.actor, calendar=c))
        self._print({"deleted": _text(options, "slug")}, f"deleted calendar {options['slug']}")

    # --- policies -------------------------------------------------------------------------------

    def _policy_values(self, options: Options) -> dict[str, object]:
        values: dict[str, object] = {
            "name": options["name"],
            "calendar": options["calendar"],
            "position": options["position"],
            "first_response_minutes": options["first_response"],
            "triage_minutes": options["triage"],
            "resolution_minutes": options["resolution"],
            "warn_percent": options["warn_percent"],
            "escalation_action": options["escalation_action"],
            "lead": options["lead"],
        }
        for name in ("impacts", "sources", "organisations", "tiers", "services", "pause_states"):
            values[name] = _csv(_opt(options, name))
        for name in ("active", "customer_visible"):
            if options[name] is not None:
                values[name] = options[name] == "yes"
        return {k: v for k, v in values.items() if v is not None}

    def _policy_line(self, p: Policy) -> str:
        targets = ", ".join(
            f"{KIND_LABELS[k].lower()} {m} min"
            for k, m in (
                (Kind.FIRST_RESPONSE, p.first_response_minutes),
                (Kind.TRIAGE, p.triage_minutes),
                (Kind.RESOLUTION, p.resolution_minutes),
            )
            if m
        )
        conditions = (
            " ".join(
                f"{name}={','.join(getattr(p, name))}"
                for name in ("impacts", "sources", "organisations", "tiers", "services")
                if getattr(p, name)
            )
            or "every case"
        )
        state = "" if p.active else " (inactive)"
        return f"{p.position:>4} {p.slug:<20} {conditions} -> {targets} [{p.calendar.slug}]{state}"

    def _policy_list(self, options: Options) -> None:
        found = run(lambda: list(selectors.policy_list_for(self.actor)))
        if self.json:
            self._json_out([PolicyOut.of(p).dict() for p in found])
            return
        for p in found:
            self.stdout.write(self._policy_line(p))
        self.stdout.write(f"{plural(len(found), 'policy')}; the first that matches a case applies")

    def _policy_show(self, options: Options) -> None:
        p = run(lambda: selectors.policy_get_for(self.actor, _text(options, "slug")))
        data = PolicyOut.of(p).dict()
        self._print(data, "\n".join(f"{k}: {v}" for k, v in data.items()))

    def _policy_create(self, options: Options) -> None:
        values = self._policy_values(options)
        p = run(
            lambda: policies.policy_create(actor=self.actor, slug=_text(options, "slug"), **values)
        )
        self._print(PolicyOut.of(p).dict(), f"created policy {p.slug}: {self._policy_line(p)}")

    def _policy_update(self, options: Options) -> None:
        p = run(lambda: selectors.policy_get_for(self.actor, _text(options, "slug")))
        changes = self._policy_values(options)
        if not changes:
            raise CommandError("Nothing to change: give at least one option.", returncode=2)
        p = run(lambda: policies.policy_update(actor=self.actor, policy=p, changes=changes))
        self._print(PolicyOut.of(p).dict(), f"updated policy {p.slug}")

    def _policy_delete(self, options: Options) -> None:
        p = run(lambda: selectors.policy_get_for(self.actor, _text(options, "slug")))
        run(lambda: policies.policy_delete(actor=self.actor, policy=p))
        self._print({"deleted": _text(options, "slug")}, f"deleted policy {options['slug']}")

    def _policy_order(self, options: Options) -> None:
        found = run(lambda: policies.policies_reorder(actor=self.actor, slugs=_names(options)))
        self._print(
            [PolicyOut.of(p).dict() for p in found],
            "\n".join(self._policy_line(p) for p in found),
        )

    # --- tiers and clocks -----------------------------------------------------------------------

    def _tier(self, options: Options) -> None:
        org = Organisation.objects.filter(slug=_text(options, "organisation")).first()
        if org is None:
            raise CommandError(f"No organisation '{options['organisation']}'.", returncode=2)
        run(
            lambda: policies.contract_tier_set(
                actor=self.actor, organisation=org, tier=_text(options, "tier")
            )
        )
        self._print(
            {"organisation": org.slug, "tier": _text(options, "tier") or None},
            f"{org.slug}: tier {options['tier'] or 'none'}",
        )

    def _clocks(self, options: Options) -> None:
        case = run(lambda: case_get_for(self.actor, _text(options, "case")))
        found = selectors.clocks_for(self.actor, case)
        rows = [
            {
                "clock": c.kind,
                "policy": c.policy.slug if c.policy else None,
                "state": c.state,
                "due_at": c.due_at,
                "remaining_seconds": c.remaining_seconds,
                "paused_seconds": c.paused_seconds,
                "stopped_at": c.stopped_at,
                "breached_at": c.breached_at,
            }
            for c in found
        ]
        if self.json:
            self._json_out(rows)
            return
        for r in rows:
            when = r["due_at"] or r["stopped_at"] or ""
            self.stdout.write(f"{r['clock']:<16} {r['state']:<9} {when}")
        if not rows:
            self.stdout.write(f"{case.key}: no SLA clocks (no policy applies)")

    def _item_target(self, options: Options) -> None:
        fix = options.get("fix_minutes")
        warn = options.get("warn_percent")
        p = run(
            lambda: item_policy_create(
                actor=self.actor,
                name=_text(options, "name"),
                calendar=_text(options, "calendar"),
                categories=_csv(_opt(options, "categories")) or [],
                priorities=_csv(_opt(options, "priorities")) or [],
                fix_minutes=fix if isinstance(fix, int) else None,
                warn_percent=warn if isinstance(warn, int) else 75,
                lead=_opt(options, "lead"),
            )
        )
        data = {"slug": p.slug, "categories": p.categories, "priorities": p.priorities,
                "fix_minutes": p.fix_minutes, "calendar": p.calendar.slug}  # fmt: skip
        self._print(data, f"created item target {p.slug}: fix within {p.fix_minutes} min")
