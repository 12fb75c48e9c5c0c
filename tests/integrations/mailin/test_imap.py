"""The IMAP poller against a real Dovecot (tests/servers): each message read once, marked on the
server, the same message fetched twice one case, and the CLI of mailboxes and of the pipe."""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from casebridge.cases.models import Case, Source
from casebridge.integrations.mailin.imap import mailbox_poll, mailbox_poll_recorded
from casebridge.integrations.mailin.intake import mail_process_due
from casebridge.integrations.mailin.models import InboundMail, Mailbox, Outcome
from casebridge.integrations.mailin.services import mailbox_add
from tests.factories import World
from tests.integrations.mailin.messages import raw_mail
from tests.servers.imap import ImapServer

pytestmark = pytest.mark.django_db(transaction=True)


def _url(server: ImapServer) -> str:
    return f"imap://{server.user}@{server.host}:{server.port}/INBOX"


def _mailbox(server: ImapServer, **options: Any) -> Mailbox:
    return mailbox_add(
        actor=None,
        name="support",
        imap_url=_url(server),
        password=server.password,
        service="payments",
        **options,
    )


def test_the_poller_reads_each_message_once_and_flags_it(
    world: World, imap_server: ImapServer
) -> None:
    mailbox = _mailbox(imap_server)
    imap_server.append(raw_mail(subject="First problem", message_id="<p1@mail.example.com>"))
    imap_server.append(raw_mail(subject="Second problem", message_id="<p2@mail.example.com>"))
    result = mailbox_poll(mailbox)
    assert (result.fetched, result.stored) == (2, 2)
    mailbox.refresh_from_db()
    assert mailbox.uidvalidity == imap_server.uidvalidity() and mailbox.last_uid == 2
    assert all("\\Seen" in m.flags for m in imap_server.messages())
    again = mailbox_poll(mailbox)
    assert again.fetched == 0
    imap_server.append(raw_mail(subject="Third problem", message_id="<p3@mail.example.com>"))
    assert mailbox_poll(mailbox).stored == 1
    mail_process_due()
    titles = sorted(Case.objects.filter(source=Source.EMAIL).values_list("title", flat=True))
    assert titles == ["First problem", "Second problem", "Third problem"]


def test_processed_mail_is_moved_and_a_refetch_is_one_case(
    world: World, imap_server: ImapServer
) -> None:
    mailbox = _mailbox(imap_server, processed_folder="Casebridge")
    raw = raw_mail(message_id="<twice@mail.example.com>")
    imap_server.append(raw)
    assert mailbox_poll(mailbox).stored == 1
    assert imap_server.messages("INBOX") == []
    [moved] = imap_server.messages("Casebridge")
    assert moved.message["Message-ID"] == "<twice@mail.example.com>"
    # the same message delivered again (a resend, or a folder recreated): stored once
    imap_server.append(raw)
    Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=1, last_uid=0)  # as if recreated
    mailbox.refresh_from_db()
    second = mailbox_poll(mailbox)
    assert (second.fetched, second.stored, second.duplicates) == (1, 0, 1)
    mail_process_due()
    assert InboundMail.objects.count() == 1
    assert Case.objects.filter(source=Source.EMAIL).count() == 1


def test_an_auto_reply_in_the_mailbox_creates_nothing(
    world: World, imap_server: ImapServer
) -> None:
    mailbox = _mailbox(imap_server)
    imap_server.append(
        raw_mail(subject="Out of office", headers={"Auto-Submitted": "auto-replied"})
    )
    mailbox_poll(mailbox)
    mail_process_due()
    assert InboundMail.objects.get().outcome == Outcome.AUTO_REPLY
    assert not Case.objects.filter(source=Source.EMAIL).exists()


def test_a_message_over_the_size_limit_is_recorded_not_read(
    world: World, imap_server: ImapServer, settings: Any
) -> None:
    settings.MAIL_MAX_BYTES = 4000
    mailbox = _mailbox(imap_server)
    imap_server.append(
        raw_mail(subject="Huge", body="x" * 8000, message_id="<big@mail.example.com>")
    )
    assert mailbox_poll(mailbox).too_large == 1
    mail = InboundMail.objects.get()
    assert (mail.outcome, mail.message_id, mail.subject) == (
        Outcome.TOO_LARGE,
        "<big@mail.example.com>",
        "Huge",
    )
    assert mail.size > 8000 and len(bytes(mail.raw)) < 4000


def test_a_wrong_password_is_recorded_without_the_password(
    world: World, imap_server: ImapServer
) -> None:
    mailbox = mailbox_add(
        actor=None,
        name="support",
        imap_url=_url(imap_server),
        password="not-the-password-xyz",
        service="payments",
    )
    assert mailbox_poll_recorded(mailbox) is None
    mailbox.refresh_from_db()
    assert "AUTHENTICATIONFAILED" in mailbox.last_error or "failed" in mailbox.last_error.lower()
    assert "not-the-password-xyz" not in mailbox.last_error
    stored = Mailbox.objects.values_list("password", flat=True)  # sealed at rest
    raw_column = Mailbox.objects.extra(select={"p": "password"}).values_list("p", flat=True)
    assert list(stored) == ["not-the-password-xyz"]
    assert "not-the-password-xyz" not in raw_column[0]


