"""casebridge incident list|show|declare. Every verb acts as --as USER and checks their roles."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from casebridge.accounts.models import User
from casebridge.accounts.selectors import user_by_username
from casebridge.cases.selectors import case_get_for
from casebridge.core.cli import Options, actor_from, add_actor_argument, print_json, run
from casebridge.incidents import selectors
from casebridge.incidents.api import incident_out
from casebridge.incidents.models import Incident, IncidentState, Severity
from casebridge.incidents.services import Declaration, incident_declare
from casebridge.monitoring.selectors import alert_group_get_for


class Command(BaseCommand):
    help = "Work with incidents from the shell."
    requires_system_checks: list[str] = []  # start fast; `casebridge check` runs them

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        listing = sub.add_parser("list", help="List incidents (open ones by default).")
        listing.add_argument(
            "--state", default="open", choices=["open", "all", *IncidentState.values]
        )
        listing.add_argument("--severity", default="", choices=["", *Severity.values])
        show = sub.add_parser("show", help="Show one incident with its timeline.")
        show.add_argument("key")
        declare = sub.add_parser("declare", help="Declare an incident from a case or alert group.")
        declare.add_argument("--title", required=True)
        declare.add_argument("--severity", required=True, choices=Severity.values)
        declare.add_argument("--lead", required=True, help="Username of an L3+ developer.")
        declare.add_argument("--owner", default="", help="Accountable owner (L4; sev1 needs one).")
        declare.add_argument("--case", default="", help="Case key, e.g. CB-12.")
        declare.add_argument("--alert-group", default="", help="Alert group key, e.g. AG-3.")
        declare.add_argument("--summary", default="")
        for verb in sub.choices.values():
            add_actor_argument(verb)
            verb.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: object, **options: object) -> None:
        self.actor: User = actor_from(options)
        opts = Options(options)
        verb = opts.text("verb")
        if verb == "list":
            self._list(opts)
        elif verb == "show":
            self._show(opts)
        else:
            self._declare(opts)

    def _list(self, opts: Options) -> None:
        state = "" if opts.text("state") == "all" else opts.text("state")
        incidents = selectors.incident_list_for(
            self.actor, state=state, severity=opts.text("severity")
        )
        if opts.flag("json"):
            print_json([incident_out(self.actor, i).dict() for i in incidents])
            return
        for i in incidents:
            self.stdout.write(
                f"{i.key:<8} {i.severity:<5} {i.state:<10} {i.service.slug:<16} "
                f"{i.lead.username:<12} {i.title}"
            )
        if not incidents:
            self.stdout.write("no incidents")

    def _show(self, opts: Options) -> None:
        key = opts.text("key")
        incident = run(lambda: selectors.incident_get_for(self.actor, key))
        out = incident_out(self.actor, incident).dict()
        timeline = selectors.timeline_of(incident)
        if opts.flag("json"):
            out["timeline"] = [
                {
                    "at": e.at,
                    "kind": e.kind,
                    "actor": e.actor.username if e.actor else None,
                    "text": e.text,
                }
                for e in timeline
            ]
            print_json(out)
            return
        self._print(incident)
        self.stdout.write("")
        for entry in timeline:
            who = entry.actor.display_name if entry.actor else "Casebridge"
            self.stdout.write(f"  {entry.at:%Y-%m-%d %H:%M} {entry.kind:<11} {who}: {entry.text}")

    def _print(self, incident: Incident) -> None:
        owner = incident.owner.username if incident.owner else "-"
        self.stdout.write(f"{incident.key} {incident.title}")
        self.stdout.write(
            f"  {incident.get_severity_display()} · {incident.get_state_display()} · "
            f"{incident.service.name} · lead {incident.lead.username} · owner {owner}"
        )
        links = [x.key for x in (incident.case, incident.alert_group) if x is not None]
        if links:
            self.stdout.write(f"  from {', '.join(links)}")

    def _declare(self, opts: Options) -> None:
        owner, case, group = opts.text("owner"), opts.text("case"), opts.text("alert_group")

        def declare() -> Incident:
            data = Declaration(
                title=opts.text("title"),
                severity=opts.text("severity"),
                lead=user_by_username(opts.text("lead"), field="lead"),
                owner=user_by_username(owner, field="owner") if owner else None,
                case=case_get_for(self.actor, case) if case else None,
                group=alert_group_get_for(self.actor, group) if group else None,
                summary=opts.text("summary"),
            )
            return incident_declare(actor=self.actor, data=data)

        incident = run(declare)
        if opts.flag("json"):
            print_json(incident_out(self.actor, incident).dict())
            return
        self._print(incident)
