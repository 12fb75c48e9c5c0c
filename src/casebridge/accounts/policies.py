"""Rules the accounts services apply: who may manage accounts."""

from __future__ import annotations

from casebridge.accounts.models import Role
from casebridge.core.actors import Actor
from casebridge.core.errors import PermissionDenied


def require_admin(actor: Actor | None) -> None:
    """``None`` is the operator at the server's shell (CLI, demo loader)."""
    if actor is not None and not actor.has_role(Role.ADMIN):
        raise PermissionDenied("Only an administrator may manage accounts")
