"""Fixtures for the HTML pages: a signed-in Django test client per person of the world."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client

from tests import factories


@pytest.fixture
def browser_as(world: factories.World) -> Callable[[str], Client]:
    """``browser_as("l2")``: a test client with a session for that user."""

    def make(username: str) -> Client:
        client = Client()
        client.force_login(world[username])
        return client

    return make


def html(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


def offered_actions(page: str) -> tuple[set[str], set[str]]:
    """(allowed, refused) actions on a case page, read from their ``data-action`` markers."""
    refused = set(re.findall(r'class="action-off"[^>]*data-action="(\w+)"', page))
    allowed = set(re.findall(r'<(?:form|a|details)\b[^>]*data-action="(\w+)"', page))
    return allowed, refused


def field_error(page: str, field: str) -> str:
    """The error text beside a field (``web/_field.html`` marks it), or ""."""
    pattern = (
        rf'<div class="field field-{field} has-error">.*?'
        r'<small class="field-error"[^>]*>(.*?)</small>'
    )
    match = re.search(pattern, page, re.S)
    return match.group(1).strip() if match else ""


def queue_keys(page: str) -> list[str]:
    return re.findall(r'<td class="key"><a href="/cases/(CB-\d+)/"', page)
