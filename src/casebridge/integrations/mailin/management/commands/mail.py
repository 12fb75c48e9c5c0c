"""casebridge mail ingest|list|retry|process (as the server's operator).

``casebridge mail ingest [--mailbox NAME] < message.eml`` reads one raw RFC 5322 message on
standard input (a mail server's pipe, e.g. Postfix ``mailbox_command`` or an alias
``"|casebridge mail ingest"``), stores it and then processes it. Exit codes follow sysexits so
the mail server does the right thing: 0 stored (or already stored), 65 (EX_DATAERR) refused for
good (too large, empty: the server bounces it), 75 (EX_TEMPFAIL) not stored for now (the
database is unreachable: the server keeps it and tries again).
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TypedDict

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from casebridge.core.cli import Options, print_json, run
from casebridge.core.errors import DomainError
from casebridge.integrations.mailin.intake import mail_process_due, mail_process_one
from casebridge.integrations.mailin.models import InboundMail, Mailbox, MailState
from casebridge.integrations.mailin.selectors import is_poison, mail_get_for, mail_list_for
from casebridge.integrations.mailin.services import mail_retry
from casebridge.integrations.mailin.store import mail_store

EX_DATAERR = 65
EX_TEMPFAIL = 75


def _mailbox(name: str) -> Mailbox:
    if name:
        found = Mailbox.objects.filter(name=name).first()
        if found is None:
            raise CommandError(f"no mailbox '{name}'", returncode=EX_DATAERR)
        return found
    mailboxes = list(Mailbox.objects.order_by("name")[:2])
    if len(mailboxes) != 1:
        raise CommandError(
            "name the mailbox: --mailbox NAME"
            if mailboxes
            else "add a mailbox first: casebridge mailbox add support --service SLUG",
            returncode=EX_DATAERR,
        )
    return mailboxes[0]


class MailRow(TypedDict):
    id: int
    mailbox: str | None
    message_id: str
    sender: str
    subject: str
    received_at: datetime
    state: str
    outcome: str
    case: str | None
    attempts: int
    error: str


def _row(m: InboundMail) -> MailRow:
    return {
        "id": m.pk,
        "mailbox": m.mailbox.name if m.mailbox else None,
        "message_id": m.message_id,
        "sender": m.sender,
        "subject": m.subject,
        "received_at": m.received_at,
        "state": "poison" if is_poison(m) else m.state,
        "outcome": m.outcome,
        "case": m.case.key if m.case else None,
        "attempts": m.attempts,
        "error": m.error,
    }


class Command(BaseCommand):
    help = "E-mail in: ingest one message from stdin, list stored messages, retry failed ones."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        ingest = sub.add_parser("ingest", help="Store one RFC 5322 message read on stdin.")
        ingest.add_argument("--mailbox", default="", help="Needed when there are several.")
        ingest.add_argument("--no-process", action="store_true", help="Leave it to the worker.")
        listing = sub.add_parser("list", help="Stored messages, newest first.")
        listing.add_argument("--state", default="", choices=["", "poison", *MailState.values])
        listing.add_argument("--mailbox", default="")
        listing.add_argument("--limit", type=int, default=50)
        retry = sub.add_parser("retry", help="Retry a failed message now.")
        retry.add_argument("id", type=int)
        sub.add_parser("process", help="Process the due messages now (the worker does it).")
        for verb in sub.choices.values():
            verb.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: object, **options: object) -> None:
        opts = Options(options)
        verb = opts.text("verb")
        if verb == "ingest":
            self._ingest(opts)
        elif verb == "list":
            self._list(opts)
        elif verb == "retry":
            self._retry(opts)
        else:
            self._process(opts)

    def _ingest(self, opts: Options) -> None:
        raw = sys.stdin.buffer.read(settings.MAIL_MAX_BYTES + 1)
        try:
            mailbox = _mailbox(opts.text("mailbox"))
            stored = mail_store(raw=raw, mailbox=mailbox, via="pipe")
        except DomainError as exc:
            raise CommandError(exc.message, returncode=EX_DATAERR) from exc
        except DatabaseError as exc:
            raise CommandError(f"not stored, try again: {exc}", returncode=EX_TEMPFAIL) from exc
        mail = stored.mail
        if not stored.duplicate and not opts.flag("no_process"):
            mail_process_one(mail.pk)
            mail.refresh_from_db()
        case = mail.case.key if mail.case else None
        if opts.flag("json"):
            print_json(
                {
                    "id": mail.pk,
                    "duplicate": stored.duplicate,
                    "state": mail.state,
                    "outcome": mail.outcome,
                    "case": case,
                    "error": mail.error,
                }
            )
            return
        again = " (already stored)" if stored.duplicate else ""
        what = f"{mail.outcome or mail.state}" + (f" {case}" if case else "")
        self.stdout.write(f"stored message {mail.pk}{again}: {what}")

    def _list(self, opts: Options) -> None:
        state = opts.text("state")
        mails = mail_list_for(
            None,
            state="failed" if state == "poison" else state,
            mailbox=opts.text("mailbox"),
            limit=opts.number("limit"),
        )
        rows = [_row(m) for m in mails if state != "poison" or is_poison(m)]
        if opts.flag("json"):
            print_json(rows)
            return
        for row in rows:
            self.stdout.write(
                f"{row['id']:>7} {row['state']:<8} {row['outcome']:<15} {row['case'] or '':<10} "
                f"{row['sender'][:32]:<32} {row['subject'][:40]}"
                + (f"\n        {row['error'][:120]}" if row["error"] else "")
            )

    def _retry(self, opts: Options) -> None:
        mail_id = opts.number("id")
        mail = run(lambda: mail_get_for(None, mail_id))
        run(lambda: mail_retry(actor=None, mail=mail))
        self.stdout.write(f"message {mail.pk} will be processed again")

    def _process(self, opts: Options) -> None:
        total = 0
        while done := mail_process_due():
            total += done
        if opts.flag("json"):
            print_json({"processed": total})
            return
        self.stdout.write(f"processed {total}")
