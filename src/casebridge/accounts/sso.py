"""Single sign-on with OpenID Connect (django-allauth's ``openid_connect`` provider).

Configured by the environment (``CASEBRIDGE_OIDC_*``, docs/security.md): the issuer's discovery
document gives the endpoints; the authorization code flow uses PKCE. At every sign-on the ``groups``
claim (or the claim named by ``CASEBRIDGE_OIDC_GROUPS_CLAIM``) is mapped through the
administrators' :class:`SsoGroupMapping` rows to roles, a developer level and an organisation, and
the person's roles here are set to exactly that (audited). The first sign-on creates the person,
or links an existing one with the same verified e-mail address. Someone in no mapped group is
refused with a message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from django import forms
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from casebridge.accounts.forms import LoginForm
from casebridge.accounts.models import (
    LEVEL_RANK,
    Organisation,
    Role,
    SsoGroupMapping,
    User,
    UserRole,
)
from casebridge.accounts.policies import require_admin
from casebridge.accounts.sso_settings import PROVIDER_ID, providers_setting
from casebridge.audit.services import audit_record
from casebridge.core import clock
from casebridge.core.errors import NotFound, ValidationFailed

__all__ = ["PROVIDER_ID", "providers_setting"]

ROLE_BACKEND = "casebridge.accounts.backends.RolesBackend"


def enabled() -> bool:
    return bool(getattr(settings, "OIDC_ISSUER", ""))


def provider_name() -> str:
    return str(getattr(settings, "OIDC_NAME", "") or "single sign-on")


# --- the mapping ---------------------------------------------------------------------------------


@dataclass
class Granted:
    roles: set[str] = field(default_factory=set)
    level: str = ""
    organisation: Organisation | None = None
    groups: list[str] = field(default_factory=list)


def groups_of(claims: Mapping[str, object]) -> list[str]:
    value = claims.get(str(getattr(settings, "OIDC_GROUPS_CLAIM", "groups")), [])
    if isinstance(value, str):
        value = re.split(r"[,\s]+", value)
    return [str(g)[:200] for g in value if str(g).strip()] if isinstance(value, list) else []


def resolve(groups: Iterable[str]) -> Granted:
    """Roles are the union of the mapped groups'; the level is the highest; the organisation the
    first mapped one (by group name)."""
    granted = Granted(groups=sorted(set(groups)))
    rows = SsoGroupMapping.objects.filter(group__in=granted.groups).select_related("organisation")
    for row in rows:
        granted.roles.add(row.role)
        if row.level and LEVEL_RANK[row.level] > LEVEL_RANK.get(granted.level, 0):
            granted.level = row.level
        if granted.organisation is None and row.organisation is not None:
            granted.organisation = row.organisation
    if Role.DEVELOPER in granted.roles and not granted.level:
        granted.level = "L1"
    if Role.DEVELOPER not in granted.roles:
        granted.level = ""
    return granted


def apply(user: User, granted: Granted, *, request: HttpRequest | None = None) -> None:
    """Make the user's roles, level and organisation exactly what the mapping grants (audited
    per change); the identity provider is the source of truth for SSO users."""
    old_roles = set(user.role_grants.values_list("role", flat=True)) if user.pk else set()
    changes: dict[str, tuple[object, object]] = {}
    if old_roles != granted.roles:
        changes["roles"] = (", ".join(sorted(old_roles)), ", ".join(sorted(granted.roles)))
    if user.level != granted.level:
        changes["level"] = (user.level, granted.level)
    if granted.organisation is not None and user.organisation_id != granted.organisation.pk:
        changes["organisation"] = (user.organisation, granted.organisation)
        user.organisation = granted.organisation
    user.level = granted.level
    user.is_staff = user.is_superuser = Role.ADMIN in granted.roles
    user.save(update_fields=["level", "organisation", "is_staff", "is_superuser"])
    if "roles" in changes:
        UserRole.objects.filter(user=user).exclude(role__in=granted.roles).delete()
        UserRole.objects.bulk_create(
            [UserRole(user=user, role=r) for r in granted.roles - old_roles]
        )
    user.__dict__.pop("roles", None)
    for name, (old, new) in changes.items():
        audit_record(
            actor=None,
            subject=user,
            action="changed",
            field=name,
            old=old,
            new=new,
            reason="single sign-on group mapping",
            data={"groups": granted.groups[:20]},
        )


# --- allauth adapters -----------------------------------------------------------------------------


def _refuse(request: HttpRequest, message: str) -> ImmediateHttpResponse:
    context = {"form": LoginForm(request), "next": "", "locked": message, **login_context()}
    page = render(request, "web/login.html", context, status=403)
    return ImmediateHttpResponse(allow_form_action(page))


def allow_form_action(response: HttpResponse) -> HttpResponse:
    """The sign-in form posts to our single sign-on view, which redirects to the identity
    provider: Content-Security-Policy's form-action covers that redirect, so the issuer's origin
    is allowed on the pages that carry the button."""
    if enabled():
        parts = urlsplit(str(settings.OIDC_ISSUER))
        configured: dict[str, list[object]] = dict(settings.SECURE_CSP)  # type: ignore[arg-type]
        policy = {name: [str(source) for source in sources] for name, sources in configured.items()}
        policy["form-action"] = [*policy.get("form-action", []), f"{parts.scheme}://{parts.netloc}"]
        response._csp_config = policy  # type: ignore[attr-defined]  # django.middleware.csp
    return response


def login_context() -> dict[str, object]:
    return {"sso_enabled": enabled(), "sso_name": provider_name(), "sso_provider": PROVIDER_ID}


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    """No self-service sign-up: accounts come from administrators or single sign-on."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def login(self, request: HttpRequest, user: User) -> None:
        user.backend = ROLE_BACKEND
        request.casebridge_sign_in_method = "sso"  # type: ignore[attr-defined]
        super().login(request, user)


