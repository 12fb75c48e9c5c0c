"""Every write to accounts: users and their roles, organisations, teams and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from datetime import timedelta
from functools import cache

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils.text import slugify

from casebridge.accounts.models import (
    ApiToken,
    Level,
    Organisation,
    Role,
    Team,
    TeamKind,
    TokenScope,
    User,
    UserRole,
)
from casebridge.audit.services import audit_record
from casebridge.core import clock
from casebridge.core.errors import PermissionDenied, ValidationFailed
from casebridge.core.prepared import rows_read

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@+-]{2,150}$")
TOKEN_PREFIX = "cbt_"  # noqa: S105 - a public marker, not a secret
TOKEN_USE_RECORDED_EVERY = timedelta(minutes=5)


def _require_admin(actor: User | None) -> None:
    """``None`` is the operator at the server's shell (CLI, demo loader)."""
    if actor is not None and not actor.has_role(Role.ADMIN):
        raise PermissionDenied("Only an administrator may manage accounts")


def _validate_user_fields(
    *,
    username: str,
    email: str,
    roles: Sequence[str],
    level: str,
    organisation: Organisation | None,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not USERNAME_RE.match(username):
        errors["username"] = "Use 2-150 letters, digits or . @ + - _ characters."
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = f"The username '{username}' is taken."
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = f"'{email}' is not a valid e-mail address."
    valid_roles = {r.value for r in Role}
    unknown = [r for r in roles if r not in valid_roles]
    if not roles:
        errors["role"] = "Give at least one role."
    elif unknown:
        errors["role"] = f"Unknown role {', '.join(unknown)}; use one of {', '.join(valid_roles)}."
    if level and level not in Level.values:
        errors["level"] = f"Unknown level '{level}'; use L1, L2, L3 or L4."
    elif Role.DEVELOPER in roles and not level:
        errors["level"] = "A developer needs a level (L1-L4)."
    elif level and Role.DEVELOPER not in roles:
        errors["level"] = "Only developers carry a level."
    if Role.REPORTER in roles and organisation is None:
        errors["org"] = "A customer reporter belongs to an organisation."
    return errors


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    email: str,
    roles: Sequence[str],
    level: str = "",
    organisation: Organisation | None = None,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    active: bool = True,
) -> User:
    """``active=False`` makes an account no one signs in with (monitoring's, which opens cases):
    it is in no directory and receives no notification."""
    _require_admin(actor)
    roles = list(dict.fromkeys(roles))
    errors = _validate_user_fields(
        username=username, email=email, roles=roles, level=level, organisation=organisation
    )
    if errors:
        raise ValidationFailed("The user could not be created", fields=errors)
    user = User(
        username=username,
        email=email,
        level=level,
        organisation=organisation,
        first_name=first_name,
        last_name=last_name,
        is_staff=Role.ADMIN in roles,
        is_superuser=Role.ADMIN in roles,
        is_active=active,
    )
    if password:
        try:
            validate_password(password, user)
        except DjangoValidationError as exc:
            raise ValidationFailed(
                "The password is too weak", fields={"password": " ".join(exc.messages)}
            ) from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    UserRole.objects.bulk_create([UserRole(user=user, role=role) for role in roles])
    audit_record(
        actor=actor,
        subject=user,
        action="created",
        data={
            "roles": roles,
            "level": level,
            "organisation": getattr(organisation, "slug", None),
            **({} if active else {"active": False}),
        },
    )
    return user


@transaction.atomic
def organisation_create(*, actor: User | None, name: str, slug: str = "") -> Organisation:
    _require_admin(actor)
    slug = slug or slugify(name)
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "An organisation needs a name."
    elif Organisation.objects.filter(name__iexact=name).exists():
        errors["name"] = f"An organisation named '{name}' exists."
    if Organisation.objects.filter(slug=slug).exists():
        errors["slug"] = f"The slug '{slug}' is taken."
    if errors:
        raise ValidationFailed("The organisation could not be created", fields=errors)
    return Organisation.objects.create(name=name.strip(), slug=slug)


