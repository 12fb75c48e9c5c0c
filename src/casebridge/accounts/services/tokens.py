"""API tokens: creating and revoking them, and finding the user behind a bearer secret."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import cache

from django.conf import settings
from django.db import connection, transaction

from casebridge.accounts.models import ApiToken, TokenScope, User, UserRole
from casebridge.accounts.policies import require_admin
from casebridge.audit.actions import AuditAction
from casebridge.audit.services import audit_record
from casebridge.core import clock
from casebridge.core.actors import Actor
from casebridge.core.errors import ValidationFailed
from casebridge.core.prepared import rows_read

TOKEN_PREFIX = "cbt_"  # noqa: S105 - a public marker, not a secret
TOKEN_USE_RECORDED_EVERY = timedelta(minutes=5)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def token_create(
    *,
    actor: Actor | None,
    user: User,
    name: str,
    scope: str = TokenScope.READ,
    expires_in_days: int | None = None,
) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is never stored nor shown again."""
    if actor is not None and actor.pk != user.pk:
        require_admin(actor)
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
    audit_record(
        actor=actor, subject=token, action=AuditAction.CREATED, data={"user": user.username}
    )
    return token, secret


@transaction.atomic
def token_revoke(*, actor: Actor | None, token: ApiToken) -> ApiToken:
    if actor is not None and actor.pk != token.user_id:
        require_admin(actor)
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, subject=token, action=AuditAction.REVOKED)
    return token


#: The user's fields read with a token: all but the password hash, which stays deferred.
_TOKEN_USER_FIELDS = tuple(f.attname for f in User._meta.concrete_fields if f.attname != "password")


@cache
def _token_sql(vendor: str) -> str:
    """The token, whether its use needs recording, its user and the user's roles, in one
    statement built once: this runs on every API request, where compiling it through the ORM
    cost more than running it."""
    quote = connection.ops.quote_name
    columns = {f.attname: f.column or f.attname for f in User._meta.concrete_fields}
    user_columns = ", ".join(f"u.{quote(columns[name])}" for name in _TOKEN_USER_FIELDS)
    tokens, users = quote(ApiToken._meta.db_table), quote(User._meta.db_table)
    # The user's roles ride along, comma-separated (role names are identifiers): one round
    # trip per API request instead of two.
    joined = "string_agg(r.role, ',')" if vendor == "postgresql" else "group_concat(r.role, ',')"
    userroles = quote(UserRole._meta.db_table)
    roles = f"(SELECT {joined} FROM {userroles} r WHERE r.user_id = u.id)"  # noqa: S608
    return (
        "SELECT t.id, t.user_id, t.scope, "  # noqa: S608 - names from the models
        "CASE WHEN t.last_used_at IS NULL OR t.last_used_at < %s THEN 1 ELSE 0 END, "
        f"{user_columns}, {roles} FROM {tokens} t JOIN {users} u ON u.id = t.user_id "
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
    (user,) = rows_read(User, _TOKEN_USER_FIELDS, [row[4:-1]])
    if not user.is_active:
        return None
    user.set_roles(row[-1].split(",") if row[-1] else ())
    token.user = user
    if row[3]:
        # Throttled bookkeeping: at most one write per token every few minutes.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return user, token
