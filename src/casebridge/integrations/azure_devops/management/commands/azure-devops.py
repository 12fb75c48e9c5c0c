"""casebridge azure-devops connect|list|show|map|status|sync|conflicts|resolve (``--as`` or
``$CASEBRIDGE_USER``; connections are administrators', conflicts the RTE's).

``sync`` runs the reconcile job now (every connection, or one): processes the stored service
hooks, then reads what changed since the watermark and pushes what Casebridge changed.

The token is never a command-line argument (it would stay in the shell's history and in ``ps``):
give the name of the environment variable holding it (``--pat-env``), or pipe it in
(``--pat-stdin``) to have it sealed in the database.
"""

from __future__ import annotations

import sys
from typing import TypedDict, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casebridge.core.actors import SYSTEM
from casebridge.core.cli import actor_from, add_actor_argument, print_json, run
from casebridge.integrations.azure_devops import conflicts, selectors, services
from casebridge.integrations.azure_devops.clients import token_of, verify
from casebridge.integrations.azure_devops.existing import work_item_import, work_item_link_existing
from casebridge.integrations.azure_devops.models import Connection, WorkItemLink
from casebridge.integrations.azure_devops.processes import CATEGORIES, PROCESSES, CategoryMapping
from casebridge.integrations.azure_devops.reconcile import reconcile
from casebridge.integrations.azure_devops.schemas import ConflictOut, ConnectionOut, link_out
from casebridge.integrations.delivery.processing import process_pending
from casebridge.workitems.models import WorkItem


