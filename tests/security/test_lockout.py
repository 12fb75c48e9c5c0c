"""Sign-in throttling: 50 wrong passwords lock the account after the configured number of
failures, every failure and the lockout are audited, and the right password is refused while
locked; another address is locked out after as many failures over any user names."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from casebridge.audit.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


def attempt(client: Client, username: str, password: str, ip: str = "198.51.100.7") -> int:
    response = client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)
    return response.status_code


def test_fifty_wrong_passwords_lock_the_account_and_the_right_one_is_refused(
    world: factories.World, settings: object
) -> None:
    settings.AXES_FAILURE_LIMIT = 5  # type: ignore[attr-defined]
    client = Client()
    statuses = [attempt(client, "l2", f"wrong-{n}") for n in range(50)]
    assert statuses[:4] == [200] * 4  # the form again, "Please enter a correct..."
    assert set(statuses[4:]) == {429}  # the fifth failure locks
    response = client.post(
        "/login/", {"username": "l2", "password": PASSWORD}, REMOTE_ADDR="198.51.100.8"
    )
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert b"Too many failed sign-ins" in response.content
    assert "_auth_user_id" not in client.session
    events = AuditEvent.objects.filter(subject_type="user", subject_key=world["l2"].key)
    assert events.filter(action="locked_out").exists()
    assert events.filter(action="sign_in_failed").count() >= 5
    assert not events.filter(action="signed_in").exists()
    assert all("wrong-" not in str(e.data) for e in events)  # never the password


def test_the_lock_ends_after_the_cool_off(world: factories.World, settings: object) -> None:
    settings.AXES_FAILURE_LIMIT = 3  # type: ignore[attr-defined]
    client = Client()
    with time_machine.travel("2026-03-02 09:00Z", tick=False) as clock:
        for n in range(3):
            attempt(client, "l1", f"wrong-{n}")
        assert attempt(client, "l1", PASSWORD) == 429
        clock.shift(timedelta(minutes=16))
        assert attempt(client, "l1", PASSWORD) == 302
    assert AuditEvent.objects.filter(subject_key=world["l1"].key, action="signed_in").exists()


def test_one_address_trying_many_names_is_locked(world: factories.World, settings: object) -> None:
    settings.AXES_FAILURE_LIMIT = 4  # type: ignore[attr-defined]
    client = Client()
    for name in ("l1", "l2", "pm", "rte", "nobody-here"):
        attempt(client, name, "wrong", ip="203.0.113.50")
    assert attempt(client, "qa", PASSWORD, ip="203.0.113.50") == 429
    assert attempt(client, "qa", PASSWORD, ip="203.0.113.51") == 302
    assert AuditEvent.objects.filter(
        subject_type="sign_in", subject_key="nobody-here", action="sign_in_failed"
    ).exists()


def test_a_success_is_audited_with_the_address(world: factories.World) -> None:
    assert attempt(Client(), "pm", PASSWORD, ip="192.0.2.10") == 302
    event = AuditEvent.objects.get(subject_key=world["pm"].key, action="signed_in")
    assert event.data["ip"] == "192.0.2.10"
    assert event.actor_id == world["pm"].pk
