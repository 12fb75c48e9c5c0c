from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from django.db import connection
from django.db.models import Q, QuerySet

from casebridge.accounts.models import (
    ApiToken,
    Organisation,
    Role,
    Team,
    User,
    UserRole,
    as_user,
)
from casebridge.core.actors import SYSTEM, Actor
from casebridge.core.errors import NotFound, PermissionDenied, ValidationFailed
from casebridge.core.prepared import row_by, rows_read


@cache
def _with_roles_sql(vendor: str) -> tuple[str, tuple[str, ...]]:
    """Users (every column, table alias ``u``) with their roles, one row per role, and the
    attribute names of the user columns; the condition follows."""
    meta = User._meta
    quote = connection.ops.quote_name
    attnames = tuple(f.attname for f in meta.concrete_fields)
    columns = ", ".join(f"u.{quote(f.column or f.name)}" for f in meta.concrete_fields)
    sql = (
        f"SELECT {columns}, r.{quote('role')} FROM {quote(meta.db_table)} u "  # noqa: S608
        f"LEFT JOIN {quote(UserRole._meta.db_table)} r ON r.{quote('user_id')} = u.{quote('id')} "
        "WHERE "
    )
    return sql, attnames


def users_with_roles_where(where: str, params: Sequence[str | int | bool]) -> list[User]:
    """The users matching ``where`` (SQL over the alias ``u``, with ``%s`` for ``params``), each
    with its roles, in one statement (``prefetch_related("role_grants")`` takes two), ordered by
    username as ``User`` is."""
    sql, attnames = _with_roles_sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql + where, list(params))
        rows = cursor.fetchall()
    width = len(attnames)
    users: dict[object, tuple[tuple[object, ...], list[str]]] = {}
    for row in rows:
        entry = users.setdefault(row[0], (row[:width], []))
        if row[width] is not None:
            entry[1].append(str(row[width]))
    read = rows_read(User, attnames, [entry[0] for entry in users.values()])
    for user, (_, roles) in zip(read, users.values(), strict=True):
        user.set_roles(roles)
    return sorted(read, key=lambda u: u.username)


def users_with_roles(
    *, column: str, values: Sequence[str | int], active: bool = False
) -> list[User]:
    """The users whose ``column`` (``username`` or ``id``) is one of ``values``, with their
    roles (``users_with_roles_where``); ``active``: only active accounts."""
    if not values:
        return []
    where = f"u.{connection.ops.quote_name(column)} IN ({', '.join(['%s'] * len(values))})"
    if active:
        return users_with_roles_where(f"{where} AND u.is_active = %s", [*values, True])
    return users_with_roles_where(where, values)


def user_list_for(viewer: Actor, *, role: str = "", level: str = "") -> QuerySet[User]:
    """The directory is internal: customers and partners see only themselves."""
    users = User.objects.filter(is_active=True).prefetch_related("role_grants", "teams")
    users = users.select_related("organisation")
    if viewer.is_external:
        users = users.filter(pk=as_user(viewer).pk)
    if role:
        users = users.filter(role_grants__role=role)
    if level:
        users = users.filter(level=level)
    return users.order_by("username").distinct()


def user_get_for(viewer: Actor, username: str) -> User:
    user = user_list_for(viewer).filter(username=username).first()
    if user is None:
        raise NotFound(f"No user {username}")
    return user


def user_by_username(username: str, *, field: str) -> User:
    """An active user by name, for input fields that name a person (owner, reporter, ...)."""
    user = (
        User.objects.prefetch_related("role_grants")
        .filter(username=username, is_active=True)
        .first()
    )
    if user is None:
        raise ValidationFailed(
            f"Unknown user '{username}'", fields={field: f"No user '{username}'."}
        )
    return user


def users_with_role(role: str) -> QuerySet[User]:
    return user_list_for_internal().filter(role_grants__role=role)


def user_list_for_internal() -> QuerySet[User]:
    return User.objects.filter(is_active=True).prefetch_related("role_grants").order_by("username")


def organisation_by_slug(slug: str, *, field: str = "organisation") -> Organisation:
    organisation = row_by(Organisation, slug=slug)
    if organisation is None:
        raise ValidationFailed(
            f"Unknown organisation '{slug}'", fields={field: f"No organisation '{slug}'."}
        )
    return organisation


