"""Every write to accounts (one door per change):

* ``users``: users, their profile and roles, and whether they may sign in;
* ``organisations``: organisations, their mail domains and partners;
* ``teams``: teams and their members;
* ``tokens``: API tokens, and the user behind a bearer secret.
"""

from casebridge.accounts.services.organisations import (
    DOMAIN_RE,
    SLUG_RE,
    organisation_create,
    organisation_for_email,
    organisation_set_partners,
    organisation_update,
)
from casebridge.accounts.services.teams import (
    team_create,
    team_member_add,
    team_member_remove,
    team_update,
)
from casebridge.accounts.services.tokens import (
    TOKEN_PREFIX,
    TOKEN_USE_RECORDED_EVERY,
    token_authenticate,
    token_create,
    token_revoke,
)
from casebridge.accounts.services.users import (
    UNSET,
    USERNAME_RE,
    user_create,
    user_deactivate,
    user_update,
)

__all__ = [
    "DOMAIN_RE",
    "SLUG_RE",
    "TOKEN_PREFIX",
    "TOKEN_USE_RECORDED_EVERY",
    "UNSET",
    "USERNAME_RE",
    "organisation_create",
    "organisation_for_email",
    "organisation_set_partners",
    "organisation_update",
    "team_create",
    "team_member_add",
    "team_member_remove",
    "team_update",
    "token_authenticate",
    "token_create",
    "token_revoke",
    "user_create",
    "user_deactivate",
    "user_update",
]
