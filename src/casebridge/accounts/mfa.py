"""Second factor: TOTP (django-otp) with single-use recovery codes.

Anyone may enrol an authenticator app (Settings → Security → Two-factor). Once enrolled, every
sign-in (password or single sign-on) is followed by a code before any page opens; administrators
must enrol when ``CASEBRIDGE_MFA_REQUIRED_FOR_ADMINS`` is on. :class:`RequireSecondFactor` is the
gate: a signed-in session that is not yet verified reaches only the code page, the enrolment page
and sign-out. django-otp's TOTP device throttles wrong codes (each failure doubles the wait).
"""

from __future__ import annotations

import secrets
from base64 import b32encode
from collections.abc import Callable
from typing import TypedDict
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from casebridge.accounts.clients import client_ip
from casebridge.accounts.models import Role, User
from casebridge.audit.services import audit_record

RECOVERY_CODES = 10
#: In the session: the user id found to need no second factor at this session's first page.
SESSION_CLEAR = "casebridge_mfa_clear"
OPEN_PATHS = ("/login/verify/", "/settings/security/two-factor/", "/logout/", "/static/")


def verified(request: HttpRequest) -> bool:
    return bool(getattr(request.user, "is_verified", lambda: False)())


def enrolled(user: User) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def required(user: User) -> bool:
    """Must this person pass a second factor? Everyone enrolled; admins when the setting says."""
    if bool(settings.MFA_ADMIN_REQUIRED) and user.has_role(Role.ADMIN):
        return True
    return enrolled(user)


class RequireSecondFactor:
    """After django-otp's middleware: pages need a verified session when :func:`required`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            isinstance(user, User)
            and user.is_authenticated
            and not request.path.startswith(("/api/", *OPEN_PATHS))
            and request.session.get(SESSION_CLEAR) != user.pk
            and not verified(request)
        ):
            if not required(user):
                # Checked once per session, so pages pay no query for it (enrolling in another
                # session leaves this one as it was signed in).
                request.session[SESSION_CLEAR] = user.pk
            elif enrolled(user):
                return _to(request, f"{reverse('login_verify')}?next={request.get_full_path()}")
            else:
                return _to(request, reverse("accounts:two_factor"))
        return self.get_response(request)


def _to(request: HttpRequest, target: str) -> HttpResponse:
    """Send the browser to ``target``. An HTMX request (a part of a page, such as the header's
    notification count) must not get the page in its place: it tells the browser to go there,
    or nothing when the browser is there already."""
    if request.headers.get("HX-Request") != "true":
        return redirect(target)
    current = urlsplit(request.headers.get("HX-Current-URL", "")).path
    response = HttpResponse(status=204)
    if current != urlsplit(target).path:
        response["HX-Redirect"] = target
    return response


def pending_totp(user: User) -> TOTPDevice:
    """The unconfirmed authenticator being enrolled (a new secret each time enrolment starts)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


@transaction.atomic
def enrol_confirm(request: HttpRequest, user: User, code: str) -> list[str] | None:
    """Confirm the pending authenticator with a code from it; return the recovery codes (shown
    this once), or ``None`` when the code is wrong."""
    device = pending_totp(user)
    if not device.verify_token(code.strip().replace(" ", "")):
        return None
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = recovery_codes_reset(user)
    otp_login(request, device)
    audit_record(actor=user, subject=user, action="mfa_enrolled", data={"ip": _ip(request)})
    return codes


def recovery_codes_reset(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    # 56 random bits each, in django-otp's 16 characters: "1a2b3c4d-5e6f70"
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=c) for c in codes])
    return codes


def verify(request: HttpRequest, user: User, code: str) -> bool:
    """A TOTP code or an unused recovery code (which is then spent). Audited either way."""
    code = code.strip().replace(" ", "")
    for model in (TOTPDevice, StaticDevice):
        for device in model.objects.filter(user=user, confirmed=True):
            allowed, _ = device.verify_is_allowed()
            if allowed and device.verify_token(code):
                otp_login(request, device)
                with transaction.atomic():
                    audit_record(
                        actor=user,
                        subject=user,
                        action="mfa_verified",
                        data={"ip": _ip(request), "method": model.__name__},
                    )
                return True
    with transaction.atomic():
        audit_record(actor=user, subject=user, action="mfa_failed", data={"ip": _ip(request)})
    return False


def _ip(request: HttpRequest) -> str:

    return client_ip(request)


def otpauth_uri(device: TOTPDevice, user: User) -> str:
    return str(device.config_url)


def base32_key(device: TOTPDevice) -> str:
    key = b32encode(device.bin_key).decode()
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


class Status(TypedDict):
    """Whether the user has a second factor, and how many recovery codes are left."""

    enrolled: bool
    codes_left: int


def status(user: User) -> Status:
    static = StaticDevice.objects.filter(user=user).first()
    return {
        "enrolled": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        "codes_left": static.token_set.count() if static else 0,
    }
