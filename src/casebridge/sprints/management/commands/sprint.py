"""casebridge sprint list|create|plan|accept|start|close."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casebridge.accounts.models import Team
from casebridge.core.cli import Options, actor_from, add_actor_argument, print_json, run
from casebridge.core.text import plural
from casebridge.sprints import selectors, serializers, services
from casebridge.sprints.models import Sprint
from casebridge.sprints.planner import Choice, Proposal, Target
from casebridge.sprints.selectors.backlog import proposal_for
from casebridge.sprints.selectors.sprints import team_unit, unit_short


def _keys(values: list[str]) -> list[str]:
    """--add A --add B or --add A,B."""
    return [k.strip().upper() for v in values for k in v.split(",") if k.strip()]


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"'{value}' is not a date (use YYYY-MM-DD)", returncode=2) from None


def _day(options: Options, name: str) -> date:
    """A ``type=_date`` option."""
    value = options[name]
    if not isinstance(value, date):
        raise TypeError(f"option {name!r} is {type(value).__name__}, not date")
    return value


class Command(BaseCommand):
    help = (
        "Plan sprints: list and create them, see the planner's proposal, accept it, start a "
        "sprint early, close a sprint."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        listing = sub.add_parser("list", help="List sprints with their capacity and load.")
        listing.add_argument("--team", default="", help="Team slug.")
        listing.add_argument(
            "--state", default="", choices=["", "current", "next", "future", "open", "closed"]
        )
        create = sub.add_parser("create", help="Create a sprint (RTE).")
        create.add_argument("--team", required=True)
        create.add_argument("--name", required=True)
        create.add_argument("--start", required=True, type=_date)
        create.add_argument("--end", required=True, type=_date)
        create.add_argument("--capacity", type=int, default=None)
        create.add_argument("--goal", default="")
        for name in ("plan", "accept"):
            verb = sub.add_parser(
                name,
                help="Print the proposal for the team's next sprint with the reason for each item."
                if name == "plan"
                else "Accept the proposal (with the same edits): schedules every item (RTE).",
            )
            verb.add_argument("--team", default="", help="Team slug (or give --sprint).")
            verb.add_argument("--sprint", default="", help="Sprint id or team/name; default: next")
            verb.add_argument("--add", action="append", default=[], metavar="KEY")
            verb.add_argument("--remove", action="append", default=[], metavar="KEY")
        sub.choices["plan"].add_argument(
            "--left-out", type=int, default=10, help="How many left-out items to print."
        )
        accept = sub.choices["accept"]
        accept.add_argument(
            "--expect", default=None, help="Comma-separated keys you reviewed (see `plan`)."
        )
        accept.add_argument(
            "--over-capacity", action="store_true", help="Confirm additions over capacity."
        )
        start = sub.add_parser(
            "start", help="Start a future sprint today, e.g. after the last one closed early (RTE)."
        )
        start.add_argument("sprint", help="Sprint id or team/name.")
        close = sub.add_parser("close", help="Close a sprint; unfinished items carry over (RTE).")
        close.add_argument("sprint", help="Sprint id or team/name.")
        close.add_argument("--carry-to", default="", help="Sprint id or team/name.")
        for verb in sub.choices.values():
            add_actor_argument(verb)
            verb.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: object, **options: object) -> None:
        self.actor = actor_from(options)
        getattr(self, f"_{options['verb']}")(Options(options))

    # --- verbs -------------------------------------------------------------------------------

    def _list(self, options: Options) -> None:
        sprints = run(
            lambda: list(
                selectors.sprint_list_for(
                    self.actor, team=options.text("team"), state=options.text("state")
                )
            )
        )
        rows = serializers.sprints_out(sprints)
        if options["json"]:
            print_json([r.dict() for r in rows])
            return
        if not rows:
            self.stdout.write("no sprints")
        for r in rows:
            unit = "h" if r.unit == "hours" else "pts"
            capacity = "-" if r.capacity is None else str(r.capacity)
            self.stdout.write(
                f"{r.id:<5} {r.key:<28} {r.start} .. {r.end}  {r.state:<8} "
                f"load {r.load.points}/{capacity} {unit}, {plural(r.load.items, 'item')}"
            )

    def _create(self, options: Options) -> None:
        team = run(lambda: selectors.team_get_for(self.actor, options.text("team")))
        sprint = run(
            lambda: services.sprint_create(
                actor=self.actor,
                team=team,
                name=options.text("name"),
                start=_day(options, "start"),
                end=_day(options, "end"),
                capacity=options.number_or_none("capacity"),
                goal=options.text("goal"),
            )
        )
        out = serializers.sprint_out(sprint)
        if options["json"]:
            print_json(out.dict())
        else:
            self.stdout.write(f"created sprint {out.id} {out.key}")

    def _target(self, options: Options) -> tuple[Team, Sprint | None]:
        sprint = (
            run(lambda: selectors.sprint_find_for(self.actor, options.text("sprint")))
            if options["sprint"]
            else None
        )
        if sprint is not None:
            return sprint.team, sprint
        if not options["team"]:
            raise CommandError("Say which team: --team SLUG (or --sprint).", returncode=2)
        return run(lambda: selectors.team_get_for(self.actor, options.text("team"))), None

    def _plan(self, options: Options) -> None:
        team, sprint = self._target(options)
        proposal = run(
            lambda: proposal_for(
                self.actor,
                team,
                sprint=sprint,
                add=_keys(options.texts("add")),
                remove=_keys(options.texts("remove")),
            )
        )
        if options["json"]:
            out = serializers.proposal_out(
                team.slug, team_unit(team), proposal, options.number("left_out")
            )
            print_json(out.dict())
            return
        self._print_proposal(team, proposal, options)

    def _print_proposal(self, team: Team, p: Proposal, options: Options) -> None:
        unit = unit_short(team)
        w = self.stdout.write
        cap = "no capacity" if p.sprint.capacity is None else f"capacity {p.sprint.capacity}"
        w(f"{team.name}: {p.sprint.name} (sprint {p.sprint.id}), {cap} {unit}")
        w(f"  load with this plan: {p.load} {unit} (already in it: {p.sprint.load})")
        expedited = [c for c in p.chosen if c.expedited]
        if expedited and p.current is not None:
            w("")
            w(
                f"Expedited into the current sprint {p.current.name}: "
                f"{p.current_load} of {p.current.capacity or 0} {unit}"
            )
            for c in expedited:
                self._choice(c, unit)
        w("")
        w("Proposed:")
        planned = [c for c in p.chosen if c.target is Target.NEXT and not c.expedited]
        for c in planned:
            self._choice(c, unit)
        if not planned:
            w("  (nothing)")
        limit = max(0, options.number("left_out"))
        if p.left_out and limit:
            w("")
            w(f"Left in the backlog (first {min(limit, len(p.left_out))} of {len(p.left_out)}):")
            for c in p.left_out[:limit]:
                self._choice(c, unit)
        if p.warnings:
            w("")
            w("Warnings:")
            for warning in p.warnings:
                w(f"  ! {warning}")
        w("")
        if p.blocked and p.current is None:
            w(f"Start {p.sprint.name} today: casebridge sprint start {p.sprint.id}")
        if not p.chosen:
            w(p.empty_reason)
            return
        edits = "".join(f" --add {k}" for k in p.added) + "".join(
            f" --remove {k}" for k in p.removed
        )
        w(
            f"Accept: casebridge sprint accept --sprint {p.sprint.id}{edits} "
            f"--expect {','.join(p.keys)}"
        )

    def _choice(self, c: Choice, unit: str) -> None:
        size = f"{c.estimate} {unit}" if c.estimate is not None else "?"
        flag = "!" if c.over_capacity else " "
        self.stdout.write(f" {flag}#{c.rank:<4} {c.key:<9} {size:>7}  {c.title}")
        self.stdout.write(f"        {c.reason}")

    def _accept(self, options: Options) -> None:
        team, sprint = self._target(options)
        reviewed = options.text_or_none("expect")
        expect = _keys([reviewed]) if reviewed is not None else None
        done = run(
            lambda: services.sprint_plan_accept(
                actor=self.actor,
                team=team,
                sprint=sprint,
                add=_keys(options.texts("add")),
                remove=_keys(options.texts("remove")),
                expect=expect,
                over_capacity_ok=options.flag("over_capacity"),
            )
        )
        if options["json"]:
            print_json(
                {
                    "sprint": serializers.sprint_out(done.sprint).dict(),
                    "scheduled": done.scheduled,
                    "expedited": done.expedited,
                    "expedited_into": done.current.pk if done.current and done.expedited else None,
                    "warnings": list(done.proposal.warnings),
                }
            )
            return
        self.stdout.write(
            f"{done.sprint.key}: scheduled {len(done.scheduled)} "
            f"({', '.join(done.scheduled) or '-'})"
        )
        if done.expedited and done.current is not None:
            self.stdout.write(
                f"{done.current.key}: expedited {', '.join(done.expedited)} (critical)"
            )
        for warning in done.proposal.warnings:
            self.stdout.write(f"  ! {warning}")

    def _start(self, options: Options) -> None:
        sprint = run(lambda: selectors.sprint_find_for(self.actor, options.text("sprint")))
        started = run(lambda: services.sprint_start(actor=self.actor, sprint=sprint))
        out = serializers.sprint_out(started)
        if options["json"]:
            print_json(out.dict())
        else:
            self.stdout.write(f"started {out.key}: {out.start} .. {out.end}")

    def _close(self, options: Options) -> None:
        sprint = run(lambda: selectors.sprint_find_for(self.actor, options.text("sprint")))
        carry_to = (
            run(lambda: selectors.sprint_find_for(self.actor, options.text("carry_to")))
            if options["carry_to"]
            else None
        )
        done = run(
            lambda: services.sprint_close(actor=self.actor, sprint=sprint, carry_to=carry_to)
        )
        data = {
            "sprint": done.sprint.key,
            "done": done.done,
            "carried_over": done.carried_over,
            "carried_to": done.carried_to.key if done.carried_to else None,
            "dropped": done.dropped,
            "committed_points": done.committed_points,
            "committed_done_points": done.committed_done_points,
            "done_points": done.done_points,
        }
        if options["json"]:
            print_json(data)
            return
        self.stdout.write(f"closed {done.sprint.key}: {len(done.done)} done ({done.done_points})")
        if done.carried_over and done.carried_to is not None:
            self.stdout.write(
                f"  carried over to {done.carried_to.key}: {', '.join(done.carried_over)}"
            )
        if done.dropped:
            self.stdout.write(f"  dropped: {', '.join(done.dropped)}")
