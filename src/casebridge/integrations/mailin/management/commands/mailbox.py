"""casebridge mailbox add|list|remove|status|poll|domain (as the server's operator): the IMAP
mailboxes the worker reads, and the e-mail domains of organisations.

The IMAP password is read from the environment (``CASEBRIDGE_IMAP_PASSWORD``) or, with
``--password-stdin``, from the first line of standard input; it is sealed at rest and never
printed.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from typing import TypedDict

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casebridge.catalog.models import Environment
from casebridge.core.cli import Options, print_json, run
from casebridge.integrations.mailin import imap
from casebridge.integrations.mailin.models import Mailbox
from casebridge.integrations.mailin.selectors import (
    mail_domain_get_for,
    mail_domain_list_for,
    mailbox_get_for,
    mailbox_list_for,
)
from casebridge.integrations.mailin.services import (
    mail_domain_remove,
    mail_domain_set,
    mailbox_add,
    mailbox_remove,
)

PASSWORD_ENV = "CASEBRIDGE_IMAP_PASSWORD"  # noqa: S105 - the name of a variable


class MailboxRow(TypedDict):
    name: str
    imap_url: str
    folder: str
    processed_folder: str
    organisation: str | None
    service: str
    environment: str
    enabled: bool
    uidvalidity: int | None
    last_uid: int
    last_polled_at: datetime | None
    last_error: str
    pending: int | None
    failed: int | None


def _row(mailbox: Mailbox) -> MailboxRow:
    return {
        "name": mailbox.name,
        "imap_url": mailbox.imap_url,
        "folder": mailbox.folder,
        "processed_folder": mailbox.processed_folder,
        "organisation": mailbox.organisation.slug if mailbox.organisation else None,
        "service": mailbox.service.slug,
        "environment": mailbox.environment,
        "enabled": mailbox.enabled,
        "uidvalidity": mailbox.uidvalidity,
        "last_uid": mailbox.last_uid,
        "last_polled_at": mailbox.last_polled_at,
        "last_error": mailbox.last_error,
        "pending": getattr(mailbox, "pending", None),
        "failed": getattr(mailbox, "failed", None),
    }


class Command(BaseCommand):
    help = "Manage the mailboxes e-mail comes in from (as the server's operator)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        add = sub.add_parser("add", help="Add a mailbox (checks the IMAP login unless --no-check).")
        add.add_argument("name", nargs="?", default="support")
        add.add_argument("--imap-url", default="", help="imaps://user@host[:port]/FOLDER")
        add.add_argument("--folder", default="", help="The folder to read (default INBOX).")
        add.add_argument(
            "--processed-folder",
            default="",
            help="Move processed mail there (default: leave it, flagged \\Seen).",
        )
        add.add_argument("--org", default="", help="Mail to it is from this organisation only.")
        add.add_argument(
            "--service", default="", help="New cases' service (slug; default: the first one)."
        )
        add.add_argument(
            "--environment", default=Environment.PRODUCTION, choices=Environment.values
        )
        add.add_argument(
            "--password-stdin", action="store_true", help="Read the password on stdin."
        )
        add.add_argument("--no-check", action="store_true", help="Do not log in to check.")
        sub.add_parser("list", help="List the mailboxes.")
        remove = sub.add_parser("remove", help="Remove a mailbox (its stored messages stay).")
        remove.add_argument("name")
        status = sub.add_parser("status", help="One mailbox: watermark, last poll, counts.")
        status.add_argument("name")
        poll = sub.add_parser("poll", help="Poll now (the worker polls by itself).")
        poll.add_argument("name")
        domain = sub.add_parser("domain", help="An organisation's e-mail domain.")
        domain.add_argument("domain", nargs="?", default="", help="e.g. acme.example")
        domain.add_argument("--org", default="")
        domain.add_argument(
            "--enrol",
            action="store_true",
            help="Unknown senders of the domain become reporters of the organisation.",
        )
        domain.add_argument("--remove", action="store_true")
        for verb in sub.choices.values():
            verb.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: object, **options: object) -> None:
        opts = Options(options)
        verb = opts.text("verb")
        if verb == "add":
            self._add(opts)
        elif verb == "list":
            self._list(opts)
        elif verb == "remove":
            self._remove(opts)
        elif verb == "status":
            self._status(opts)
        elif verb == "poll":
            self._poll(opts)
        else:
            self._domain(opts)

    def _password(self, opts: Options) -> str:
        if opts.flag("password_stdin"):
            return sys.stdin.readline().rstrip("\r\n")
        return os.environ.get(PASSWORD_ENV, "")

    def _add(self, opts: Options) -> None:
        mailbox = run(
            lambda: mailbox_add(
                actor=None,
                name=opts.text("name"),
                imap_url=opts.text("imap_url"),
                password=self._password(opts),
                folder=opts.text("folder"),
                processed_folder=opts.text("processed_folder"),
                organisation=opts.text("org"),
                service=opts.text("service"),
                environment=opts.text("environment"),
            )
        )
        if mailbox.host and not opts.flag("no_check"):
            try:
                validity = imap.folder_check(mailbox)
            except imap.IMAP_ERRORS as exc:
                mailbox_remove(actor=None, mailbox=mailbox)
                raise CommandError(
                    f"could not read {mailbox.imap_url}: {type(exc).__name__}: {exc} "
                    "(nothing was added; --no-check adds it anyway)",
                    returncode=1,
                ) from exc
            self.stdout.write(f"logged in to {mailbox.imap_url} (UIDVALIDITY {validity})")
        if opts.flag("json"):
            print_json(_row(mailbox))
            return
        door = mailbox.imap_url or "casebridge mail ingest --mailbox " + mailbox.name
        self.stdout.write(f"added mailbox {mailbox.name}: {door}")

    def _list(self, opts: Options) -> None:
        rows = [_row(m) for m in mailbox_list_for(None)]
        if opts.flag("json"):
            print_json(rows)
            return
        if not rows:
            self.stdout.write("no mailboxes (casebridge mailbox add --imap-url ...)")
        for row in rows:
            error = f"  error: {row['last_error'][:80]}" if row["last_error"] else ""
            self.stdout.write(
                f"{row['name']:<20} {row['imap_url'] or '(mail ingest only)':<50} "
                f"pending {row['pending']:>5}  failed {row['failed']:>4}{error}"
            )

    def _remove(self, opts: Options) -> None:
        name = opts.text("name")
        mailbox = run(lambda: mailbox_get_for(None, name))
        run(lambda: mailbox_remove(actor=None, mailbox=mailbox))
        self.stdout.write(f"removed mailbox {name}")

    def _status(self, opts: Options) -> None:
        name = opts.text("name")
        row = _row(run(lambda: mailbox_get_for(None, name)))
        if opts.flag("json"):
            print_json(row)
            return
        for name, value in row.items():
            self.stdout.write(f"{name:<17} {'' if value is None else value}")

    def _poll(self, opts: Options) -> None:
        name = opts.text("name")
        mailbox = run(lambda: mailbox_get_for(None, name))
        if not mailbox.host:
            raise CommandError(f"mailbox {mailbox.name} has no IMAP URL", returncode=2)
        result = imap.mailbox_poll_recorded(mailbox)
        if result is None:
            raise CommandError(f"poll failed: {mailbox.last_error}", returncode=1)
        if opts.flag("json"):
            print_json(vars(result))
            return
        self.stdout.write(
            f"fetched {result.fetched}: stored {result.stored}, already stored "
            f"{result.duplicates}, too large {result.too_large}"
        )

    def _domain(self, opts: Options) -> None:
        domain = opts.text("domain")
        if opts.flag("remove"):
            found = run(lambda: mail_domain_get_for(None, domain))
            run(lambda: mail_domain_remove(actor=None, domain=found))
            self.stdout.write(f"removed e-mail domain {found.domain}")
            return
        if domain:
            run(
                lambda: mail_domain_set(
                    actor=None,
                    domain=domain,
                    organisation=opts.text("org"),
                    enrol_senders=opts.flag("enrol"),
                )
            )
        rows = [
            {
                "domain": d.domain,
                "organisation": d.organisation.slug,
                "enrol_senders": d.enrol_senders,
            }
            for d in mail_domain_list_for(None)
        ]
        if opts.flag("json"):
            print_json(rows)
            return
        for row in rows:
            enrol = (
                "unknown senders become reporters" if row["enrol_senders"] else "known senders only"
            )
            self.stdout.write(f"{row['domain']:<32} {row['organisation']:<24} {enrol}")
