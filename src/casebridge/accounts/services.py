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
from casebridge.audit.actions import AuditAction
from casebridge.audit.services import audit_changes, audit_record
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
    errors.update(
        _validate_profile(email=email, roles=roles, level=level, organisation=organisation)
    )
    return errors


def _validate_profile(
    *, email: str, roles: Sequence[str], level: str, organisation: Organisation | None
) -> dict[str, str]:
    errors: dict[str, str] = {}
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
    if organisation is None and Role.REPORTER in roles:
        organisation = organisation_for_email(email)  # a customer's mail domain names theirs
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
        action=AuditAction.CREATED,
        data={
            "roles": roles,
            "level": level,
            "organisation": getattr(organisation, "slug", None),
            **({} if active else {"active": False}),
        },
    )
    return user


#: What ``user_update`` may change; ``None`` leaves a field as it is.
UNSET = object()


def _other_active_admins(user: User) -> bool:
    return (
        User.objects.filter(is_active=True, role_grants__role=Role.ADMIN)
        .exclude(pk=user.pk)
        .exists()
    )


@transaction.atomic
def user_update(
    *,
    actor: User | None,
    user: User,
    email: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    roles: Sequence[str] | None = None,
    level: str | None = None,
    organisation: Organisation | object | None = UNSET,
    active: bool | None = None,
) -> User:
    """Change a person's profile, roles, level, organisation or whether they may sign in.

    Every field that really changes is audited with its old and new value. The last active
    administrator keeps the role and the account (someone must be able to undo a mistake)."""
    _require_admin(actor)
    old_roles = sorted(user.roles)
    new_roles = old_roles if roles is None else list(dict.fromkeys(roles))
    new_org = user.organisation if organisation is UNSET else organisation
    assert new_org is None or isinstance(new_org, Organisation)
    new_level = user.level if level is None else level
    if roles is not None and Role.DEVELOPER not in new_roles and level is None:
        new_level = ""  # no longer a developer: the level goes with the role
    new_email = user.email if email is None else email.strip()
    errors = _validate_profile(
        email=new_email, roles=new_roles, level=new_level, organisation=new_org
    )
    new_active = user.is_active if active is None else active
    if user.has_role(Role.ADMIN) and not _other_active_admins(user):
        if Role.ADMIN not in new_roles:
            errors["role"] = "This is the last administrator: make someone else one first."
        if not new_active:
            errors["active"] = "This is the last administrator: it cannot be deactivated."
    for label, value in (("first_name", first_name), ("last_name", last_name)):
        if value is not None and len(value) > 150:
            errors[label] = "At most 150 characters."
    if errors:
        raise ValidationFailed("The user was not changed", fields=errors)
    changes: dict[str, tuple[object, object]] = {
        "email": (user.email, new_email),
        "first_name": (user.first_name, user.first_name if first_name is None else first_name),
        "last_name": (user.last_name, user.last_name if last_name is None else last_name),
        "roles": (", ".join(old_roles), ", ".join(sorted(new_roles))),
        "level": (user.level, new_level),
        "organisation": (
            getattr(user.organisation, "slug", ""),
            getattr(new_org, "slug", ""),
        ),
        "active": (user.is_active, new_active),
    }
    user.email, user.level, user.organisation, user.is_active = (
        new_email,
        new_level,
        new_org,
        new_active,
    )
    user.first_name = str(changes["first_name"][1])
    user.last_name = str(changes["last_name"][1])
    user.is_staff = user.is_superuser = Role.ADMIN in new_roles
    if not audit_changes(actor=actor, subject=user, action="updated", changes=changes):
        return user
    user.save()
    if sorted(new_roles) != old_roles:
        UserRole.objects.filter(user=user).exclude(role__in=new_roles).delete()
        UserRole.objects.bulk_create(
            [UserRole(user=user, role=r) for r in new_roles if r not in old_roles]
        )
        user.set_roles(new_roles)
    return user


