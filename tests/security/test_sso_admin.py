"""The single sign-on mapping (service, page, CLI) and the security events page: administrators
only; bad input named beside the field or on stderr with a non-zero exit; every change audited.
The mapping's effect on roles is covered end to end in tests/e2e/test_sso.py."""

from __future__ import annotations

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from casebridge.accounts import sso
from casebridge.accounts.models import SsoGroupMapping
from casebridge.audit.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db


def test_resolve_unions_roles_takes_the_highest_level(world: factories.World) -> None:
    sso.mapping_add(actor=None, group="devs", role="developer", level="L2")
    sso.mapping_add(actor=None, group="leads", role="developer", level="L4")
    sso.mapping_add(actor=None, group="support", role="l2_engineer")
    sso.mapping_add(actor=None, group="acme", role="reporter", organisation="acme")
    granted = sso.resolve(["devs", "leads", "support", "unmapped"])
    assert (granted.roles, granted.level) == ({"developer", "l2_engineer"}, "L4")
    assert sso.resolve(["acme"]).organisation == world.orgs["a"]
    assert sso.resolve(["unmapped"]).roles == set()
    assert sso.groups_of({"groups": "a, b c"}) == ["a", "b", "c"]


def test_the_page_is_for_admins_and_names_bad_fields(world: factories.World) -> None:
    client = Client()
    client.force_login(world["l2"])
    assert client.get("/settings/security/sso/").status_code == 404
    client.force_login(world["admin"])
    assert client.get("/settings/security/sso/").status_code == 200
    bad = client.post(
        "/settings/security/sso/", {"group": "x", "role": "l2_engineer", "level": "L3"}
    )
    assert bad.status_code == 422
    assert b"Only developers carry a level" in bad.content
    ok = client.post("/settings/security/sso/", {"group": "ops", "role": "devops"})
    assert ok.status_code == 302
    row = SsoGroupMapping.objects.get(group="ops")
    assert AuditEvent.objects.filter(subject_type="sso_mapping", action="created").exists()
    client.post(f"/settings/security/sso/{row.pk}/remove/")
    assert not SsoGroupMapping.objects.exists()
    events = client.get("/settings/security/events/")
    assert events.status_code == 200
    assert b"sso_mapping" in events.content


def test_the_cli(world: factories.World, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("sso", "mapping", "add", "staff-devs", "--role", "developer", "--level", "L3")
    call_command("sso", "mapping", "list")
    assert "staff-devs" in capsys.readouterr().out
    with pytest.raises(CommandError) as failed:
        call_command("sso", "mapping", "add", "cust", "--role", "reporter")
    assert failed.value.returncode != 0
    assert "organisation: A customer group needs an organisation" in str(failed.value)
    call_command("sso", "mapping", "remove", "staff-devs")
    assert not SsoGroupMapping.objects.exists()


def test_two_factor_enrolment_gives_recovery_codes(world: factories.World) -> None:
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(world["qa"])
    with time_machine.travel("2026-03-02 09:00Z", tick=False) as clock:
        page = client.get("/settings/security/two-factor/")
        assert page.status_code == 200 and b"otpauth://totp/" in page.content
        wrong = client.post("/settings/security/two-factor/", {"code": "000000"})
        assert wrong.status_code == 422
        clock.shift(5)  # past django-otp's throttle after one wrong code
        device = TOTPDevice.objects.get(user=world["qa"])
        code = f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"
        done = client.post("/settings/security/two-factor/", {"code": code})
    assert done.status_code == 200 and done.content.count(b"<li><code>") == 10
    # A new session must pass the code before any page.
    other = Client()
    other.force_login(world["qa"])
    response = other.get("/cases/")
    assert response.status_code == 302 and response["Location"].startswith("/login/verify/")
