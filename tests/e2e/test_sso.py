"""Single sign-on in Chromium against a real OpenID Connect provider on loopback
(django-oauth-toolkit, tests/servers/oidc.py): groups mapped to roles and levels, the first
sign-on creates the person, an admin must pass a TOTP challenge, someone in no mapped group is
refused, and local passwords can be turned off for staff."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from casebridge.accounts import sso
from casebridge.accounts.models import User
from casebridge.audit.models import AuditEvent
from tests import factories
from tests.e2e.conftest import PASSWORD

pytestmark = [pytest.mark.e2e]


@pytest.fixture
def oidc_redirect_uris(live_server: Any) -> list[str]:
    return [f"{live_server.url}/accounts/oidc/casebridge/login/callback/"]


@pytest.fixture
def sso_on(oidc_provider: Any, settings: Any, e2e_world: factories.World) -> Any:
    settings.OIDC_ISSUER = oidc_provider.issuer
    settings.OIDC_NAME = "Test IdP"
    settings.SOCIALACCOUNT_PROVIDERS = sso.providers_setting(
        issuer=oidc_provider.issuer,
        client_id=oidc_provider.client_id,
        client_secret=oidc_provider.client_secret,
        name="Test IdP",
    )
    settings.MFA_ADMIN_REQUIRED = True
    sso.mapping_add(actor=None, group="casebridge-admins", role="admin")
    sso.mapping_add(actor=None, group="casebridge-l2", role="l2_engineer")
    sso.mapping_add(actor=None, group="casebridge-developers", role="developer", level="L3")
    return oidc_provider


def sso_sign_in(page: Any, user: Any) -> None:
    page.goto("/login/", timeout=30_000)  # the first request of a live server may be slow
    page.get_by_role("button", name="Sign in with Test IdP").click()
    expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible(timeout=15_000)
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name="Sign in").click()


def totp_now(username: str) -> str:
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user__username=username).latest("id")
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"


def test_first_sign_on_creates_an_l2_engineer_from_the_group(sso_on: Any, new_page: Any) -> None:
    page = new_page()
    sso_sign_in(page, sso_on.users["sven"])
    page.wait_for_url("**/cases/")
    sven = User.objects.get(email="sven@idp.example")
    assert sven.roles == {"l2_engineer"}
    assert not sven.has_usable_password()
    assert AuditEvent.objects.filter(subject_key=sven.username, action="signed_in").exists()
    # A developer comes out at the mapped level.
    page = new_page()
    sso_sign_in(page, sso_on.users["devi"])
    page.wait_for_url(lambda url: "/login" not in url and "127.0.0.1" not in url)
    devi = User.objects.get(email="devi@idp.example")
    assert (devi.roles, devi.level) == ({"developer"}, "L3")


def test_an_admin_enrols_totp_then_is_challenged(sso_on: Any, new_page: Any) -> None:
    page = new_page()
    sso_sign_in(page, sso_on.users["olivia"])
    page.wait_for_url("**/settings/security/two-factor/")
    expect(page.get_by_text("Administrators must use a second factor")).to_be_visible()
    page.get_by_label("Code").fill(totp_now("olivia"))
    page.get_by_role("button", name="Confirm").click()
    codes = page.get_by_test_id("recovery-codes").locator("code").all_inner_texts()
    assert len(codes) == 10
    page.goto("/settings/security/sso/")
    expect(page.get_by_test_id("mapping")).to_have_count(3)
    # The next sign-on asks for a code before any page; a recovery code works once.
    page = new_page()
    sso_sign_in(page, sso_on.users["olivia"])
    page.wait_for_url("**/login/verify/**")
    page.get_by_label("Code").fill("0000-0000")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("That code is not valid")).to_be_visible()
    page.wait_for_timeout(2100)  # django-otp throttles: each wrong code doubles the wait
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/settings/")  # an administrator's home
    olivia = User.objects.get(email="olivia@idp.example")
    events = AuditEvent.objects.filter(subject_key=olivia.username)
    actions = set(events.values_list("action", flat=True))
    assert {"created", "signed_in", "mfa_enrolled", "mfa_failed", "mfa_verified"} <= actions


def test_no_mapped_group_is_refused(sso_on: Any, new_page: Any) -> None:
    page = new_page()
    sso_sign_in(page, sso_on.users["nora"])
    expect(page.get_by_text("is in no group that Casebridge maps to a role")).to_be_visible()
    assert not User.objects.filter(email="nora@idp.example").exists()


def test_an_existing_person_is_linked_by_verified_email(
    sso_on: Any, new_page: Any, e2e_world: factories.World
) -> None:
    from tests.servers.oidc import OidcUser

    sso_on.add_user(
        OidcUser("l1-at-idp", "pw-" + "x" * 12, "l1@example.com", groups=("casebridge-l2",))
    )
    page = new_page()
    sso_sign_in(page, sso_on.users["l1-at-idp"])
    page.wait_for_url("**/cases/")
    l1 = User.objects.get(username="l1")
    assert l1.roles == {"l2_engineer"}  # the identity provider's groups rule
    assert AuditEvent.objects.filter(subject_key="l1", action="sso_linked").exists()


def test_local_passwords_off_for_staff(sso_on: Any, new_page: Any, settings: Any) -> None:
    settings.STAFF_LOCAL_PASSWORDS = False
    page = new_page()
    page.goto("/login/")
    page.get_by_label("Username").fill("l2")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_text("Staff sign in with Test IdP")).to_be_visible()
    page.get_by_label("Username").fill("cust_a")  # customers keep their passwords
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/portal/")