def _pairs(values: list[str], option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values:
        key, sep, target = value.partition("=")
        if not sep or not key:
            raise CommandError(f"{option} takes key=value, not '{value}'", returncode=2)
        pairs[key.strip()] = target.strip()
    return pairs


class Options(TypedDict, total=False):
    """What the subcommands' arguments parse to."""

    verb: str
    json: bool
    slug: str
    name: str
    url: str
    project: str
    pat_env: str
    pat_stdin: bool
    team: str
    category: str
    process: str
    area_path: str
    iteration_path: str
    type: str
    types: list[str]
    state: list[str]
    from_ado: list[str]
    field: list[str]
    iteration: list[str]
    reset: bool
    check: bool
    workers: int
    which: str
    id: int
    resolution: str
    note: str
    ref: str
    key: str


class Command(BaseCommand):
    help = "Connect Casebridge to Azure DevOps projects and map their states and fields (admin)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        connect = sub.add_parser("connect", help="Connect a team or category to a project.")
        connect.add_argument("--name", required=True)
        connect.add_argument(
            "--url", required=True, help="https://dev.azure.com/ORG or https://HOST/tfs/COLLECTION"
        )
        connect.add_argument("--project", required=True)
        token = connect.add_mutually_exclusive_group(required=True)
        token.add_argument("--pat-env", default="", help="Environment variable holding the token.")
        token.add_argument(
            "--pat-stdin", action="store_true", help="Read the token from stdin and seal it."
        )
        connect.add_argument("--slug", default="")
        connect.add_argument("--team", default="", help="Team slug (default: every team).")
        connect.add_argument("--category", default="", choices=["", *CATEGORIES])
        connect.add_argument("--process", default="", choices=["", *PROCESSES])
        connect.add_argument("--area-path", default="")
        connect.add_argument("--iteration-path", default="")
        connect.add_argument(
            "--type",
            dest="types",
            action="append",
            default=[],
            metavar="CATEGORY=TYPE",
            help="Repeatable.",
        )
        sub.add_parser("list", help="List the connections.")
        show = sub.add_parser("show", help="Show a connection and its mapping.")
        show.add_argument("slug")
        mapping = sub.add_parser("map", help="Change a category's mapping.")
        mapping.add_argument("slug")
        mapping.add_argument("--category", required=True, choices=CATEGORIES)
        mapping.add_argument("--type", default="", help="A new type starts from its defaults.")
        mapping.add_argument(
            "--state", action="append", default=[], metavar="OURS=THEIRS", help="Repeatable."
        )
        mapping.add_argument(
            "--from-ado", action="append", default=[], metavar="THEIRS=OURS", help="Repeatable."
        )
        mapping.add_argument(
            "--field", action="append", default=[], metavar="FIELD=REFERENCE", help="Repeatable."
        )
        mapping.add_argument(
            "--iteration",
            action="append",
            default=[],
            metavar="PATH=TEAM/SPRINT",
            help="Repeatable; the connection's (every category). PATH= means no sprint.",
        )
        mapping.add_argument("--reset", action="store_true", help="Back to the defaults.")
        status = sub.add_parser("status", help="The door's backlog, the watermark, last errors.")
        status.add_argument("slug")
        status.add_argument("--check", action="store_true", help="Ask the server now.")
        sync = sub.add_parser("sync", help="Reconcile now: hooks, changes since the watermark.")
        sync.add_argument("slug", nargs="?", default="", help="One connection (default: all).")
        sync.add_argument(
            "--workers", type=int, default=1, help="Items pushed at once (the initial mirror)."
        )
        conflicts = sub.add_parser("conflicts", help="Sync conflicts (open by default).")
        conflicts.add_argument(
            "--state", dest="which", default="open", choices=["open", "resolved", "all"]
        )
        resolve = sub.add_parser("resolve", help="Resolve a sync conflict (RTE).")
        resolve.add_argument("id", type=int)
        resolve.add_argument("resolution", choices=["ours", "retry"])
        resolve.add_argument("--note", default="")
        imports = sub.add_parser("import", help="Import an existing Azure DevOps item, linked.")
        imports.add_argument("slug")
        imports.add_argument("ref", help="123, AB#123 or the item's URL")
        imports.add_argument("--category", default="bug", choices=CATEGORIES)
        link = sub.add_parser("link", help="Link a work item to an existing Azure DevOps item.")
        link.add_argument("key", help="BUG-7, FR-3, IMP-2")
        link.add_argument("ref", help="123, AB#123 or the item's URL")
        for verb in sub.choices.values():
            add_actor_argument(verb)
            verb.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: object, **options: object) -> None:
        self.actor = actor_from(options)
        getattr(self, f"_{options['verb']}")(options)

    def _connect(self, options: Options) -> None:
        pat = sys.stdin.readline().strip() if options["pat_stdin"] else ""
        team = run(lambda: selectors.team_by_slug(options["team"]))
        connection, secret = run(
            lambda: services.connection_connect(
                actor=self.actor,
                name=options["name"],
                organization_url=options["url"],
                project=options["project"],
                pat=pat,
                pat_env=options["pat_env"],
                slug=options["slug"],
                team=team,
                category=options["category"],
                process=options["process"],
                area_path=options["area_path"],
                iteration_path=options["iteration_path"],
                types=_pairs(options["types"], "--type"),
            )
        )
        out = ConnectionOut.of(connection)
        if options["json"]:
            print_json({**out.dict(), "hook_secret": secret})
            return
        self.stdout.write(
            f"connected {out.slug}: {out.project} at {out.organization_url} "
            f"({out.process}, {out.deployment}) for {out.scope}, acting as {out.service_account}"
        )
        self.stdout.write(f"service hooks: POST {out.hook_url} with basic authentication")
        self.stdout.write(f"hook password (shown once, store it now): {secret}")

    def _list(self, options: Options) -> None:
        rows = [ConnectionOut.of(c) for c in run(lambda: selectors.connection_list_for(self.actor))]
        if options["json"]:
            print_json([row.dict() for row in rows])
            return
        if not rows:
            self.stdout.write("no connections")
        for row in rows:
            self.stdout.write(
                f"{row.slug:<20} {row.process:<6} {row.organization_url}/{row.project}  "
                f"{row.scope}  token {row.token}{'' if row.enabled else '  (disabled)'}"
            )

    def _show(self, options: Options) -> None:
        status = run(lambda: selectors.connection_status_for(self.actor, options["slug"]))
        out = ConnectionOut.of(status.connection, status)
        if options["json"]:
            print_json(out.dict())
            return
        self.stdout.write(f"{out.slug}  {out.name}: {out.project} at {out.organization_url}")
        self.stdout.write(f"  {out.process} process, {out.deployment}, for {out.scope}")
        self.stdout.write(f"  token {out.token}, acting as {out.service_account}")
        self.stdout.write(f"  area {out.area_path}, iteration {out.iteration_path}")
        self.stdout.write(f"  hooks: POST {out.hook_url} (secret {out.hook_secret_hint})")
        for category, mapping in out.mapping.items():
            self._mapping(category, mapping)

    def _mapping(self, category: str, given: object) -> None:
        mapping = cast("CategoryMapping", given)
        self.stdout.write(f"  {category} -> {mapping['type']}")
        for ours, theirs in mapping["to_ado"].items():
            self.stdout.write(f"    {ours:<22} -> {theirs}")
        for theirs, ours in mapping["from_ado"].items():
            self.stdout.write(f"    {theirs:<22} <- means {ours}")
        for name, reference in mapping["fields"].items():
            self.stdout.write(f"    field {name:<16} -> {reference or '(in the description)'}")

    def _map(self, options: Options) -> None:
        connection = run(lambda: selectors.connection_get_for(self.actor, options["slug"]))
        connection = run(
            lambda: services.connection_map(
                actor=self.actor,
                connection=connection,
                category=options["category"],
                type_name=options["type"],
                to_ado=_pairs(options["state"], "--state"),
                from_ado=_pairs(options["from_ado"], "--from-ado"),
                fields=_pairs(options["field"], "--field"),
                iterations=_pairs(options["iteration"], "--iteration"),
                reset=options["reset"],
            )
        )
        mapping = connection.mapping[options["category"]]
        if options["json"]:
            print_json(mapping)
            return
        self._mapping(options["category"], mapping)

    def _status(self, options: Options) -> None:
        status = run(lambda: selectors.connection_status_for(self.actor, options["slug"]))
        connection = status.connection
        row: dict[str, object] = {
            "slug": connection.slug,
            "enabled": connection.enabled,
            "pending_hooks": status.pending_hooks,
            "failed_hooks": status.failed_hooks,
            "last_hook_at": status.last_hook_at,
            "watermark": connection.watermark,
            "last_synced_at": connection.last_synced_at,
            "last_error": connection.last_error,
        }
        if options["check"]:
            verified = run(
                lambda: verify(
                    organization_url=connection.organization_url,
                    project=connection.project,
                    pat=token_of(connection),
                    pat_field="pat_env" if connection.pat_env else "pat",
                )
            )
            row["check"] = {"ok": True, "acting_as": verified.me.unique_name}
        if options["json"]:
            print_json(row)
            return
        for key, value in row.items():
            check = value if isinstance(value, dict) else {}
            shown = f"ok, acting as {check.get('acting_as')}" if key == "check" else value
            self.stdout.write(f"{key:<16} {'-' if value in (None, '') else shown}")

    def _sync(self, options: Options) -> None:

        if options["slug"]:
            chosen = [run(lambda: selectors.connection_get_for(self.actor, options["slug"]))]
        else:
            chosen = list(run(lambda: selectors.connection_list_for(self.actor)))
        hooks = process_pending(limit=1000)
        workers = max(1, min(16, options["workers"]))
        results = [reconcile(c, workers=workers) for c in chosen if c.enabled]
        if options["json"]:
            print_json({"hooks": hooks, "connections": [vars(r) for r in results]})
        else:
            self.stdout.write(f"hooks processed: {hooks}")
            for r in results:
                self.stdout.write(
                    f"{r.connection}: {r.changed} changed there, {r.applied} applied here, "
                    f"{r.conflicts} new conflicts, {r.pushed} written there, "
                    f"{r.requests} requests"
                )
                for error in r.errors:
                    self.stderr.write(f"  {error}")
        if any(r.errors for r in results):
            raise CommandError("some items did not sync (see above)", returncode=1)

    def _conflicts(self, options: Options) -> None:

        rows = [
            ConflictOut.of(c)
            for c in run(lambda: conflicts.conflict_list_for(self.actor, state=options["which"]))
        ]
        if options["json"]:
            print_json([row.dict() for row in rows])
            return
        if not rows:
            self.stdout.write("no conflicts")
        for row in rows:
            self.stdout.write(
                f"{row.id:<6} {row.work_item:<10} #{row.ado_id:<7} {row.summary}"
                + (f"  [{row.resolution}]" if row.resolution else "")
            )
            for reason in row.reasons:
                self.stdout.write(f"         - {reason['message']}")

    def _resolve(self, options: Options) -> None:

        conflict = run(lambda: conflicts.conflict_get_for(self.actor or SYSTEM, options["id"]))
        done = run(
            lambda: conflicts.conflict_resolve(
                actor=self.actor,
                conflict=conflict,
                resolution=options["resolution"],
                note=options["note"],
            )
        )
        out = ConflictOut.of(done)
        if options["json"]:
            print_json(out.dict())
            return
        self.stdout.write(f"conflict {out.id} resolved: {out.resolution}")

    def _import(self, options: Options) -> None:

        connection = Connection.objects.filter(slug=options["slug"]).first()
        if connection is None:
            raise CommandError(f"no connection '{options['slug']}'", returncode=1)
        item = run(
            lambda: work_item_import(
                actor=self.actor,
                ref=options["ref"],
                connection=connection,
                category=options["category"],
            )
        )
        out = link_out(WorkItemLink.objects.get(work_item=item))
        if options["json"]:
            print_json(out.dict())
            return
        self.stdout.write(f"imported #{out.ado_id} as {out.work_item} ({item.status})")

    def _link(self, options: Options) -> None:

        item = WorkItem.objects.filter(key=options["key"].strip().upper()).first()
        if item is None:
            raise CommandError(f"no work item {options['key']}", returncode=1)
        link = run(lambda: work_item_link_existing(actor=self.actor, item=item, ref=options["ref"]))
        out = link_out(link)
        if options["json"]:
            print_json(out.dict())
            return
        self.stdout.write(f"{out.work_item} is linked to #{out.ado_id}")