def team_list_for(viewer: Actor) -> QuerySet[Team]:
    if viewer.is_external:
        return Team.objects.none()
    return Team.objects.prefetch_related("members").order_by("name")


def tokens_for(viewer: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=viewer).order_by("-created_at")


def token_get_for(viewer: User, prefix: str) -> ApiToken:
    token = tokens_for(viewer).filter(prefix=prefix).first()
    if token is None:
        raise NotFound(f"No token {prefix}")
    return token


__all__ = ["Role"]


def organisation_list_for(viewer: Actor) -> QuerySet[Organisation]:
    """Organisations a viewer may report for: staff all, partners those they serve."""
    if not viewer.is_external:
        return Organisation.objects.order_by("name")
    if viewer.has_role(Role.PARTNER):
        return as_user(viewer).served_organisations.order_by("name")
    organisation = as_user(viewer).organisation_id
    if organisation is None:
        return Organisation.objects.none()
    return Organisation.objects.filter(pk=organisation)


def actor_get(actor_id: int | None) -> Actor:
    """Who an event says acted (``core.events.actor_id``): the user, or Casebridge itself."""
    if actor_id is None:
        return SYSTEM
    found = users_with_roles(column="id", values=[actor_id])
    if not found:
        raise User.DoesNotExist(f"No user {actor_id}")
    return found[0]


# --- administration (settings pages, CLI, API): every account, active or not ------------------


def _require_admin(viewer: Actor | None) -> None:
    if viewer is not None and not viewer.has_role(Role.ADMIN):
        raise PermissionDenied("Only an administrator manages accounts")


def organisation_get_for(viewer: Actor, slug: str) -> Organisation:
    """An organisation the viewer may see (staff every one, customers and partners theirs)."""
    organisation = organisation_list_for(viewer).filter(slug=slug).first()
    if organisation is None:
        raise NotFound(f"No organisation '{slug}'")
    return organisation


def organisation_people(organisation: Organisation) -> tuple[list[User], list[User]]:
    """Its customer users and the partners serving it."""
    members = list(organisation.members.prefetch_related("role_grants").order_by("username"))
    partners = list(organisation.partners.prefetch_related("role_grants").order_by("username"))
    return members, partners


def user_admin_list(
    viewer: Actor | None, *, role: str = "", text: str = "", include_inactive: bool = True
) -> QuerySet[User]:
    """Every account, for administrators: active or not, with roles, teams and organisation."""
    _require_admin(viewer)
    users = User.objects.prefetch_related("role_grants", "teams").select_related("organisation")
    if not include_inactive:
        users = users.filter(is_active=True)
    if role:
        users = users.filter(role_grants__role=role)
    if text:
        users = users.filter(
            Q(username__icontains=text) | Q(email__icontains=text) | Q(last_name__icontains=text)
        )
    return users.order_by("username").distinct()


def user_admin_get(viewer: Actor | None, username: str) -> User:
    user = user_admin_list(viewer).filter(username=username).first()
    if user is None:
        raise NotFound(f"No user '{username}'")
    return user


def user_by_username_any(username: str, *, field: str = "username") -> User:
    """Any account by name, active or not (an administrator's input)."""
    user = User.objects.prefetch_related("role_grants").filter(username=username).first()
    if user is None:
        raise ValidationFailed(
            f"Unknown user '{username}'", fields={field: f"No user '{username}'."}
        )
    return user


def team_get_for(viewer: Actor, slug: str) -> Team:
    team = team_list_for(viewer).filter(slug=slug).first()
    if team is None:
        raise NotFound(f"No team '{slug}'")
    return team


def team_by_slug(slug: str, *, field: str = "team") -> Team:
    team = row_by(Team, slug=slug)
    if team is None:
        raise ValidationFailed(f"Unknown team '{slug}'", fields={field: f"No team '{slug}'."})
    return team


def tokens_of(viewer: Actor | None, user: User) -> QuerySet[ApiToken]:
    """A person's tokens: their own, or anyone's for an administrator."""
    if viewer is not None and viewer.pk != user.pk:
        _require_admin(viewer)
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def token_of(viewer: Actor | None, user: User, prefix: str) -> ApiToken:
    token = tokens_of(viewer, user).filter(prefix=prefix).first()
    if token is None:
        raise NotFound(f"No token {prefix}")
    return token
