"""E-mail in: the mailboxes Casebridge reads and every message it received, byte for byte.

A message is stored (``InboundMail``) before anything is done with it, by the IMAP poller or by
``casebridge mail ingest``; the worker then turns it into a case or a comment, or records why it
did not. The same Message-ID stored twice is one row, which the database enforces
(``message_key``: a hash of the normalised Message-ID, or of the bytes when there is none).
"""

from __future__ import annotations

from django.db import models

from casebridge.catalog.models import Environment
from casebridge.core.secrets import SealedTextField


class Mailbox(models.Model):
    """One mailbox: the IMAP folder the worker polls (optional: a mailbox without an IMAP URL is
    fed by ``casebridge mail ingest`` only), and what new cases from it get."""

    audit_type = "mailbox"

    name = models.SlugField(max_length=64, unique=True)
    host = models.CharField(max_length=255, blank=True, default="")
    port = models.PositiveIntegerField(default=993)
    tls = models.BooleanField(default=True, help_text="imaps:// (TLS from the start).")
    username = models.CharField(max_length=255, blank=True, default="")
    password = SealedTextField(blank=True, default="")
    folder = models.CharField(max_length=255, default="INBOX")
    processed_folder = models.CharField(
        max_length=255,
        blank=True,
        default="",
        help_text="Move processed mail here; empty: leave it and flag it \\Seen.",
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Mail to this mailbox is from this organisation's people only.",
    )
    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="+")
    environment = models.CharField(
        max_length=16, choices=Environment.choices, default=Environment.PRODUCTION
    )
    enabled = models.BooleanField(default=True)
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0, help_text="Every UID up to this one was read.")
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> str:
        return self.name

    @property
    def imap_url(self) -> str:
        """The URL without the password, e.g. ``imaps://support@mail.example.com:993/INBOX``."""
        if not self.host:
            return ""
        scheme = "imaps" if self.tls else "imap"
        return f"{scheme}://{self.username}@{self.host}:{self.port}/{self.folder}"


class MailDomain(models.Model):
    """An organisation's e-mail domain: mail from an unknown sender of it opens a case for a new
    reporter of the organisation when ``enrol_senders`` is on."""

    audit_type = "mail_domain"

    domain = models.CharField(max_length=253, unique=True)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="mail_domains"
    )
    enrol_senders = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain

    @property
    def key(self) -> str:
        return self.domain


class MailState(models.TextChoices):
    PENDING = "pending", "Waiting to be processed"
    DONE = "done", "Processed"
    IGNORED = "ignored", "Ignored"
    FAILED = "failed", "Failed"


class Outcome(models.TextChoices):
    NONE = "", "Not yet"
    CASE_CREATED = "case_created", "Opened a case"
    COMMENTED = "commented", "Added a comment"
    AUTO_REPLY = "auto_reply", "Automatic message (Auto-Submitted, Precedence)"
    BOUNCE = "bounce", "Bounce or delivery report"
    LOOP = "loop", "One of our own messages"
    SPOOFED = "spoofed", "Failed DMARC at our mail server"
    RATE_LIMITED = "rate_limited", "Sender over the rate limit"
    UNKNOWN_SENDER = "unknown_sender", "Unknown sender"
    NOT_ALLOWED = "not_allowed", "Sender may not write to that case"
    TOO_LARGE = "too_large", "Larger than the size limit"
    REFUSED = "refused", "Refused by the case rules"


class InboundMail(models.Model):
    audit_type = "inbound_mail"

    mailbox = models.ForeignKey(
        Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    message_key = models.CharField(max_length=71, unique=True)
    message_id = models.CharField(max_length=998, blank=True, default="")
    sender = models.CharField(max_length=320, blank=True, default="")
    subject = models.CharField(max_length=255, blank=True, default="")
    raw = models.BinaryField()
    size = models.PositiveIntegerField()
    via = models.CharField(max_length=8, help_text="imap or pipe.")
    imap_uid = models.BigIntegerField(null=True, blank=True)
    received_at = models.DateTimeField()
    state = models.CharField(max_length=8, choices=MailState.choices, default=MailState.PENDING)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True, default="")
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.ForeignKey(
        "cases.Comment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    auto_replied = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    available_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["state", "available_at", "id"], name="inbound_mail_due"),
            models.Index(fields=["sender", "received_at"], name="inbound_mail_sender"),
            models.Index(fields=["message_id"], name="inbound_mail_message_id"),
        ]

    def __str__(self) -> str:
        return f"mail {self.pk} {self.message_id} ({self.state})"

    @property
    def key(self) -> str:
        return str(self.pk)
