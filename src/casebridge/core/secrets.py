"""Secrets at rest: personal access tokens, webhook secrets, SMTP and IMAP passwords.

A secret is sealed with Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) under a key from
the environment, ``CASEBRIDGE_SECRETS_KEYS``: one or more Fernet keys, comma-separated, the first
used to seal and every one tried to unseal, so keys can be rotated (add the new key first, run
``casebridge secrets rotate``, then drop the old one). Without the variable a key is derived from
``SECRET_KEY``, which is fine on a laptop; production mode requires the variable.

Sealed values are stored in a ``SealedTextField``; the plain value exists only in memory, is never
logged and is shown to a person once, when it is created.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

PREFIX = "sealed:v1:"


class SecretUnreadable(Exception):
    """A sealed value no configured key opens (a key was dropped too early, or data was altered)."""


def new_key() -> str:
    """A fresh key for ``CASEBRIDGE_SECRETS_KEYS``."""
    return Fernet.generate_key().decode()


def _derived_key() -> bytes:
    digest = hashlib.sha256(b"casebridge-secrets:" + settings.SECRET_KEY.encode()).digest()
    return base64.urlsafe_b64encode(digest)


@cache
def _box(keys: tuple[str, ...]) -> MultiFernet:
    material = [k.encode() for k in keys] or [_derived_key()]
    return MultiFernet([Fernet(k) for k in material])


def _current() -> MultiFernet:
    return _box(tuple(getattr(settings, "SECRETS_KEYS", ()) or ()))


def seal(plain: str) -> str:
    """The stored form of ``plain``; sealing the same value twice gives different text."""
    return PREFIX + _current().encrypt(plain.encode()).decode()


def unseal(stored: str) -> str:
    """The plain value of a sealed one; raises ``SecretUnreadable`` when no key opens it."""
    if not stored.startswith(PREFIX):
        raise SecretUnreadable("The value is not sealed")
    try:
        return _current().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("No configured key opens this secret") from exc


def reseal(stored: str) -> str:
    """The same secret sealed under the first (newest) key, for key rotation."""
    if not stored.startswith(PREFIX):
        raise SecretUnreadable("The value is not sealed")
    try:
        return PREFIX + _current().rotate(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("No configured key opens this secret") from exc


def hint(plain: str) -> str:
    """What may be shown of a secret after it was created: its last four characters."""
    return f"…{plain[-4:]}" if len(plain) > 8 else "…"


class Sealed(str):
    """A plain secret read from the database; its ``repr`` never shows the value."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Sealed('***')"


class SealedTextField(models.TextField[str, str]):
    """A text column holding a sealed secret: sealed on the way in, opened on the way out.

    An empty string stays empty (no secret set). Values read back are ``Sealed`` strings, whose
    ``repr`` hides them from logs and tracebacks.
    """

    def get_prep_value(self, value: object) -> object:
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return value if str(value).startswith(PREFIX) else seal(str(value))

    def from_db_value(
        self, value: str | None, expression: object, connection: BaseDatabaseWrapper
    ) -> str | None:
        if value in (None, ""):
            return value
        return Sealed(unseal(value))
