"""casebridge policy list|set: the ladder policies 1-8, the recurring policy, case auto-close."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casebridge.cases.services import case_auto_close_days, case_policy_set
from casebridge.core.cli import Options, add_admin_actor_argument, admin_actor_from, print_json, run
from casebridge.occurrences.recurring import recurring_policy
from casebridge.occurrences.recurring.policy import recurring_policy_set
from casebridge.workitems.models import PolicyCode
from casebridge.workitems.policies import setting
from casebridge.workitems.services import ladder_policy_set

NAMES = [*PolicyCode.values, "recurring", "auto_close"]


def policies() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for code in PolicyCode:
        current = setting(code)
        rows.append(
            {
                "policy": code.value,
                "label": code.label,
                "enabled": current.enabled,
                "min_level": current.level,
            }
        )
    rec = recurring_policy()
    rows.append(
        {
            "policy": "recurring",
            "label": "Recurring issues: cases within a window",
            "min_cases": rec.min_cases,
            "window_days": rec.window_days,
            "near_duplicate_score": rec.near_duplicate_score,
        }
    )
    rows.append(
        {
            "policy": "auto_close",
            "label": "Resolved cases close after a quiet period",
            "auto_close_days": case_auto_close_days(),
        }
    )
    return rows


def _on_off(value: str) -> bool:
    if value.lower() in ("on", "true", "yes", "1"):
        return True
    if value.lower() in ("off", "false", "no", "0"):
        return False
    raise CommandError(f"'{value}' is not on or off", returncode=2)


class Command(BaseCommand):
    help = (
        "Show or change the policies: ladder policies 1-8 (on/off, senior level), the recurring "
        "policy and the case auto-close period."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        listing = sub.add_parser("list", help="Every policy and its current setting.")
        change = sub.add_parser(
            "set",
            help="e.g. `policy set critical_component --level 4`, `policy set auto_close "
            "--days 10`, `policy set recurring --min-cases 4 --window-days 7`.",
        )
        change.add_argument("policy", choices=NAMES)
        change.add_argument("--enabled", type=_on_off, default=None, help="on or off (ladder).")
        change.add_argument("--level", type=int, default=None, help="1-4 (ladder).")
        change.add_argument("--days", type=int, default=None, help="auto_close: quiet days.")
        change.add_argument("--min-cases", type=int, default=None, help="recurring.")
        change.add_argument("--window-days", type=int, default=None, help="recurring.")
        change.add_argument("--near-duplicate-score", type=float, default=None, help="recurring.")
        for verb in (listing, change):
            verb.add_argument("--json", action="store_true")
        add_admin_actor_argument(change)

    def handle(self, *args: object, **raw: object) -> None:
        options = Options(raw)
        if options["verb"] == "set":
            self._set(options)
        rows = policies()
        if options["verb"] == "set":
            rows = [r for r in rows if r["policy"] == options.text("policy")]
        if options.flag("json"):
            print_json(rows if options["verb"] == "list" else rows[0])
            return
        for row in rows:
            values = ", ".join(f"{k}={v}" for k, v in row.items() if k not in ("policy", "label"))
            self.stdout.write(f"{row['policy']:<22} {values:<50} {row['label']}")

    def _set(self, options: Options) -> None:
        actor = admin_actor_from(options)
        name = options.text("policy")
        if name == "auto_close":
            if options.number_or_none("days") is None:
                raise CommandError("Give --days", returncode=2)
            run(lambda: case_policy_set(actor=actor, auto_close_days=options.number("days")))
        elif name == "recurring":
            min_cases = options.number_or_none("min_cases")
            window_days = options.number_or_none("window_days")
            score = options.real_or_none("near_duplicate_score")
            if min_cases is None and window_days is None and score is None:
                raise CommandError(
                    "Give --min-cases, --window-days or --near-duplicate-score", returncode=2
                )
            run(
                lambda: recurring_policy_set(
                    actor=actor,
                    min_cases=min_cases,
                    window_days=window_days,
                    near_duplicate_score=score,
                )
            )
        else:
            if options.flag_or_none("enabled") is None and options.number_or_none("level") is None:
                raise CommandError("Give --enabled on|off or --level 1-4", returncode=2)
            run(
                lambda: ladder_policy_set(
                    actor=actor,
                    code=name,
                    enabled=options.flag_or_none("enabled"),
                    min_level=options.number_or_none("level"),
                )
            )
