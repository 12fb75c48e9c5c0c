"""Every write to teams: creating and renaming them, their members."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils.text import slugify

from casebridge.accounts.models import Team, TeamKind, User
from casebridge.accounts.policies import require_admin
from casebridge.audit.services import audit_changes, audit_record
from casebridge.core.actors import Actor
from casebridge.core.errors import ValidationFailed


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
    *,
    actor: Actor | None,
    name: str,
    kind: str = TeamKind.DEVELOPMENT,
    members: Sequence[User] = (),
) -> Team:
    require_admin(actor)
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
    *, actor: Actor | None, team: Team, name: str | None = None, kind: str | None = None
) -> Team:
    require_admin(actor)
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
def team_member_add(*, actor: Actor | None, team: Team, user: User) -> Team:
    require_admin(actor)
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
def team_member_remove(*, actor: Actor | None, team: Team, user: User) -> Team:
    require_admin(actor)
    if team.members.filter(pk=user.pk).exists():
        team.members.remove(user)
        audit_record(
            actor=actor, subject=team, action="member_removed", field="members", old=user.username
        )
    return team
