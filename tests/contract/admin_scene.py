"""The administration objects of the permission matrix: organisations, services and
components, teams and members, users and their tokens. Reads follow the usual visibility
(customers see their own organisation, no team); every write is an administrator's.

Objects: ORG = Acme (cust_a's organisation); SVC = the Payments service with its component
checkout-api; TEAM = the Core team (dev3 a member); user:dev2 = the L2 developer; UTOK = a token
of dev2.
"""

# ruff: noqa: E501

from __future__ import annotations

from typing import Any

from casebridge.accounts.services import token_create
from tests import factories

STATE: dict[str, Any] = {}

# fmt: off
ROWS = """
GET    /organisations                           -           -                   401  200    200    200 200 200   200 200  200   401
POST   /organisations                           -           -                   401  403    403    403 403 403   403 403  201   401
GET    /organisations/{slug}                    ORG         -                   401  200    404    200 200 200   200 200  200   401
PATCH  /organisations/{slug}                    ORG         -                   401  403    404    403 403 403   403 403  200   401
POST   /services                                -           -                   401  403    403    403 403 403   403 403  201   401
GET    /services/{slug}                         SVC         -                   401  200    200    200 200 200   200 200  200   401
PATCH  /services/{slug}                         SVC         -                   401  403    403    403 403 403   403 403  200   401
POST   /services/{slug}/components              SVC         -                   401  403    403    403 403 403   403 403  201   401
PATCH  /services/{slug}/components/{component}  SVC         -                   401  403    403    403 403 403   403 403  200   401
POST   /teams                                   -           -                   401  403    403    403 403 403   403 403  201   401
GET    /teams/{slug}                            TEAM        -                   401  404    404    200 200 200   200 200  200   401
PATCH  /teams/{slug}                            TEAM        -                   401  404    404    403 403 403   403 403  200   401
POST   /teams/{slug}/members                    TEAM        -                   401  404    404    403 403 403   403 403  200   401
POST   /teams/{slug}/members/{username}/remove  TEAM        -                   401  404    404    403 403 403   403 403  200   401
PATCH  /users/{username}                        user:dev2   -                   401  404    404    403 403 403   403 403  200   401
POST   /users/{username}/deactivate             user:dev2   -                   401  404    404    403 403 403   403 403  200   401
GET    /users/{username}/tokens                 user:dev2   -                   401  404    404    403 403 403   403 403  200   401
POST   /users/{username}/tokens                 user:dev2   -                   401  404    404    403 403 403   403 403  201   401
POST   /users/{username}/tokens/{prefix}/revoke UTOK        -                   401  404    404    403 403 403   403 403  200   401
"""
# fmt: on

BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/organisations"): {"name": "Cobalt Air", "email_domains": ["cobalt.example"]},
    ("PATCH", "/organisations/{slug}"): {"email_domains": ["acme.example"]},
    ("POST", "/services"): {
        "name": "Ledger",
        "owner_team": "core-team",
        "components": [{"name": "Posting engine", "critical": True}],
    },
    ("PATCH", "/services/{slug}"): {"owner_team": "core-team"},
    ("POST", "/services/{slug}/components"): {"name": "Wallet", "critical": True},
    ("PATCH", "/services/{slug}/components/{component}"): {"critical": False},
    ("POST", "/teams"): {"name": "Mobile", "kind": "development", "members": ["dev3"]},
    ("PATCH", "/teams/{slug}"): {"name": "Core"},
    ("POST", "/teams/{slug}/members"): {"username": "l2"},
    ("POST", "/teams/{slug}/members/{username}/remove"): {},
    ("PATCH", "/users/{username}"): {"level": "L3"},
    ("POST", "/users/{username}/deactivate"): {},
    ("POST", "/users/{username}/tokens"): {"name": "ci", "scope": "read"},
    ("POST", "/users/{username}/tokens/{prefix}/revoke"): {},
}


def build(world: factories.World) -> None:
    STATE.clear()
    token, _ = token_create(actor=None, user=world["dev2"], name="laptop", scope="read")
    STATE["prefix"] = token.prefix


def substitute(path: str, row_obj: str) -> str:
    if row_obj == "ORG":
        path = path.replace("{slug}", "acme")
    elif row_obj == "SVC":
        path = path.replace("{slug}", "payments").replace("{component}", "checkout-api")
    elif row_obj == "TEAM":
        path = path.replace("{slug}", "core-team").replace("{username}", "dev3")
    elif row_obj == "UTOK":
        path = path.replace("{username}", "dev2").replace("{prefix}", STATE["prefix"])
    return path