def user_deactivate(*, actor: User | None, user: User) -> User:
    """The person can no longer sign in nor use their tokens; their history stays."""
    return user_update(actor=actor, user=user, active=False)


DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


def _clean_domains(domains: Sequence[str], errors: dict[str, str]) -> list[str]:
    cleaned = list(dict.fromkeys(d.strip().lower().lstrip("@") for d in domains if d.strip()))
    bad = [d for d in cleaned if not DOMAIN_RE.match(d)]
    if bad:
        errors["email_domains"] = f"Not a mail domain: {', '.join(bad)} (e.g. acme.example)."
    elif len(cleaned) > 50:
        errors["email_domains"] = "At most 50 domains."
    return cleaned


def organisation_for_email(address: str) -> Organisation | None:
    """The organisation whose mail domains include the address's domain, if exactly one."""
    domain = address.rpartition("@")[2].strip().lower()
    if not domain:
        return None
    found = [o for o in Organisation.objects.all() if domain in o.email_domains]
    return found[0] if len(found) == 1 else None


def _domains_taken(domains: Sequence[str], other_than: Organisation | None) -> str:
    for organisation in Organisation.objects.exclude(pk=other_than.pk if other_than else 0):
        shared = set(domains) & set(organisation.email_domains)
        if shared:
            return f"{', '.join(sorted(shared))} belongs to {organisation.name}."
    return ""


@transaction.atomic
def organisation_create(
    *, actor: User | None, name: str, slug: str = "", email_domains: Sequence[str] = ()
) -> Organisation:
    _require_admin(actor)
    name = name.strip()
    slug = slug.strip() or slugify(name)
    errors: dict[str, str] = {}
    if not name or len(name) > 200:
        errors["name"] = "An organisation needs a name (at most 200 characters)."
    elif Organisation.objects.filter(name__iexact=name).exists():
        errors["name"] = f"An organisation named '{name}' exists."
    if not SLUG_RE.match(slug):
        errors["slug"] = "Use 1-80 lowercase letters, digits and hyphens."
    elif Organisation.objects.filter(slug=slug).exists():
        errors["slug"] = f"The slug '{slug}' is taken."
    domains = _clean_domains(email_domains, errors)
    if "email_domains" not in errors and (taken := _domains_taken(domains, None)):
        errors["email_domains"] = taken
    if errors:
        raise ValidationFailed("The organisation could not be created", fields=errors)
    organisation = Organisation.objects.create(name=name, slug=slug, email_domains=domains)
    audit_record(
        actor=actor,
        subject=organisation,
        action="created",
        data={"name": name, "email_domains": domains},
    )
    return organisation


@transaction.atomic
def organisation_update(
    *,
    actor: User | None,
    organisation: Organisation,
    name: str | None = None,
    email_domains: Sequence[str] | None = None,
) -> Organisation:
    """Rename an organisation or change its mail domains (the slug is its key and stays)."""
    _require_admin(actor)
    errors: dict[str, str] = {}
    changes: dict[str, tuple[object, object]] = {}
    if name is not None:
        name = name.strip()
        if not name or len(name) > 200:
            errors["name"] = "An organisation needs a name (at most 200 characters)."
        elif Organisation.objects.filter(name__iexact=name).exclude(pk=organisation.pk).exists():
            errors["name"] = f"An organisation named '{name}' exists."
        else:
            changes["name"] = (organisation.name, name)
    if email_domains is not None:
        domains = _clean_domains(email_domains, errors)
        if "email_domains" not in errors and (taken := _domains_taken(domains, organisation)):
            errors["email_domains"] = taken
        changes["email_domains"] = (
            ", ".join(organisation.email_domains),
            ", ".join(domains),
        )
    if errors:
        raise ValidationFailed("The organisation was not changed", fields=errors)
    if "name" in changes:
        organisation.name = str(changes["name"][1])
    if email_domains is not None:
        organisation.email_domains = [d for d in str(changes["email_domains"][1]).split(", ") if d]
    if audit_changes(actor=actor, subject=organisation, action="updated", changes=changes):
        organisation.save(update_fields=["name", "email_domains"])
    return organisation


