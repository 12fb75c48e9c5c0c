"""casebridge work-item list|show|transition|assign."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casebridge.core.cli import Options, actor_from, add_actor_argument, print_json, run
from casebridge.workitems import selectors
from casebridge.workitems.schemas import item_out, row_out
from casebridge.workitems.services import work_item_transition


def _data(pairs: list[str]) -> dict[str, str | list[str]]:
    """--set name=value pairs; a name given twice (or assignees) becomes a list."""
    data: dict[str, str | list[str]] = {}
    assignees: list[str] = []
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise CommandError(f"--set takes name=value, not '{pair}'", returncode=2)
        if name == "assignees":
            data[name] = assignees
            assignees.extend(v for v in value.split(",") if v)
        else:
            data[name] = value
    return data


class Command(BaseCommand):
    help = "Work with work items: list, show, apply a workflow action."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        listing = sub.add_parser("list", help="List work items.")
        listing.add_argument(
            "--category", default="", choices=["", "bug", "feature", "improvement"]
        )
        listing.add_argument("--status", default="", help="Comma-separated statuses.")
        listing.add_argument(
            "--group", default="", choices=["", "open", "active", "done", "rejected"]
        )
        listing.add_argument("--assignee", default="", help="Username, 'me' or 'none'.")
        listing.add_argument("--limit", type=int, default=50)
        show = sub.add_parser("show", help="Show one work item and what you may do with it.")
        show.add_argument("key")
        act = sub.add_parser(
            "transition", help="Apply an action: ... transition BUG-7 triage --set priority=major"
        )
        act.add_argument("key")
        act.add_argument("action")
        act.add_argument(
            "--set", action="append", default=[], metavar="NAME=VALUE", help="Input; repeatable."
        )
        act.add_argument("--reason", default="")
        for verb in sub.choices.values():
            add_actor_argument(verb)
            verb.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: object, **options: object) -> None:
        self.actor = actor_from(options)
        getattr(self, f"_{options['verb']}")(Options(options))

    def _list(self, options: Options) -> None:
        given = options.text("assignee")
        assignee = self.actor.username if given == "me" else given
        filters = selectors.WorkItemFilters(
            category=options.text("category"),
            statuses=tuple(s for s in options.text("status").split(",") if s),
            group=options.text("group"),
            assignee=assignee,
        )
        items = list(
            run(lambda: selectors.work_item_list_for(self.actor, filters))[
                : max(1, options.number("limit"))
            ]
        )
        if options.flag("json"):
            print_json([row_out(i).dict() for i in items])
            return
        if not items:
            self.stdout.write("no work items")
        for i in items:
            who = ",".join(u.username for u in i.assignees.all()) or "-"
            self.stdout.write(
                f"{i.key:<8} {i.status:<20} {i.priority or '-':<8} {who:<16} {i.title}"
            )

    def _show(self, options: Options) -> None:
        item = run(lambda: selectors.work_item_get_for(self.actor, options.text("key")))
        out = item_out(self.actor, item)
        if options.flag("json"):
            print_json(out.dict())
            return
        self.stdout.write(f"{out.key}  {out.title}")
        self.stdout.write(
            f"  {out.category}, {out.status} ({out.group})"
            + (f", priority {out.priority}" if out.priority else "")
        )
        if out.assignees:
            self.stdout.write(f"  assignees: {', '.join(u.username for u in out.assignees)}")
        if out.cases:
            self.stdout.write(f"  cases: {', '.join(out.cases)}")
        self.stdout.write("  actions:")
        for action in out.actions:
            if action.allowed:
                needs = f" (needs {', '.join(action.requires)})" if action.requires else ""
                self.stdout.write(f"    + {action.action}{needs}")
            else:
                why = "; ".join(r.message for r in action.reasons)
                self.stdout.write(f"    - {action.action}: {why}")

    def _transition(self, options: Options) -> None:
        item = run(lambda: selectors.work_item_get_for(self.actor, options.text("key")))
        data = _data(options.texts("set"))
        if reason := options.text("reason"):
            data["reason"] = reason
        action = options.text("action")
        item = run(
            lambda: work_item_transition(actor=self.actor, item=item, action=action, data=data)
        )
        fresh = selectors.work_item_get_for(self.actor, item.key)
        if options.flag("json"):
            print_json(item_out(self.actor, fresh).dict())
        else:
            self.stdout.write(f"{fresh.key}: {action} -> {fresh.status}")