class SocialAccountAdapter(DefaultSocialAccountAdapter):  # type: ignore[misc]
    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return True

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        claims = sociallogin.account.extra_data or {}
        claims = {**claims.get("id_token", {}), **claims.get("userinfo", {})} or claims
        granted = resolve(groups_of(claims))
        if not granted.roles:
            raise _refuse(
                request,
                f"Your {provider_name()} account is in no group that Casebridge maps to a role. "
                "Ask a Casebridge administrator to map one of your groups.",
            )
        if Role.REPORTER in granted.roles and granted.organisation is None:
            raise _refuse(
                request,
                "Your group mapping makes you a customer without an "
                "organisation. Ask a Casebridge administrator to fix the mapping.",
            )
        request.casebridge_granted = granted  # type: ignore[attr-defined]
        with transaction.atomic():
            if sociallogin.is_existing:
                apply(sociallogin.user, granted, request=request)
                return
            email = str(claims.get("email") or "")
            verified = str(claims.get("email_verified", "")).lower() in ("true", "1")
            existing = (
                User.objects.filter(email__iexact=email, is_active=True).first()
                if email and verified
                else None
            )
            if existing is not None:
                sociallogin.connect(request, existing)
                apply(existing, granted, request=request)
                audit_record(
                    actor=existing,
                    subject=existing,
                    action="sso_linked",
                    data={"provider": PROVIDER_ID},
                )

    def populate_user(
        self, request: HttpRequest, sociallogin: SocialLogin, data: Mapping[str, object]
    ) -> User:
        user: User = super().populate_user(request, sociallogin, data)
        wanted = re.sub(r"[^\w.@+-]", "", str(data.get("username") or "")) or "sso-user"
        username, n = wanted[:140], 1
        while User.objects.filter(username__iexact=username).exists():
            n += 1
            username = f"{wanted[:140]}-{n}"
        user.username = username
        return user

    def save_user(
        self, request: HttpRequest, sociallogin: SocialLogin, form: forms.Form | None = None
    ) -> User:
        with transaction.atomic():
            user: User = super().save_user(request, sociallogin, form)
            user.set_unusable_password()
            user.save(update_fields=["password"])
            granted = getattr(request, "casebridge_granted", None) or Granted()
            audit_record(
                actor=None,
                subject=user,
                action="created",
                data={"by": "single sign-on", "roles": sorted(granted.roles)},
            )
            apply(user, granted, request=request)
        return user


# --- administration -------------------------------------------------------------------------------


def _require_admin(actor: User | None) -> None:
    require_admin(actor)


def mapping_add(
    *,
    actor: User | None,
    group: str,
    role: str,
    level: str = "",
    organisation: str = "",
) -> SsoGroupMapping:
    _require_admin(actor)
    group = group.strip()
    errors: dict[str, str] = {}
    if not group or len(group) > 200:
        errors["group"] = "Give the group's name as the identity provider sends it (1-200)."
    elif SsoGroupMapping.objects.filter(group=group).exists():
        errors["group"] = f"The group '{group}' is mapped already."
    if role not in Role.values:
        errors["role"] = f"Unknown role '{role}'; use one of {', '.join(Role.values)}."
    if level and level not in LEVEL_RANK:
        errors["level"] = f"Unknown level '{level}'; use L1, L2, L3 or L4."
    elif level and role != Role.DEVELOPER:
        errors["level"] = "Only developers carry a level."
    org = Organisation.objects.filter(slug=organisation).first() if organisation else None
    if organisation and org is None:
        errors["organisation"] = f"No organisation '{organisation}'."
    if role == Role.REPORTER and org is None:
        errors["organisation"] = "A customer group needs an organisation."
    if errors:
        raise ValidationFailed("The mapping could not be added", fields=errors)
    with transaction.atomic():
        row = SsoGroupMapping.objects.create(
            group=group, role=role, level=level, organisation=org, created_at=clock.now()
        )
        audit_record(
            actor=actor,
            subject=row,
            action="created",
            data={"role": role, "level": level, "organisation": organisation},
        )
    return row


def mapping_remove(*, actor: User | None, group: str) -> None:
    _require_admin(actor)
    with transaction.atomic():
        row = SsoGroupMapping.objects.filter(group=group).first()
        if row is None:
            raise NotFound(f"No mapping for '{group}'", fields={"group": "Not mapped."})
        audit_record(actor=actor, subject=row, action="deleted", data={"role": row.role})
        row.delete()