@transaction.atomic
def organisation_set_partners(
    *, actor: User | None, organisation: Organisation, partners: Sequence[User]
) -> Organisation:
    """The partner accounts that serve an organisation (open and follow cases for it)."""
    _require_admin(actor)
    not_partners = [p.username for p in partners if not p.has_role(Role.PARTNER)]
    if not_partners:
        raise ValidationFailed(
            "Only partners serve organisations",
            fields={"partners": f"Not a partner: {', '.join(not_partners)}."},
        )
    before = sorted(organisation.partners.values_list("username", flat=True))
    organisation.partners.set(partners)
    after = sorted(p.username for p in partners)
    audit_changes(
        actor=actor,
        subject=organisation,
        action="updated",
        changes={"partners": (", ".join(before), ", ".join(after))},
    )
    return organisation


def _team_errors(name: str, kind: str, team: Team | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if kind not in TeamKind.values:
        errors["kind"] = "Use development or devops."
    if not name or len(name) > 120:
        errors["name"] = "Name the team (at most 120 characters)."
    elif Team.objects.filter(name__iexact=name).exclude(pk=team.pk if team else 0).exists():
        errors["name"] = f"A team named '{name}' exists."
    elif team is None and (not slugify(name) or Team.objects.filter(slug=slugify(name)).exists()):
        errors["name"] = f"The name gives the slug '{slugify(name)}', which is empty or taken."
    return errors


@transaction.atomic
def team_create(
    *, actor: User | None, name: str, kind: str = TeamKind.DEVELOPMENT, members: Sequence[User] = ()
) -> Team:
    _require_admin(actor)
    name = name.strip()
    errors = _team_errors(name, kind, None)
    if errors:
        raise ValidationFailed("The team could not be created", fields=errors)
    team = Team.objects.create(name=name, slug=slugify(name), kind=kind)
    team.members.set(members)
    audit_record(
        actor=actor,
        subject=team,
        action="created",
        data={"kind": kind, "members": sorted(m.username for m in members)},
    )
    return team


@transaction.atomic
def team_update(
    *, actor: User | None, team: Team, name: str | None = None, kind: str | None = None
) -> Team:
    _require_admin(actor)
    new_name = team.name if name is None else name.strip()
    new_kind = team.kind if kind is None else kind
    errors = _team_errors(new_name, new_kind, team)
    if errors:
        raise ValidationFailed("The team was not changed", fields=errors)
    changes = {"name": (team.name, new_name), "kind": (team.kind, new_kind)}
    team.name, team.kind = new_name, new_kind
    if audit_changes(actor=actor, subject=team, action="updated", changes=changes):
        team.save(update_fields=["name", "kind"])
    return team


@transaction.atomic
def team_member_add(*, actor: User | None, team: Team, user: User) -> Team:
    _require_admin(actor)
    if user.is_external:
        raise ValidationFailed(
            "Customers and partners are in no team",
            fields={"username": f"{user.username} is a customer or partner."},
        )
    if not user.is_active:
        raise ValidationFailed(
            "Inactive user", fields={"username": f"{user.username} is deactivated."}
        )
    if not team.members.filter(pk=user.pk).exists():
        team.members.add(user)
        audit_record(
            actor=actor, subject=team, action="member_added", field="members", new=user.username
        )
    return team


@transaction.atomic
def team_member_remove(*, actor: User | None, team: Team, user: User) -> Team:
    _require_admin(actor)
    if team.members.filter(pk=user.pk).exists():
        team.members.remove(user)
        audit_record(
            actor=actor, subject=team, action="member_removed", field="members", old=user.username
        )
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
    audit_record(
        actor=actor, subject=token, action=AuditAction.CREATED, data={"user": user.username}
    )
    return token, secret


@transaction.atomic
def token_revoke(*, actor: User | None, token: ApiToken) -> ApiToken:
    if actor is not None and actor.pk != token.user_id:
        _require_admin(actor)
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, subject=token, action=AuditAction.REVOKED)
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
