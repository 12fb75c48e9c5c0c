"""The addresses and Message-IDs that tie an e-mail to its case.

Every message about a case goes out with

* ``Reply-To: support+CB-12.k7f3m2qa@example.com`` (``reply_address``): the support mailbox's
  address with the case key and a token after ``+``. The token is an HMAC of the case key
  under a key derived from ``SECRET_KEY``, so nobody can guess the reply address of a case they
  were not sent; ``parse_reply_address`` gives the case key back only when the token is right.
* ``Message-ID: <CB-12.k7f3m2qa.comment-55@example.com>`` (``message_id_for``) and
  ``References``/``In-Reply-To`` the case's thread root ``<CB-12.k7f3m2qa@example.com>``
  (``thread_root_id``), which is never sent as a message itself: every mail client threads the
  messages of a case together under it. The token is in the Message-IDs too, so a reply matched
  by ``In-Reply-To``/``References`` (``case_key_from_message_id``) is as hard to forge as one
  matched by address, and ``is_our_message_id`` recognises our own messages coming back (loops).

The support address is ``CASEBRIDGE_SUPPORT_ADDRESS``; Message-IDs use its domain.
Comparisons are case-insensitive (mail systems may change the case of a local part).
"""

from __future__ import annotations

import base64
import re
from email.utils import parseaddr
from typing import Protocol

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

TOKEN_LENGTH = 8  # base32 characters: 40 bits
_SALT = "casebridge.integrations.mail.addresses.reply-token"
_CASE_KEY = r"[A-Za-z][A-Za-z0-9]{0,9}-[0-9]{1,12}"
_TOKEN = rf"[a-z2-7]{{{TOKEN_LENGTH}}}"
_EVENT = re.compile(r"[^A-Za-z0-9_-]+")
_ID = re.compile(
    rf"^<?(?P<key>{_CASE_KEY})\.(?P<token>{_TOKEN})(?:\.(?P<event>[A-Za-z0-9_-]{{1,64}}))?"
    rf"@(?P<domain>[^<>@\s]+)>?$",
    re.IGNORECASE,
)


class MailedCase(Protocol):
    """What e-mail needs of a case (``cases.Case``, which this kernel module does not import)."""

    @property
    def key(self) -> str: ...

    @property
    def title(self) -> str: ...


def support_address() -> str:
    """The support mailbox's own address, e.g. ``support@example.com``."""
    return str(settings.SUPPORT_ADDRESS).strip()


def _split(address: str) -> tuple[str, str]:
    local, _, domain = address.rpartition("@")
    return local, domain.lower()


def mail_domain() -> str:
    return _split(support_address())[1]


def _case_key(case: MailedCase | str) -> str:
    return str(case if isinstance(case, str) else case.key).upper()


def reply_token(case: MailedCase | str) -> str:
    """The token of a case (or of a case key): lower-case base32, ``TOKEN_LENGTH`` long."""
    digest = salted_hmac(_SALT, _case_key(case), algorithm="sha256").digest()
    return base64.b32encode(digest).decode("ascii").lower()[:TOKEN_LENGTH]


def token_valid(case_key: str, token: str) -> bool:
    return constant_time_compare(reply_token(case_key), token.lower())


def reply_address(case: MailedCase | str) -> str:
    """``support+CB-12.k7f3m2qa@example.com``: a reply to it finds its case."""
    local, domain = _split(support_address())
    return f"{local}+{_case_key(case)}.{reply_token(case)}@{domain}"


def parse_reply_address(address: str) -> tuple[str, str] | None:
    """``(case_key, token)`` of a reply address of ours (a bare address or ``Name <addr>``),
    or None: another address, another domain, or a token that does not match its case."""
    _, bare = parseaddr(address)
    local, domain = _split(bare.strip())
    base_local, base_domain = _split(support_address())
    if domain != base_domain:
        return None
    prefix = base_local.lower() + "+"
    if not local.lower().startswith(prefix):
        return None
    tag = local[len(prefix) :]
    match = re.fullmatch(rf"(?P<key>{_CASE_KEY})\.(?P<token>{_TOKEN})", tag, re.IGNORECASE)
    if match is None:
        return None
    case_key, token = match["key"].upper(), match["token"].lower()
    return (case_key, token) if token_valid(case_key, token) else None


def thread_root_id(case: MailedCase | str) -> str:
    """The Message-ID every message of the case refers to: ``<CB-12.k7f3m2qa@example.com>``."""
    return f"<{_case_key(case)}.{reply_token(case)}@{mail_domain()}>"


def message_id_for(case: MailedCase | str, event_id: str | int) -> str:
    """The Message-ID of one message about a case, e.g. ``message_id_for(case, "comment-55")``.

    The same case and event give the same Message-ID: it is the message's idempotency key."""
    event = _EVENT.sub("-", str(event_id)).strip("-")[:64] or "message"
    return f"<{_case_key(case)}.{reply_token(case)}.{event}@{mail_domain()}>"


def case_key_from_message_id(message_id: str) -> str | None:
    """The case key of one of our Message-IDs (a message's or a thread root), or None."""
    match = _ID.match(message_id.strip())
    if match is None or match["domain"].lower() != mail_domain():
        return None
    case_key = match["key"].upper()
    return case_key if token_valid(case_key, match["token"]) else None


def is_our_message_id(message_id: str) -> bool:
    """Whether a Message-ID is one we generated (a message of ours coming back is a loop)."""
    return case_key_from_message_id(message_id) is not None


def message_ids_in(header: str) -> list[str]:
    """The ``<...>`` Message-IDs in a ``References`` or ``In-Reply-To`` header, in order."""
    return re.findall(r"<[^<>\s]+>", header or "")
