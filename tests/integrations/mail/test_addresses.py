"""Reply addresses and Message-IDs: a reply finds its case, a guess does not."""

from __future__ import annotations

from typing import Any

import pytest

from casebridge.integrations.mail.addresses import (
    case_key_from_message_id,
    is_our_message_id,
    message_id_for,
    message_ids_in,
    parse_reply_address,
    reply_address,
    reply_token,
    thread_root_id,
)


@pytest.fixture(autouse=True)
def _support(settings: Any) -> None:
    settings.SUPPORT_ADDRESS = "support@help.example.com"
    settings.SECRET_KEY = "k" * 50


def test_reply_address_carries_the_case_key_and_its_token_and_parses_back() -> None:
    address = reply_address("CB-12")
    token = reply_token("CB-12")
    assert address == f"support+CB-12.{token}@help.example.com"
    assert len(token) == 8
    assert parse_reply_address(address) == ("CB-12", token)
    assert parse_reply_address(f'"Support" <{address.upper()}>') == ("CB-12", token)


def test_a_guessed_or_foreign_reply_address_finds_nothing() -> None:
    token = reply_token("CB-12")
    assert parse_reply_address(f"support+CB-13.{token}@help.example.com") is None
    assert parse_reply_address("support+CB-12.aaaaaaaa@help.example.com") is None
    assert parse_reply_address(f"support+CB-12.{token}@other.example.com") is None
    assert parse_reply_address(f"sales+CB-12.{token}@help.example.com") is None
    assert parse_reply_address("support@help.example.com") is None
    assert parse_reply_address("not an address") is None


def test_the_token_depends_on_the_secret_key(settings: Any) -> None:
    before = reply_token("CB-12")
    settings.SECRET_KEY = "z" * 50
    assert reply_token("CB-12") != before


def test_message_ids_of_a_case_share_its_thread_root_and_name_their_case() -> None:
    root = thread_root_id("CB-12")
    first = message_id_for("CB-12", "comment-55")
    assert first == message_id_for("CB-12", "comment-55")  # the idempotency key
    assert first != message_id_for("CB-12", "comment-56")
    assert first.endswith("@help.example.com>") and root.endswith("@help.example.com>")
    assert case_key_from_message_id(root) == "CB-12"
    assert case_key_from_message_id(first) == "CB-12"
    assert is_our_message_id(first)
    assert message_id_for("CB-12", "odd id/with <chars>").count("@") == 1
    forged = first.replace(reply_token("CB-12"), "aaaaaaaa")
    assert case_key_from_message_id(forged) is None
    assert not is_our_message_id("<abc@mail.gmail.com>")
    assert message_ids_in(f"{root}\r\n {first}") == [root, first]