@transaction.atomic
def team_create(
    *, actor: User | None, name: str, kind: str = TeamKind.DEVELOPMENT, members: Sequence[User] = ()
) -> Team:
    _require_admin(actor)
    if kind not in TeamKind.values:
        raise ValidationFailed("Unknown team kind", fields={"kind": "Use development or devops."})
    if Team.objects.filter(name__iexact=name).exists():
        raise ValidationFailed("Team exists", fields={"name": f"A team named '{name}' exists."})
    team = Team.objects.create(name=name, slug=slugify(name), kind=kind)
    team.members.set(members)
    return team


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def token_create(
    *,
    actor: User | None,
    user: User,
    name: str,
    scope: str = TokenScope.READ,
    expires_in_days: int | None = None,
) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is never stored nor shown again."""
    if actor is not None and actor.pk != user.pk:
        _require_admin(actor)
    days = settings.API_TOKEN_DEFAULT_DAYS if expires_in_days is None else expires_in_days
    errors: dict[str, str] = {}
    if scope not in TokenScope.values:
        errors["scope"] = "Use 'read' or 'write'."
    if not 1 <= days <= 366:
        errors["expires_in_days"] = "A token lives between 1 and 366 days."
    if not name.strip() or len(name) > 120:
        errors["name"] = "Name the token (at most 120 characters)."
    if errors:
        raise ValidationFailed("The token could not be created", fields=errors)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    token = ApiToken.objects.create(
        user=user,
        name=name.strip(),
        prefix=secret[:12],
        token_hash=_hash(secret),
        scope=scope,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    audit_record(actor=actor, subject=token, action="created", data={"user": user.username})
    return token, secret


@transaction.atomic
def token_revoke(*, actor: User | None, token: ApiToken) -> ApiToken:
    if actor is not None and actor.pk != token.user_id:
        _require_admin(actor)
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, subject=token, action="revoked")
    return token


#: The user's fields read with a token: all but the password hash, which stays deferred.
_TOKEN_USER_FIELDS = tuple(f.attname for f in User._meta.concrete_fields if f.attname != "password")


@cache
def _token_sql(vendor: str) -> str:
    """The token, whether its use needs recording, and its user, in one statement built once:
    this runs on every API request, where compiling it through the ORM cost more than running it."""
    quote = connection.ops.quote_name
    columns = {f.attname: f.column or f.attname for f in User._meta.concrete_fields}
    user_columns = ", ".join(f"u.{quote(columns[name])}" for name in _TOKEN_USER_FIELDS)
    tokens, users = quote(ApiToken._meta.db_table), quote(User._meta.db_table)
    return (
        "SELECT t.id, t.user_id, t.scope, "  # noqa: S608 - names from the models
        "CASE WHEN t.last_used_at IS NULL OR t.last_used_at < %s THEN 1 ELSE 0 END, "
        f"{user_columns} FROM {tokens} t JOIN {users} u ON u.id = t.user_id "
        "WHERE t.token_hash = %s AND t.revoked_at IS NULL AND t.expires_at > %s"
    )


def token_authenticate(secret: str) -> tuple[User, ApiToken] | None:
    """The user and token for a bearer secret, or None if unknown, expired or revoked."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    now = clock.now()
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            _token_sql(connection.vendor),
            [adapt(now - TOKEN_USE_RECORDED_EVERY), _hash(secret), adapt(now)],
        )
        row = cursor.fetchone()
        if row is None:
            return None
        (token,) = rows_read(ApiToken, ("id", "user_id", "scope"), [row[:3]])
        (user,) = rows_read(User, _TOKEN_USER_FIELDS, [row[4:]])
        if not user.is_active:
            return None
        cursor.execute(
            f"SELECT role FROM {connection.ops.quote_name(UserRole._meta.db_table)} "  # noqa: S608
            "WHERE user_id = %s",
            [user.pk],
        )
        user.set_roles(role for (role,) in cursor.fetchall())
    token.user = user
    if row[3]:
        # Throttled bookkeeping: at most one write per token every few minutes.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return user, token
