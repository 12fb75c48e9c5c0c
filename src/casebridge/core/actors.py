"""The system actor: Casebridge itself, for changes no person makes (quiet-period closes)."""

from __future__ import annotations

SYSTEM_ROLE = "system"


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
