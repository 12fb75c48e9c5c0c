"""Every write to users: creating them, their profile, roles, level and whether they may sign in."""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction

from casebridge.accounts.models import Level, Organisation, Role, User, UserRole
from casebridge.accounts.policies import require_admin
from casebridge.accounts.services.organisations import organisation_for_email
from casebridge.audit.actions import AuditAction
from casebridge.audit.services import audit_changes, audit_record
from casebridge.core.actors import Actor
from casebridge.core.errors import ValidationFailed

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@+-]{2,150}$")


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
    actor: Actor | None,
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
    require_admin(actor)
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
    actor: Actor | None,
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
    require_admin(actor)
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


def user_deactivate(*, actor: Actor | None, user: User) -> User:
    """The person can no longer sign in nor use their tokens; their history stays."""
    return user_update(actor=actor, user=user, active=False)
