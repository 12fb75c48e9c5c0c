"""Who acts: a signed-in user or Casebridge itself (the system actor, for changes no person makes,
such as quiet-period closes). Services take an ``actor: Actor``, selectors a ``viewer: Actor``."""

from __future__ import annotations

from typing import Protocol

SYSTEM_ROLE = "system"


class Actor(Protocol):
    """The shape a user (``accounts.User``) and the system actor share.

    Only what the services and selectors ask of whoever acts: who it is, its roles, its level,
    and whether it is external (a customer or partner, who sees only its organisations).
    """

    @property
    def pk(self) -> int | None: ...

    @property
    def username(self) -> str: ...

    @property
    def display_name(self) -> str: ...

    @property
    def level(self) -> str: ...

    @property
    def level_rank(self) -> int: ...

    @property
    def is_external(self) -> bool: ...

    @property
    def is_authenticated(self) -> bool: ...

    @property
    def roles(self) -> frozenset[str]: ...

    def has_role(self, *roles: str) -> bool: ...


class SystemActor:
    pk = None
    username = "casebridge"
    display_name = "Casebridge"
    level = ""
    level_rank = 0
    is_external = False
    is_authenticated = True

    roles = frozenset({SYSTEM_ROLE})

    def has_role(self, *roles: str) -> bool:
        return SYSTEM_ROLE in roles

    def __str__(self) -> str:
        return self.display_name


SYSTEM = SystemActor()