def test_cli_mailbox_add_checks_the_login_and_never_prints_the_password(
    world: World, imap_server: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CASEBRIDGE_IMAP_PASSWORD", imap_server.password)
    out = io.StringIO()
    call_command(
        "mailbox",
        "add",
        "support",
        "--imap-url",
        _url(imap_server),
        "--service",
        "payments",
        "--processed-folder",
        "Done",
        stdout=out,
    )
    assert "logged in" in out.getvalue() and imap_server.password not in out.getvalue()
    assert "Done" in imap_server.folders()
    listing = io.StringIO()
    call_command("mailbox", "list", stdout=listing)
    call_command("mailbox", "status", "support", "--json", stdout=listing)
    assert "support" in listing.getvalue() and imap_server.password not in listing.getvalue()
    monkeypatch.setenv("CASEBRIDGE_IMAP_PASSWORD", "wrong-password")
    with pytest.raises(CommandError, match="nothing was added"):
        call_command("mailbox", "add", "other", "--imap-url", _url(imap_server), stdout=out)
    assert not Mailbox.objects.filter(name="other").exists()
    imap_server.append(raw_mail(subject="Polled by hand"))
    call_command("mailbox", "poll", "support", stdout=out)
    call_command("mail", "process", stdout=out)
    assert Case.objects.filter(title="Polled by hand").exists()
    call_command("mailbox", "remove", "support", stdout=out)
    assert not Mailbox.objects.exists() and InboundMail.objects.count() == 1


def test_cli_mail_ingest_reads_stdin(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    mailbox_add(actor=None, name="pipe", service="payments")
    raw = raw_mail(subject="Piped in", message_id="<piped@mail.example.com>")

    def feed(data: bytes) -> None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))

    out = io.StringIO()
    feed(raw)
    call_command("mail", "ingest", stdout=out)
    feed(raw)
    call_command("mail", "ingest", stdout=out)
    text = out.getvalue()
    assert "case_created CB-" in text and "(already stored)" in text
    assert Case.objects.filter(title="Piped in").count() == 1
    feed(b"")
    with pytest.raises(CommandError) as empty:
        call_command("mail", "ingest", stdout=out)
    assert empty.value.returncode == 65


def test_acceptance_a_conversation_by_mail_through_the_mailbox(
    world: World, imap_server: ImapServer
) -> None:
    """A customer e-mails support and gets a case; their reply threads onto it; an auto-reply
    and a bounce create nothing; the same message fetched twice is one case."""
    from casebridge.cases.models import Comment
    from casebridge.integrations.mail.addresses import reply_address
    from tests.integrations.mailin.messages import bounce

    mailbox = _mailbox(imap_server, processed_folder="Done")
    first = raw_mail(subject="Refunds are stuck", message_id="<acc-1@example.com>")
    imap_server.append(first)
    mailbox_poll(mailbox)
    mail_process_due()
    case = Case.objects.get(source=Source.EMAIL)
    assert (case.title, case.reporter) == ("Refunds are stuck", world["cust_a"])

    imap_server.append(first)  # delivered again
    imap_server.append(
        raw_mail(
            to=reply_address(case),
            subject=f"Re: [{case.key}] Refunds are stuck",
            body="Order 991 too.\n\nOn Mon, Support wrote:\n> Which orders?\n",
            message_id="<acc-2@example.com>",
        )
    )
    imap_server.append(
        raw_mail(
            to=reply_address(case),
            subject="Automatic reply: Refunds are stuck",
            headers={"Auto-Submitted": "auto-replied"},
            message_id="<acc-3@example.com>",
        )
    )
    imap_server.append(bounce("<acc-1@example.com>"))
    mailbox.refresh_from_db()
    result = mailbox_poll(mailbox)
    assert (result.fetched, result.stored, result.duplicates) == (4, 3, 1)
    mail_process_due()
    assert Case.objects.filter(source=Source.EMAIL).count() == 1
    assert list(Comment.objects.filter(case=case).values_list("body", flat=True)) == [
        "Order 991 too."
    ]
    outcomes = sorted(InboundMail.objects.values_list("outcome", flat=True))
    assert outcomes == ["auto_reply", "bounce", "case_created", "commented"]
    assert imap_server.messages("INBOX") == [] and len(imap_server.messages("Done")) == 5


def test_the_worker_polls_the_mailbox_and_opens_the_case(
    world: World, imap_server: ImapServer
) -> None:
    _mailbox(imap_server)
    imap_server.append(raw_mail(subject="Found by the worker"))
    call_command("worker", "--once", "--no-outbox")
    assert Case.objects.filter(title="Found by the worker", source=Source.EMAIL).exists()
    assert Mailbox.objects.get().last_polled_at is not None
