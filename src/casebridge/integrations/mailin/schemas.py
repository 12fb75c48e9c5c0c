"""Schemas of /api/v1/mailboxes, /api/v1/mail-domains and /api/v1/mail-in."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from casebridge.core.schemas import InputSchema
from casebridge.integrations.mailin.models import InboundMail, Mailbox, MailDomain
from casebridge.integrations.mailin.selectors import is_poison

MailStateFilter = Literal["", "pending", "done", "ignored", "failed", "poison"]


class MailboxIn(InputSchema):
    name: str = Field(min_length=1, max_length=64, examples=["support"])
    imap_url: str = Field(
        default="",
        max_length=500,
        description="imaps://user@host[:port]/FOLDER; empty: fed by `casebridge mail ingest` only",
    )
    password: str = Field(
        default="", max_length=500, description="The IMAP password; sealed at rest, never shown"
    )
    folder: str = Field(default="", max_length=255)
    processed_folder: str = Field(
        default="", max_length=255, description="Move processed mail here; empty: flag it \\Seen"
    )
    organisation: str = Field(default="", max_length=80, description="An organisation's slug")
    service: str = Field(default="", max_length=80, description="New cases' service (slug)")
    environment: str = Field(default="production", max_length=16)


class MailboxOut(Schema):
    name: str
    imap_url: str = Field(description="Without the password")
    password_set: bool
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
    pending: int
    failed: int

    @staticmethod
    def of(mailbox: Mailbox) -> MailboxOut:
        return MailboxOut(
            name=mailbox.name,
            imap_url=mailbox.imap_url,
            password_set=bool(mailbox.password),
            folder=mailbox.folder,
            processed_folder=mailbox.processed_folder,
            organisation=mailbox.organisation.slug if mailbox.organisation else None,
            service=mailbox.service.slug,
            environment=mailbox.environment,
            enabled=mailbox.enabled,
            uidvalidity=mailbox.uidvalidity,
            last_uid=mailbox.last_uid,
            last_polled_at=mailbox.last_polled_at,
            last_error=mailbox.last_error,
            pending=getattr(mailbox, "pending", 0),
            failed=getattr(mailbox, "failed", 0),
        )


class MailDomainIn(InputSchema):
    domain: str = Field(min_length=1, max_length=253, examples=["acme.example"])
    organisation: str = Field(min_length=1, max_length=80, description="An organisation's slug")
    enrol_senders: bool = Field(
        default=False, description="Unknown senders of the domain become its reporters"
    )


class MailDomainOut(Schema):
    domain: str
    organisation: str
    enrol_senders: bool

    @staticmethod
    def of(domain: MailDomain) -> MailDomainOut:
        return MailDomainOut(
            domain=domain.domain,
            organisation=domain.organisation.slug,
            enrol_senders=domain.enrol_senders,
        )


class MailQuery(Schema):
    state: MailStateFilter = Field(default="", description="`poison`: failed for good")
    mailbox: str = Field(default="", max_length=64)
    limit: int = Field(default=100, ge=1, le=1000)


class MailOut(Schema):
    id: int
    mailbox: str | None
    message_id: str
    sender: str
    subject: str
    size: int
    via: str
    received_at: datetime
    state: str
    poison: bool
    outcome: str
    case: str | None
    attempts: int
    available_at: datetime
    processed_at: datetime | None
    error: str

    @staticmethod
    def of(mail: InboundMail) -> MailOut:
        return MailOut(
            id=mail.pk,
            mailbox=mail.mailbox.name if mail.mailbox else None,
            message_id=mail.message_id,
            sender=mail.sender,
            subject=mail.subject,
            size=mail.size,
            via=mail.via,
            received_at=mail.received_at,
            state=mail.state,
            poison=is_poison(mail),
            outcome=mail.outcome,
            case=mail.case.key if mail.case else None,
            attempts=mail.attempts,
            available_at=mail.available_at,
            processed_at=mail.processed_at,
            error=mail.error,
        )


class MailRemovedOut(Schema):
    removed: str
