"""Reading one stored RFC 5322 message: who sent it, what it answers, whether it is noise, its
new text (quoted history and signature removed, HTML turned into text) and its attachments."""

from __future__ import annotations

import email
import email.parser
import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr

import html2text
from mailparser_reply import EmailReplyParser

from casebridge.integrations.mail.addresses import (
    is_our_message_id,
    message_ids_in,
    support_address,
)

#: Languages whose reply headers ("On ... wrote:", "Am ... schrieb ...") and signatures are cut.
REPLY_LANGUAGES = ["en", "de", "fr", "nl", "it", "es", "pl", "sv"]
SUBJECT_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|sv|vs|tr|ref)\s*(\[\d+\])?\s*:\s*)+", re.I)
SUBJECT_TAG = re.compile(r"\[\s*([A-Za-z][A-Za-z0-9]{0,9}-\d{1,12})\s*\]")
BOUNCE_SENDERS = ("mailer-daemon", "postmaster")
NOISE_PRECEDENCE = {"bulk", "junk", "list"}
#: An image shown inline and smaller than this is a logo or a spacer, not a screenshot.
INLINE_MIN_BYTES = 16 * 1024


def header_parse(raw: bytes) -> Message:
    """The headers only (cheap, for the door)."""
    parsed: Message = email.parser.BytesHeaderParser(policy=policy.default).parsebytes(raw)
    return parsed


def full_parse(raw: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def header(message: Message, name: str) -> str:
    """A header as text; a header the policy cannot parse is read raw instead of failing."""
    try:
        value = message.get(name)
    except Exception:  # noqa: BLE001 - a header the policy cannot parse: its raw text
        value = next((v for k, v in message.raw_items() if k.lower() == name.lower()), "")
    return " ".join(str(value or "").split())


def message_key(message_id: str, raw: bytes) -> str:
    """The identity of a message: its normalised Message-ID, or its bytes when it has none."""
    normalised = message_id.strip().strip("<>").strip().lower()
    if normalised:
        return "id:" + hashlib.sha256(normalised.encode("utf-8", "replace")).hexdigest()
    return "raw:" + hashlib.sha256(raw).hexdigest()


def sender_of(message: Message) -> tuple[str, str]:
    """``(display name, address)`` of the sender (``Reply-To`` is not the sender: ignored)."""
    name, address = parseaddr(header(message, "From"))
    return name.strip(), address.strip().lower()


def recipients_of(message: Message) -> list[str]:
    values = []
    for name in ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To"):
        values += [header(message, name)] if message.get(name) else []
    return [address.strip() for _, address in getaddresses(values) if address.strip()]


def references_of(message: Message) -> list[str]:
    """The Message-IDs this one answers, nearest first (In-Reply-To, then References newest
    first)."""
    found = message_ids_in(header(message, "In-Reply-To"))
    found += list(reversed(message_ids_in(header(message, "References"))))
    return list(dict.fromkeys(found))


def noise_of(message: Message) -> tuple[str, str] | None:  # noqa: PLR0911 - one rule a line
    """``(outcome, why)`` when the message must create nothing: an automatic message, a bounce,
    or one of our own coming back; else None."""
    auto = header(message, "Auto-Submitted").lower()
    if auto and auto.split(";")[0].strip() != "no":
        return "auto_reply", f"Auto-Submitted: {auto}"
    precedence = header(message, "Precedence").lower()
    if precedence in NOISE_PRECEDENCE:
        return "auto_reply", f"Precedence: {precedence}"
    if message.get("X-Auto-Response-Suppress") is not None:
        return "auto_reply", "X-Auto-Response-Suppress"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply"):
        if message.get(name) is not None:
            return "auto_reply", name
    if message.get_content_type() == "multipart/report":
        return "bounce", "a delivery or read report (multipart/report)"
    return_path = message.get("Return-Path")
    if return_path is not None and str(return_path).strip() in ("<>", ""):
        return "bounce", "empty Return-Path"
    for result in message.get_all("Authentication-Results") or []:
        # added by our own mail server; a forged one can only make us refuse, never accept
        if re.search(r"\bdmarc=fail\b", str(result), re.IGNORECASE):
            return "spoofed", "dmarc=fail in Authentication-Results"
    _, sender = sender_of(message)
    local = sender.partition("@")[0]
    if not sender or local in BOUNCE_SENDERS:
        return "bounce", f"from {sender or 'no sender'}"
    if sender == support_address().lower() or sender.startswith(
        support_address().lower().partition("@")[0] + "+"
    ):
        return "loop", "from our own support address"
    message_id = header(message, "Message-ID")
    if message_id and is_our_message_id(message_id):
        return "loop", "one of our own Message-IDs"
    return None


def clean_subject(subject: str) -> str:
    return SUBJECT_PREFIX.sub("", subject).strip()


def subject_tag(subject: str) -> str | None:
    match = SUBJECT_TAG.search(subject)
    return match.group(1).upper() if match else None


def _html_to_text(html: str) -> str:
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.ignore_tables = False
    converter.protect_links = True
    return converter.handle(html)


def _content(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except (LookupError, ValueError, AssertionError):  # unknown charset, broken encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def body_text(message: EmailMessage) -> str:
    """The text of the message: its text/plain part, else its HTML turned into text."""
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    text = _content(body)
    if body.get_content_type() == "text/html":
        text = _html_to_text(text)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def new_text(text: str) -> str:
    """What the sender wrote this time: without quoted history and signature."""
    if not text.strip():
        return ""
    try:
        parsed = EmailReplyParser(languages=REPLY_LANGUAGES).read(text=text)
    except Exception:  # noqa: BLE001 - a text the parser cannot read is kept whole
        return text.strip()
    replies = parsed.replies
    if not replies:
        return text.strip()
    return (replies[0].body or replies[0].content or "").strip()


@dataclass(frozen=True)
class MailAttachment:
    filename: str
    data: bytes


@dataclass
class ParsedMail:
    message_id: str
    sender_name: str
    sender: str
    subject: str
    recipients: list[str]
    references: list[str]
    text: str
    attachments: list[MailAttachment] = field(default_factory=list)


def attachments_of(message: EmailMessage) -> list[MailAttachment]:
    """Files attached, and images shown inline (a pasted screenshot) unless they are small
    enough to be a signature's logo (``INLINE_MIN_BYTES``)."""
    bodies = {id(message.get_body(preferencelist=(kind,))) for kind in ("plain", "html")}
    found: list[MailAttachment] = []
    for part in message.walk():
        if part.is_multipart() or id(part) in bodies:
            continue
        filename = part.get_filename()
        inline_image = (
            part.get_content_maintype() == "image"
            and part.get_content_disposition() != "attachment"
        )
        if not filename and not inline_image:
            continue
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes) or (inline_image and len(data) < INLINE_MIN_BYTES):
            continue
        name = filename or f"image-{len(found) + 1}.{part.get_content_subtype()}"
        found.append(MailAttachment(filename=name, data=data))
    return found


def mail_parse(message: EmailMessage) -> ParsedMail:
    name, sender = sender_of(message)
    return ParsedMail(
        message_id=header(message, "Message-ID"),
        sender_name=name,
        sender=sender,
        subject=header(message, "Subject"),
        recipients=recipients_of(message),
        references=references_of(message),
        text=new_text(body_text(message)),
        attachments=attachments_of(message),
    )
