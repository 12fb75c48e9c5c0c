"""Security events of sign-in: every sign-in, failure and lockout is an audit event.

Django's ``user_logged_in`` / ``user_login_failed`` and django-axes' ``user_locked_out`` signals are
connected in ``AccountsConfig.ready()``. A failure names the user name that was typed (never the
password: Django cleanses the credentials before the signal) and the client address.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest

from casebridge.accounts import mfa
from casebridge.accounts.clients import client_ip
from casebridge.accounts.models import User
from casebridge.audit.services import audit_record
from casebridge.core.logs import get_logger

log = get_logger(__name__)


class SignInName:
    """The subject of a failure for a user name that may not exist."""

    audit_type = "sign_in"

    def __init__(self, key: str) -> None:
        self._key = key

    @property
    def key(self) -> str:
        return self._key


def _subject(username: str) -> User | SignInName:
    user = User.objects.filter(username=username).first() if username else None
    return user if user is not None else SignInName(key=username[:64] or "(blank)")


def _record(action: str, username: str, request: HttpRequest | None, **data: object) -> None:
    with transaction.atomic():
        subject = _subject(username)
        actor = subject if isinstance(subject, User) else None
        audit_record(
            actor=actor,
            subject=subject,
            action=action,
            data={"ip": client_ip(request), **data},
        )
    log.info(f"security.{action}", username=username[:64], ip=client_ip(request))


def on_logged_in(sender: object, request: HttpRequest | None, user: User, **kwargs: object) -> None:

    if request is not None and hasattr(request, "session") and not mfa.required(user):
        request.session[mfa.SESSION_CLEAR] = user.pk  # pages need not check again
    method = getattr(request, "casebridge_sign_in_method", "password") if request else "password"
    _record("signed_in", user.username, request, method=method)


def on_login_failed(
    sender: object,
    credentials: dict[str, object],
    request: HttpRequest | None = None,
    **kwargs: object,
) -> None:
    username = str(credentials.get("username") or "")
    _record("sign_in_failed", username, request)


def on_locked_out(
    sender: object,
    request: HttpRequest | None,
    username: str | None,
    ip_address: str,
    **kwargs: object,
) -> None:
    _record(
        "locked_out",
        username or "",
        request,
        failures=settings.AXES_FAILURE_LIMIT,
        minutes=lockout_minutes(),
    )


def lockout_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def connect() -> None:
    from axes.signals import user_locked_out  # noqa: PLC0415 - called from ready(), once apps load
    from django.contrib.auth.signals import user_logged_in, user_login_failed  # noqa: PLC0415 - as above

    user_logged_in.connect(on_logged_in, dispatch_uid="casebridge.security.logged_in")
    user_login_failed.connect(on_login_failed, dispatch_uid="casebridge.security.login_failed")
    user_locked_out.connect(on_locked_out, dispatch_uid="casebridge.security.locked_out")
