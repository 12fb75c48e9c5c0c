"""casebridge case create|list|show|take|comment|escalate|resolve."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from casebridge.accounts.selectors import organisation_by_slug, user_by_username
from casebridge.cases import selectors
from casebridge.cases.api import case_out
from casebridge.cases.attachments import Upload, case_create_with_files, case_escalate_with_files
from casebridge.cases.models import Case, CaseState, Source
from casebridge.cases.services import CaseInput, case_transition, comment_add
from casebridge.catalog.models import Environment
from casebridge.catalog.selectors import component_by_slug, service_by_slug
from casebridge.core.cli import Options, actor_from, add_actor_argument, print_json, run
from casebridge.core.idempotency import run_once
from casebridge.workitems.documentation import DOC_LABELS, ESCALATION_INPUTS

#: What `case create` was asked: with --idempotency-key, the same key must come with the same.
CREATE_OPTIONS = (
    "title",
    "service",
    "component",
    "environment",
    "impact",
    "case_version",
    "org",
    "reporter",
    "description",
    "description_file",
    "attach",
)


def _read(value: str, path: str) -> str:
    if path:
        try:
            return Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}", returncode=2) from exc
    return value


def _visibility_args(p: CommandParser) -> None:
    who = p.add_mutually_exclusive_group()
    who.add_argument(
        "--internal",
        dest="files_internal",
        action="store_const",
        const=True,
        help="The files are for support and development only (the default for staff).",
    )
    who.add_argument(
        "--public",
        dest="files_internal",
        action="store_const",
        const=False,
        help="The customer may see the files too (the default for customers and partners).",
    )


def _uploads(paths: list[str], options: Options) -> list[Upload]:
    """Every file opened before anything is written: one that cannot be read changes nothing."""
    uploads: list[Upload] = []
    for path in paths:
        try:
            handle = Path(path).open("rb")  # noqa: SIM115 - closed by _close
        except OSError as exc:
            _close(uploads)
            raise CommandError(f"cannot read {path}: {exc.strerror}", returncode=2) from exc
        uploads.append(Upload(handle, Path(path).name, options.flag_or_none("files_internal")))
    return uploads


def _close(uploads: list[Upload]) -> None:
    for upload in uploads:
        upload.file.close()


def _age(case: Case) -> str:
    seconds = (timezone.now() - case.created_at).total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return "now"


class Command(BaseCommand):
    help = "Work with cases from the shell. Every verb acts as --as USER and checks their roles."
    requires_system_checks: list[str] = []  # start fast; `casebridge check` runs them

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        self._create_args(sub.add_parser("create", help="Open a case."))
        listing = sub.add_parser("list", help="List cases (the L2 queue by default).")
        listing.add_argument("--state", default="open", help="'open', 'all' or a,b,c.")
        listing.add_argument("--service", default="")
        listing.add_argument("--source", default="", choices=["", *Source.values])
        listing.add_argument("--owner", default="", help="Username, or 'none'.")
        listing.add_argument("--sort", default="oldest", choices=["oldest", "newest"])
        listing.add_argument("--limit", type=int, default=50)
        show = sub.add_parser("show", help="Show one case.")
        show.add_argument("key")
        take = sub.add_parser("take", help="Take a new case (or assign it with --owner).")
        take.add_argument("key")
        take.add_argument("--owner", default="")
        comment = sub.add_parser("comment", help="Add a comment.")
        comment.add_argument("key")
        comment.add_argument("body")
        comment.add_argument("--internal", action="store_true")
        self._escalate_args(sub.add_parser("escalate", help="Escalate to development."))
        self._resolve_args(sub.add_parser("resolve", help="Resolve a case."))
        for verb in sub.choices.values():
            add_actor_argument(verb)
            if verb.prog.split()[-1] in ("list", "show", "create", "escalate", "resolve", "take"):
                verb.add_argument("--json", action="store_true", help="Print JSON.")

    @staticmethod
    def _create_args(p: CommandParser) -> None:
        p.add_argument("--title", required=True)
        p.add_argument("--service", required=True, help="Service slug.")
        p.add_argument("--component", default="")
        p.add_argument("--environment", required=True, choices=Environment.values)
        p.add_argument("--impact", default="medium", choices=["low", "medium", "high", "critical"])
        p.add_argument("--version", dest="case_version", default="")
        p.add_argument("--org", default="", help="Customer organisation slug.")
        p.add_argument(
            "--reporter",
            default="",
            help="The caller you log it for (one of --org's people); you are recorded as "
            "the one who logged it.",
        )
        p.add_argument("--description", default="")
        p.add_argument("--description-file", default="")
        p.add_argument(
            "--attach",
            action="append",
            default=[],
            help="File to attach. Repeatable. The case is created only if every file is accepted.",
        )
        p.add_argument(
            "--idempotency-key",
            default=None,
            help="Retry safely: the same key with the same arguments opens the case once and "
            "shows it again (kept CASEBRIDGE_IDEMPOTENCY_KEY_HOURS hours).",
        )
        _visibility_args(p)

    @staticmethod
    def _escalate_args(p: CommandParser) -> None:
        p.add_argument("key")
        p.add_argument("--category", choices=["bug", "feature", "improvement"])
        p.add_argument("--work-item", default="", help="Link to this existing work item.")
        p.add_argument("--title", default="")
        for name in ESCALATION_INPUTS:
            flag = "--" + name.replace("_", "-")
            p.add_argument(flag, dest=f"doc_{name}", default="", help=DOC_LABELS.get(name))
        p.add_argument(
            "--log-file",
            action="append",
            default=[],
            help="Attach this log file with the escalation (repeatable); "
            "if the escalation is refused, it is not kept.",
        )
        _visibility_args(p)

    @staticmethod
    def _resolve_args(p: CommandParser) -> None:
        p.add_argument("key")
        p.add_argument(
            "--resolution", required=True, choices=["known_fix", "no_fault", "duplicate"]
        )
        p.add_argument("--known-resolution", default="", help="e.g. KR-3 (known_fix).")
        p.add_argument("--action-taken", default="", help="What was done (known_fix).")
        p.add_argument("--duplicate-of", default="", help="Case key (duplicate).")
        p.add_argument("--note", default="")

    def handle(self, *args: object, **options: object) -> None:
        self.actor = actor_from(options)
        getattr(self, f"_{options['verb']}")(Options(options))

    def _print(self, case: Case, options: Options) -> None:
        fresh = selectors.case_get_for(self.actor, case.key)
        if options.get("json"):
            print_json(case_out(self.actor, fresh).dict())
            return
        self.stdout.write(f"{fresh.key}  {fresh.title}")
        self.stdout.write(
            f"  state: {fresh.state}" + (f" ({fresh.resolution})" if fresh.resolution else "")
        )
        self.stdout.write(
            f"  service: {fresh.service.slug}"
            + (f"/{fresh.component.slug}" if fresh.component else "")
        )
        self.stdout.write(
            f"  environment: {fresh.environment}  impact: {fresh.impact}"
            f"  version: {fresh.version or '-'}"
        )
        self.stdout.write(
            f"  owner: {fresh.owner.username if fresh.owner else '-'}  source: {fresh.source}"
        )
        logged = fresh.logged_by
        self.stdout.write(
            f"  reporter: {fresh.reporter.username}"
            + (f"  logged by: {logged.username}" if logged and logged != fresh.reporter else "")
        )
        if fresh.work_item:
            self.stdout.write(f"  work item: {fresh.work_item.key} ({fresh.work_item.status})")

    def _create(self, options: Options) -> None:
        uploads = _uploads(options.texts("attach"), options)

        def build() -> Case:
            service = service_by_slug(options.text("service"))
            data = CaseInput(
                title=options.text("title"),
                description=_read(options.text("description"), options.text("description_file")),
                service=service,
                component=component_by_slug(service, options.text("component"))
                if options["component"]
                else None,
                environment=options.text("environment"),
                impact=options.text("impact"),
                version=options.text("case_version"),
                organisation=organisation_by_slug(options.text("org"), field="org")
                if options["org"]
                else None,
                reporter=user_by_username(options.text("reporter"), field="reporter")
                if options["reporter"]
                else None,
            )
            return case_create_with_files(
                actor=self.actor, data=data, uploads=uploads, channel="cli"
            )

        asked = {name: options[name] for name in CREATE_OPTIONS}
        try:
            done, _replayed = run_once(
                f"user:{self.actor.pk}",
                options.text_or_none("idempotency_key"),
                asked,
                lambda: {"key": run(build).key},
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            _close(uploads)
        self._print(run(lambda: selectors.case_get_for(self.actor, str(done["key"]))), options)

    def _list(self, options: Options) -> None:
        state = "" if options.text("state") == "all" else options.text("state")
        filters = selectors.CaseFilters(
            states=run(lambda: selectors.parse_states(state)),
            service=options.text("service"),
            source=options.text("source"),
            owner=options.text("owner"),
            sort=options.text("sort"),
        )
        cases = list(
            selectors.case_list_for(self.actor, filters)[: max(1, options.number("limit"))]
        )
        if options["json"]:
            print_json([case_out(self.actor, c).dict() for c in cases])
            return
        if not cases:
            self.stdout.write("no cases")
        for c in cases:
            self.stdout.write(
                f"{c.key:<9} {CaseState(c.state).label:<20} {_age(c):>5}  "
                f"{c.service.slug:<14} {c.title}"
            )

    def _show(self, options: Options) -> None:
        case = run(lambda: selectors.case_get_for(self.actor, options.text("key")))
        self._print(case, options)
        if not options["json"]:
            self.stdout.write("")
            self.stdout.write(case.description or "(no description)")
            for comment in selectors.comments_for(self.actor, case):
                tag = " [internal]" if comment.internal else ""
                self.stdout.write(
                    f"\n{comment.author.username}{tag}, {comment.created_at:%Y-%m-%d %H:%M}:"
                )
                self.stdout.write(f"  {comment.body}")

    def _take(self, options: Options) -> None:
        case = run(lambda: selectors.case_get_for(self.actor, options.text("key")))
        owner = (
            run(lambda: user_by_username(options.text("owner"), field="owner"))
            if options["owner"]
            else None
        )
        case = run(
            lambda: case_transition(
                actor=self.actor, case=case, action="take", data={"owner": owner}
            )
        )
        self._print(case, options)

    def _comment(self, options: Options) -> None:
        case = run(lambda: selectors.case_get_for(self.actor, options.text("key")))
        run(
            lambda: comment_add(
                actor=self.actor,
                case=case,
                body=options.text("body"),
                internal=options.flag("internal"),
            )
        )
        self.stdout.write(f"commented on {case.key}")

    def _escalate(self, options: Options) -> None:
        case = run(lambda: selectors.case_get_for(self.actor, options.text("key")))
        data = {
            "category": options["category"],
            "work_item": options["work_item"],
            "title": options["title"],
            "docs": {name: options[f"doc_{name}"] for name in ESCALATION_INPUTS},
        }
        uploads = _uploads(options.texts("log_file"), options)
        try:
            case = run(
                lambda: case_escalate_with_files(
                    actor=self.actor, case=case, data=data, uploads=uploads
                )
            )
        finally:
            _close(uploads)
        self._print(case, options)

    def _resolve(self, options: Options) -> None:
        case = run(lambda: selectors.case_get_for(self.actor, options.text("key")))
        data = {
            "resolution": options["resolution"],
            "known_resolution": options["known_resolution"],
            "action_taken": options["action_taken"],
            "duplicate_of": options["duplicate_of"],
            "note": options["note"],
        }
        case = run(
            lambda: case_transition(actor=self.actor, case=case, action="resolve", data=data)
        )
        self._print(case, options)
