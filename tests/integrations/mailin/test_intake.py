"""E-mail in, from stored message to case: the intake rules over the real database."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from casebridge.accounts.models import User
from casebridge.cases.models import Attachment, Case, CaseState, Comment, Source
from casebridge.cases.services import case_transition, comment_add
from casebridge.core.errors import PayloadTooLarge
from casebridge.integrations.mail.addresses import message_id_for, reply_address, thread_root_id
from casebridge.integrations.mailin import intake
from casebridge.integrations.mailin.intake import MAX_ATTEMPTS, mail_process_due
from casebridge.integrations.mailin.models import InboundMail, MailState, Outcome
from casebridge.integrations.mailin.selectors import is_poison
from casebridge.integrations.mailin.services import mail_domain_set, mail_retry, mailbox_add
from casebridge.integrations.mailin.store import mail_store
from casebridge.integrations.models import OutboxMessage
from tests.factories import World, make_case
from tests.integrations.mailin.messages import bounce, raw_mail


@pytest.fixture
def mailbox(world: World) -> Any:
    return mailbox_add(actor=None, name="support", service="payments")


def ingest(mailbox: Any, raw: bytes) -> InboundMail:
    stored = mail_store(raw=raw, mailbox=mailbox, via="pipe")
    mail_process_due()
    return InboundMail.objects.get(pk=stored.mail.pk)


def test_a_customer_mails_support_and_gets_a_case(world: World, mailbox: Any) -> None:
    mail = ingest(
        mailbox,
        raw_mail(
            subject="Checkout is down",
            body="The checkout page shows a 502 since 10:00.\n\n-- \nCust A\nAcme Retail\n",
            attachments=[
                ("checkout.log", b"2026-12-06 10:00:01 ERROR 502 upstream\n" * 3, "text/plain")
            ],
        ),
    )
    assert (mail.state, mail.outcome) == (MailState.DONE, Outcome.CASE_CREATED)
    case = Case.objects.get(pk=mail.case_id)
    assert case.title == "Checkout is down"
    assert case.description == "The checkout page shows a 502 since 10:00."
    assert (case.source, case.reporter, case.organisation) == (
        Source.EMAIL,
        world["cust_a"],
        world.orgs["a"],
    )
    assert case.service == world.services["payments"]
    [attachment] = Attachment.objects.filter(case=case)
    assert (attachment.filename, attachment.content_type, attachment.internal) == (
        "checkout.log",
        "text/plain",
        False,
    )
    assert attachment.is_log


def test_the_same_message_twice_is_one_case(world: World, mailbox: Any) -> None:
    raw = raw_mail(message_id="<once@mail.example.com>")
    first = ingest(mailbox, raw)
    again = mail_store(raw=raw, mailbox=mailbox, via="imap")
    mail_process_due()
    assert again.duplicate and again.mail.pk == first.pk
    assert InboundMail.objects.count() == 1
    assert Case.objects.filter(source=Source.EMAIL).count() == 1
    # the same Message-ID with other bytes (a resend by another server) is still one
    other = raw_mail(message_id="<ONCE@mail.example.com>", body="different")
    assert mail_store(raw=other, mailbox=mailbox, via="pipe").duplicate


def test_replies_thread_onto_their_case_by_token_then_headers(world: World, mailbox: Any) -> None:
    case = make_case(world, by="cust_a")
    by_address = ingest(
        mailbox,
        raw_mail(
            to=f"Support <{reply_address(case)}>",
            subject="Re: your case",
            body=(
                "It still fails.\n\nOn Sat, 5 Dec 2026 at 10:00, Support wrote:\n> Does it fail?\n"
            ),
        ),
    )
    assert (by_address.outcome, by_address.case_id) == (Outcome.COMMENTED, case.pk)
    comment = Comment.objects.get(pk=by_address.comment_id)
    assert (comment.body, comment.author, comment.internal) == (
        "It still fails.",
        world["cust_a"],
        False,
    )
    by_header = ingest(
        mailbox,
        raw_mail(
            subject="Re: something else",
            body="One more thing.",
            in_reply_to=message_id_for(case, "comment-1"),
            references=thread_root_id(case),
        ),
    )
    assert (by_header.outcome, by_header.case_id) == (Outcome.COMMENTED, case.pk)


def test_a_reply_to_the_customers_own_first_message_threads_too(world: World, mailbox: Any) -> None:
    first = ingest(mailbox, raw_mail(message_id="<first@mail.example.com>"))
    reply = ingest(
        mailbox,
        raw_mail(
            subject="Re: Checkout is down",
            body="Also refunds.",
            references="<first@mail.example.com>",
        ),
    )
    assert (reply.outcome, reply.case_id) == (Outcome.COMMENTED, first.case_id)


def test_a_forged_token_or_message_id_finds_nothing(world: World, mailbox: Any) -> None:
    case = make_case(world, by="cust_a")
    forged = reply_address(case).replace(".", ".x", 1)
    mail = ingest(
        mailbox, raw_mail(to=forged, in_reply_to=f"<{case.key}.aaaaaaaa@casebridge.localhost>")
    )
    assert mail.outcome == Outcome.CASE_CREATED and mail.case_id != case.pk


def test_a_subject_tag_counts_only_when_the_sender_may_see_the_case(
    world: World, mailbox: Any
) -> None:
    case = make_case(world, by="cust_a")
    own = ingest(mailbox, raw_mail(subject=f"Re: [{case.key}] checkout", body="Any news?"))
    assert (own.outcome, own.case_id) == (Outcome.COMMENTED, case.pk)
    stranger = ingest(
        mailbox,
        raw_mail(sender="cust_b@example.com", subject=f"[{case.key}] checkout", body="Me too"),
    )
    assert stranger.outcome == Outcome.CASE_CREATED and stranger.case_id != case.pk
    assert Case.objects.get(pk=stranger.case_id).organisation == world.orgs["b"]


def test_a_reply_to_a_case_waiting_on_the_reporter_returns_it_to_l2(
    world: World, mailbox: Any
) -> None:
    case = make_case(world, by="cust_a")
    case_transition(actor=world["l2"], case=case, action="take")
    case_transition(
        actor=world["l2"], case=case, action="request_info", data={"question": "Which card?"}
    )
    assert Case.objects.get(pk=case.pk).state == CaseState.WAITING_ON_REPORTER
    ingest(mailbox, raw_mail(to=reply_address(case), subject="Re: question", body="Visa."))
    assert Case.objects.get(pk=case.pk).state == CaseState.INVESTIGATING


def test_html_only_mail_becomes_text(world: World, mailbox: Any) -> None:
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "cust_a@example.com"
    message["To"] = "support@casebridge.localhost"
    message["Subject"] = "Refunds fail"
    message["Message-ID"] = "<html@mail.example.com>"
    message.set_content(
        "<p>Refunds <b>fail</b> with code 17.</p><ul><li>since Monday</li></ul>", subtype="html"
    )
    mail = ingest(mailbox, message.as_bytes())
    description = Case.objects.get(pk=mail.case_id).description
    assert "Refunds fail with code 17." in description and "since Monday" in description
    assert "<" not in description


@pytest.mark.parametrize(
    ("headers", "outcome"),
    [
        ({"Auto-Submitted": "auto-replied"}, Outcome.AUTO_REPLY),
        ({"Auto-Submitted": "auto-generated"}, Outcome.AUTO_REPLY),
        ({"Precedence": "bulk"}, Outcome.AUTO_REPLY),
        ({"Precedence": "list"}, Outcome.AUTO_REPLY),
        ({"X-Auto-Response-Suppress": "All"}, Outcome.AUTO_REPLY),
        ({"Return-Path": "<>"}, Outcome.BOUNCE),
        (
            {"Authentication-Results": "mx.casebridge.localhost; spf=fail; dmarc=fail (p=reject)"},
            Outcome.SPOOFED,
        ),
    ],
)
def test_automatic_messages_create_nothing(
    world: World, mailbox: Any, headers: dict[str, str], outcome: str
) -> None:
    case = make_case(world, by="cust_a")
    mail = ingest(
        mailbox, raw_mail(to=reply_address(case), subject="Out of office", headers=headers)
    )
    assert (mail.state, mail.outcome, mail.case_id) == (MailState.IGNORED, outcome, None)
    assert not Comment.objects.filter(case=case).exists()


def test_auto_submitted_no_is_a_person(world: World, mailbox: Any) -> None:
    mail = ingest(mailbox, raw_mail(headers={"Auto-Submitted": "no"}))
    assert mail.outcome == Outcome.CASE_CREATED


def test_bounces_and_our_own_messages_create_nothing(world: World, mailbox: Any) -> None:
    case = make_case(world, by="cust_a")
    dsn = ingest(mailbox, bounce("<x@mail.example.com>"))
    daemon = ingest(mailbox, raw_mail(sender="MAILER-DAEMON@mail.example.com", subject="Failure"))
    ours = ingest(mailbox, raw_mail(message_id=message_id_for(case, "comment-9")))
    from_us = ingest(mailbox, raw_mail(sender="support@casebridge.localhost"))
    assert [m.outcome for m in (dsn, daemon, ours, from_us)] == [
        Outcome.BOUNCE,
        Outcome.BOUNCE,
        Outcome.LOOP,
        Outcome.LOOP,
    ]
    assert Case.objects.filter(source=Source.EMAIL).count() == 0
    assert not OutboxMessage.objects.filter(topic=intake.UNKNOWN_SENDER_TOPIC).exists()


def test_an_unknown_sender_is_told_once_a_day(world: World, mailbox: Any) -> None:
    with time_machine.travel("2026-12-06 10:00Z", tick=False):
        first = ingest(mailbox, raw_mail(sender="stranger@elsewhere.example"))
        second = ingest(mailbox, raw_mail(sender="stranger@elsewhere.example"))
    with time_machine.travel("2026-12-07 10:01Z", tick=False):
        third = ingest(mailbox, raw_mail(sender="stranger@elsewhere.example"))
    assert [m.outcome for m in (first, second, third)] == [Outcome.UNKNOWN_SENDER] * 3
    assert [m.auto_replied for m in (first, second, third)] == [True, False, True]
    replies = OutboxMessage.objects.filter(topic=intake.UNKNOWN_SENDER_TOPIC)
    assert replies.count() == 2
    assert replies.first().payload["to"] == "stranger@elsewhere.example"
    assert Case.objects.filter(source=Source.EMAIL).count() == 0


def test_an_unknown_sender_of_an_enrolling_domain_becomes_a_reporter(
    world: World, mailbox: Any
) -> None:
    mail_domain_set(actor=None, domain="acme.example", organisation="acme", enrol_senders=False)
    closed = ingest(mailbox, raw_mail(sender="Nina Novak <nina@acme.example>"))
    assert closed.outcome == Outcome.UNKNOWN_SENDER
    mail_domain_set(actor=None, domain="acme.example", organisation="acme", enrol_senders=True)
    mail = ingest(mailbox, raw_mail(sender="Nina Novak <nina@acme.example>", subject="Slow search"))
    case = Case.objects.get(pk=mail.case_id)
    nina = User.objects.get(email="nina@acme.example")
    assert (case.reporter, case.organisation, nina.organisation) == (
        nina,
        world.orgs["a"],
        world.orgs["a"],
    )
    assert nina.has_role("reporter") and nina.is_external and not nina.has_usable_password()


def test_a_sender_over_the_rate_limit_is_ignored(world: World, mailbox: Any, settings: Any) -> None:
    settings.MAIL_SENDER_PER_HOUR = 3
    mails = [ingest(mailbox, raw_mail(subject=f"Problem {n}")) for n in range(5)]
    assert [m.outcome for m in mails] == [Outcome.CASE_CREATED] * 3 + [Outcome.RATE_LIMITED] * 2


def test_too_large_is_refused_before_anything_is_stored(
    world: World, mailbox: Any, settings: Any
) -> None:
    settings.MAIL_MAX_BYTES = 2000
    with pytest.raises(PayloadTooLarge):
        mail_store(raw=raw_mail(body="x" * 3000), mailbox=mailbox, via="pipe")
    assert not InboundMail.objects.exists()


def test_a_failing_message_is_retried_then_poison_then_retried_by_an_admin(
    world: World, mailbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("parser exploded")

    monkeypatch.setattr(intake, "mail_parse", broken)
    with time_machine.travel("2026-12-06 10:00Z", tick=False) as traveller:
        stored = mail_store(raw=raw_mail(), mailbox=mailbox, via="pipe").mail
        for _ in range(MAX_ATTEMPTS):
            mail_process_due()
            traveller.shift(3601)
        mail = InboundMail.objects.get(pk=stored.pk)
        assert (mail.state, mail.attempts) == (MailState.FAILED, MAX_ATTEMPTS)
        assert "parser exploded" in mail.error and is_poison(mail)
        assert mail_process_due() == 0  # poison waits for a person
        monkeypatch.undo()
        mail_retry(actor=world["admin"], mail=mail)
        mail_process_due()
    mail.refresh_from_db()
    assert (mail.state, mail.outcome) == (MailState.DONE, Outcome.CASE_CREATED)
    assert Case.objects.filter(source=Source.EMAIL).count() == 1


def test_a_reply_from_someone_who_may_not_see_the_case_adds_nothing(
    world: World, mailbox: Any
) -> None:
    case = make_case(world, by="cust_a")
    mail = ingest(mailbox, raw_mail(sender="cust_b@example.com", to=reply_address(case), body="hi"))
    assert (mail.outcome, mail.case_id) == (Outcome.NOT_ALLOWED, None)
    assert not Comment.objects.filter(case=case).exists()


def test_staff_reply_by_mail_is_a_public_comment(world: World, mailbox: Any) -> None:
    case = make_case(world, by="cust_a")
    comment_add(actor=world["cust_a"], case=case, body="first")
    mail = ingest(mailbox, raw_mail(sender="l2@example.com", to=reply_address(case), body="Fixed."))
    comment = Comment.objects.get(pk=mail.comment_id)
    assert (comment.author, comment.internal) == (world["l2"], False)


def test_a_reply_to_a_closed_case_opens_a_follow_up(world: World, mailbox: Any) -> None:
    case = make_case(world, by="cust_a", service=world.services["search"], component=None)
    Case.objects.filter(pk=case.pk).update(state=CaseState.CLOSED, resolution="no_fault")
    mail = ingest(
        mailbox, raw_mail(to=reply_address(case), subject="Re: search", body="Back again.")
    )
    follow_up = Case.objects.get(pk=mail.case_id)
    assert mail.outcome == Outcome.CASE_CREATED and follow_up.pk != case.pk
    assert follow_up.description == f"Follow-up of {case.key}, which is closed.\n\nBack again."
    assert (follow_up.service, follow_up.reporter) == (world.services["search"], world["cust_a"])
    assert not Comment.objects.filter(case=case).exists()


@pytest.mark.parametrize(
    "raw",
    [
        b"\x00\xff\xfe not a message at all \xff",
        b"From: =?utf-8?q?broken <<cust_a@example.com>>\r\nSubject: =?x-unknown?b?%%%?=\r\n"
        b"Message-ID: <<<>>>\r\nContent-Type: text/plain; charset=x-nonsense\r\n\r\n"
        b"\xff\xfe body\r\n",
        b"Subject: no sender\r\n\r\nhello\r\n",
    ],
)
def test_malformed_mail_is_stored_and_never_crashes_the_worker(
    world: World, mailbox: Any, raw: bytes
) -> None:
    mail = ingest(mailbox, raw)
    assert mail.state in (MailState.DONE, MailState.IGNORED), mail.error
    assert bytes(mail.raw) == raw


def test_inline_screenshots_are_attached_and_signature_logos_are_not(
    world: World, mailbox: Any
) -> None:
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "cust_a@example.com"
    message["To"] = "support@casebridge.localhost"
    message["Subject"] = "Screenshot of the error"
    message["Message-ID"] = "<inline@mail.example.com>"
    message.set_content("See the screenshot.")
    message.add_alternative(
        '<p>See:</p><img src="cid:shot"><p>Cust A</p><img src="cid:logo">', subtype="html"
    )
    logo = b"\x89PNG\r\n\x1a\n" + b"\x00" * 300
    shot = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 100
    html_part = message.get_payload()[1]
    html_part.add_related(shot, maintype="image", subtype="png", cid="<shot>")
    html_part.add_related(
        logo,
        maintype="image",
        subtype="png",
        cid="<logo>",
        filename="image001.png",
        disposition="inline",
    )
    message.add_attachment(logo, maintype="image", subtype="png", filename="error.png")
    mail = ingest(mailbox, message.as_bytes())
    names = set(Attachment.objects.filter(case_id=mail.case_id).values_list("filename", flat=True))
    assert names == {"image-1.png", "error.png"}
