"""Secrets at rest: sealed under the configured keys, rotated, never shown by repr."""

from __future__ import annotations

from typing import Any

import pytest

from casebridge.core import secrets


def test_seal_round_trip_and_fresh_ciphertext() -> None:
    one, two = secrets.seal("pat-123456789"), secrets.seal("pat-123456789")
    assert one != two and "pat-123456789" not in one
    assert secrets.unseal(one) == "pat-123456789"


def test_rotation_keeps_old_values_readable(settings: Any) -> None:
    old, new = secrets.new_key(), secrets.new_key()
    settings.SECRETS_KEYS = [old]
    stored = secrets.seal("hook-secret")
    settings.SECRETS_KEYS = [new, old]
    assert secrets.unseal(stored) == "hook-secret"
    rotated = secrets.reseal(stored)
    settings.SECRETS_KEYS = [new]
    assert secrets.unseal(rotated) == "hook-secret"
    with pytest.raises(secrets.SecretUnreadable):
        secrets.unseal(stored)


def test_unsealed_value_hides_itself() -> None:
    value = secrets.Sealed("topsecret")
    assert value == "topsecret" and "topsecret" not in repr(value)
    assert secrets.hint("abcdefghijkl") == "…ijkl" and secrets.hint("short") == "…"


def test_tampered_or_plain_values_are_refused() -> None:
    stored = secrets.seal("x" * 20)
    with pytest.raises(secrets.SecretUnreadable):
        secrets.unseal(stored[:-4] + "AAAA")
    with pytest.raises(secrets.SecretUnreadable):
        secrets.unseal("plain text")
