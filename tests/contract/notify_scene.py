"""The notification objects of the permission matrix: everyone signed in reads and changes only
their own; watching needs the object to be visible; inviting is for administrators.

Objects: N = a notification of l2 (others get 404); A / B = the cases of the main scene;
U = the customer cust_a (who has an address), invited by an administrator.
"""

# ruff: noqa: E501

from __future__ import annotations

from typing import Any

from casebridge.integrations.models import Notification
from casebridge.integrations.notifications import notify
from tests import factories

STATE: dict[str, Any] = {}

# fmt: off
ROWS = """
GET    /notifications                           -           -                   401  200    200    200 200 200   200 200  200   401
POST   /notifications/read                      -           -                   401  200    200    200 200 403   200 200  200   401
POST   /notifications/{notification_id}/read    N           -                   401  404    404    404 200 403   404 404  404   401
GET    /notifications/preferences               -           -                   401  200    200    200 200 200   200 200  200   401
PUT    /notifications/preferences               -           -                   401  200    200    200 200 403   200 200  200   401
GET    /watches                                 -           -                   401  200    200    200 200 200   200 200  200   401
PUT    /watches/{subject_type}/{key}            A           new                 401  200    404    200 200 403   200 200  200   401
DELETE /watches/{subject_type}/{key}            A           new                 401  200    404    200 200 403   200 200  200   401
PUT    /watches/{subject_type}/{key}            B           new                 401  404    200    200 200 403   200 200  200   401
POST   /users/{username}/invite                 U           -                   401  403    403    403 403 403   403 403  200   401
"""
# fmt: on

BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/notifications/read"): {},
    ("POST", "/notifications/{notification_id}/read"): {},
    ("PUT", "/notifications/preferences"): {
        "preferences": {"case_changed": {"in_app": True, "email": False, "digest": False}}
    },
    ("PUT", "/watches/{subject_type}/{key}"): {},
    ("DELETE", "/watches/{subject_type}/{key}"): {},
    ("POST", "/users/{username}/invite"): {},
}


def build(world: factories.World) -> None:
    """Made once per module, inside the module's transaction."""
    STATE.clear()
    notify(users=[world["l2"]], subject_key="CB-1", message="Matrix", email=False)
    STATE.update(notification=Notification.objects.filter(user=world["l2"]).latest("id").pk)


def substitute(path: str, row_obj: str) -> str:
    if row_obj == "N":
        path = path.replace("{notification_id}", str(STATE["notification"]))
    elif row_obj == "U":
        path = path.replace("{username}", "cust_a")
    elif row_obj in ("A", "B"):
        path = path.replace("{subject_type}", "case")
    return path
