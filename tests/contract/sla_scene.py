"""SLA calendars, policies and work items' fix targets in the permission matrix: staff read,
administrators write.

Objects: CAL = the calendar ``office`` (used by no policy), POL = the policy ``standard``, ITG =
the fix target ``critical-fix``, MET = a
metric of the support report (the cases behind a number). The support report is for the L2 lead
(L2 engineers), the RTE, the PM and administrators.
"""

# ruff: noqa: E501

from __future__ import annotations

from typing import Any

from casebridge.sla.calendars import calendar_create
from casebridge.sla.items import item_policy_create
from casebridge.sla.policies import policy_create
from tests import factories

# fmt: off
ROWS = """
GET    /sla-calendars                           -           -                   401  403    403    200 200 200   200 200  200   401
POST   /sla-calendars                           -           -                   401  403    403    403 403 403   403 403  201   401
GET    /sla-calendars/{slug}                    CAL         -                   401  403    403    200 200 200   200 200  200   401
PATCH  /sla-calendars/{slug}                    CAL         -                   401  403    403    403 403 403   403 403  200   401
DELETE /sla-calendars/{slug}                    CAL         -                   401  403    403    403 403 403   403 403  200   401
GET    /sla-policies                            -           -                   401  403    403    200 200 200   200 200  200   401
POST   /sla-policies                            -           -                   401  403    403    403 403 403   403 403  201   401
POST   /sla-policies/order                      -           -                   401  403    403    403 403 403   403 403  200   401
GET    /sla-policies/{slug}                     POL         -                   401  403    403    200 200 200   200 200  200   401
PATCH  /sla-policies/{slug}                     POL         -                   401  403    403    403 403 403   403 403  200   401
DELETE /sla-policies/{slug}                     POL         -                   401  403    403    403 403 403   403 403  200   401
GET    /sla-item-targets                        -           -                   401  403    403    200 200 200   200 200  200   401
POST   /sla-item-targets                        -           -                   401  403    403    403 403 403   403 403  201   401
GET    /sla-item-targets/{slug}                 ITG         -                   401  403    403    200 200 200   200 200  200   401
PATCH  /sla-item-targets/{slug}                 ITG         -                   401  403    403    403 403 403   403 403  200   401
DELETE /sla-item-targets/{slug}                 ITG         -                   401  403    403    403 403 403   403 403  200   401
GET    /reports/support                         -           -                   401  403    403    403 200 200   200 403  200   401
GET    /reports/support/cases                   MET         -                   401  403    403    403 200 200   200 403  200   401
"""
# fmt: on

BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/sla-calendars"): {
        "name": "Sydney desk",
        "timezone": "Australia/Sydney",
        "always_open": True,
    },
    ("PATCH", "/sla-calendars/{slug}"): {"holiday_country": "DE"},
    ("DELETE", "/sla-calendars/{slug}"): {},
    ("POST", "/sla-policies"): {"name": "Gold", "calendar": "always", "first_response_minutes": 30},
    ("POST", "/sla-policies/order"): {"order": ["standard"]},
    ("PATCH", "/sla-policies/{slug}"): {"warn_percent": 80},
    ("DELETE", "/sla-policies/{slug}"): {},
    ("POST", "/sla-item-targets"): {"name": "Bugs", "calendar": "always", "fix_minutes": 960},
    ("PATCH", "/sla-item-targets/{slug}"): {"fix_minutes": 480},
    ("DELETE", "/sla-item-targets/{slug}"): {},
}


def build(world: factories.World) -> None:
    calendar_create(
        actor=None,
        name="Office",
        slug="office",
        timezone="Europe/Berlin",
        hours={"mon": [["09:00", "17:00"]]},
    )
    always = calendar_create(actor=None, name="Always", slug="always", always_open=True)
    policy_create(
        actor=None, name="Standard", slug="standard", calendar=always, first_response_minutes=240
    )
    item_policy_create(
        actor=None, name="Critical fix", slug="critical-fix", calendar=always, fix_minutes=960
    )


def substitute(path: str, row_obj: str) -> str:
    if row_obj == "CAL":
        return path.replace("{slug}", "office")
    if row_obj == "POL":
        return path.replace("{slug}", "standard")
    if row_obj == "ITG":
        return path.replace("{slug}", "critical-fix")
    if row_obj == "MET":
        return path + "?metric=outcomes:resolved"
    return path
