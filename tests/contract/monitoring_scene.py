"""The monitoring and incident objects of the permission matrix, and the intake endpoints' own
matrix (they authenticate an integration's secret, not a user's token).

Objects: AG = a firing alert group of Payments (no incident), INC = an incident declared from
another group, led by dev3 (L3), brought into <state> by dev3 (``in_review`` also has an action item
without an owner: ``{item_id}``), PAY = a payload whose processing failed, INT = its integration. ``{AG}`` in a body is
AG's key.
"""

# ruff: noqa: E501

from __future__ import annotations

from typing import Any
from unittest import mock

from casebridge.incidents.models import Incident
from casebridge.incidents.services import (
    Declaration,
    action_item_add,
    incident_declare,
    incident_transition,
)
from casebridge.monitoring.models import AlertGroup, Payload
from casebridge.monitoring.worker import intake_drain, payloads_fold
from tests import factories
from tests.monitoring.helpers import Sender, alert, make_integration, webhook

STATE: dict[str, Any] = {}

# fmt: off
#: Rows for the permission matrix, in its columns.
ROWS = """
GET    /incidents                               -           -                   401  200    200    200 200 200   200 200  200   401
POST   /incidents                               -           -                   401  404    404    403 201 403   403 201  201   401
GET    /incidents/{key}                         INC         active              401  404    404    200 200 200   200 200  200   401
POST   /incidents/{key}/transition              INC         active              401  404    404    409 409 403   409 200  200   401
POST   /incidents/{key}/roles                   INC         active              401  404    404    409 409 403   409 200  200   401
GET    /incidents/{key}/timeline                INC         active              401  404    404    200 200 200   200 200  200   401
POST   /incidents/{key}/notes                   INC         active              401  404    404    403 201 403   403 201  201   401
GET    /incidents/{key}/review                  INC         in_review           401  404    404    200 200 200   200 200  200   401
PUT    /incidents/{key}/review                  INC         in_review           401  404    404    403 403 403   403 200  200   401
POST   /incidents/{key}/action-items            INC         in_review           401  404    404    403 403 403   403 201  201   401
POST   /incidents/{key}/action-items/{item_id}/assign INC   in_review           401  404    404    403 403 403   403 200  200   401
GET    /alert-groups                            -           -                   401  200    200    200 200 200   200 200  200   401
POST   /alert-groups/anomalies                  -           -                   401  403    403    201 201 403   403 201  201   401
GET    /alert-groups/{key}                      AG          -                   401  404    404    200 200 200   200 200  200   401
POST   /alert-groups/{key}/responder            AG          -                   401  404    404    403 200 403   403 200  200   401
GET    /integrations                            -           -                   401  403    403    403 403 403   403 403  200   401
POST   /integrations                            -           -                   401  403    403    403 403 403   403 403  201   401
PATCH  /integrations/{slug}/grouping            INT         -                   401  403    403    403 403 403   403 403  200   401
GET    /integrations/payloads                   -           -                   401  403    403    403 403 403   403 403  200   401
POST   /integrations/payloads/{payload_id}/retry PAY        -                   401  403    403    403 403 403   403 403  200   401
GET    /services/{slug}/health                  -           -                   401  200    200    200 200 200   200 200  200   401
"""
# fmt: on

BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/incidents"): {
        "title": "Card payments fail for everyone",
        "severity": "sev2",
        "lead": "dev3",
        "alert_group": "{AG}",
    },
    ("POST", "/incidents/{key}/transition"): {
        "action": "mitigate",
        "data": {"note": "Rolled back to 4.2.0"},
    },
    ("POST", "/incidents/{key}/roles"): {"role": "scribe", "user": "l2"},
    ("POST", "/incidents/{key}/notes"): {"body": "Error rate back under 1%."},
    ("PUT", "/incidents/{key}/review"): {"root_cause": "A connection pool too small for the sale."},
    ("POST", "/incidents/{key}/action-items"): {
        "title": "Size the pool from load tests",
        "owner": "dev3",
    },
    ("POST", "/incidents/{key}/action-items/{item_id}/assign"): {"owner": "dev3"},
    ("POST", "/alert-groups/anomalies"): {
        "service": "payments",
        "summary": "Checkout latency doubled since 10:00",
    },
    ("POST", "/alert-groups/{key}/responder"): {"responder": "dev3"},
    ("POST", "/integrations"): {
        "kind": "alertmanager",
        "name": "Staging Alertmanager",
        "service": "payments",
    },
    ("POST", "/integrations/payloads/{payload_id}/retry"): {},
    ("PATCH", "/integrations/{slug}/grouping"): {"storm_threshold": 5},
}


def build(world: factories.World) -> None:
    """Made once per module, inside the module's transaction."""
    STATE.clear()
    integration, secret = make_integration(world, slug="prom-prod")
    sender = Sender(integration, secret)
    sender.post(webhook(alert("HighErrorRate"), alert("PoolExhausted")))
    intake_drain()
    first, second = AlertGroup.objects.order_by("id")
    sender.post(webhook(alert("Unreadable")))
    with mock.patch("casebridge.monitoring.ahead.events_of", side_effect=ValueError("boom")):
        payloads_fold()
    failed = Payload.objects.get(state="failed")
    incident = incident_declare(
        actor=world["dev3"],
        data=Declaration(title="Pool exhausted", severity="sev2", lead=world["dev3"], group=second),
    )
    STATE.update(group=first.key, incident=incident.key, payload=failed.pk, secret=secret)


def bring_to(row_obj: str, state: str, world: factories.World) -> None:
    if row_obj != "INC" or state == "active":
        return
    dev3 = world["dev3"]
    steps = [
        ("mitigate", {"note": "Rolled back"}),
        ("resolve", {"note": "Pool resized"}),
        ("start_review", {"review_lead": dev3}),
    ]
    for action, data in steps:
        incident = Incident.objects.get(key=STATE["incident"])
        incident_transition(actor=dev3, incident=incident, action=action, data=data)
    item = action_item_add(
        actor=dev3, incident=Incident.objects.get(key=STATE["incident"]), title="Alert on pool use"
    )
    STATE["item"] = item.pk


def substitute(path: str, row_obj: str) -> str:
    if row_obj == "INC":
        path = path.replace("{key}", STATE["incident"]).replace(
            "{item_id}", str(STATE.get("item", 0))
        )
    elif row_obj == "AG":
        path = path.replace("{key}", STATE["group"])
    elif row_obj == "PAY":
        path = path.replace("{payload_id}", str(STATE["payload"]))
    elif row_obj == "INT":
        path = path.replace("{slug}", "prom-prod")
    return path.replace("{slug}", "payments")


def fill(body: str) -> str:
    return body.replace("{AG}", STATE.get("group", ""))


# --- the intake endpoints: callers are secrets, not users ----------------------------------------

#: caller -> expected status, for each intake route. ``secret`` = the integration's own secret,
#: ``other`` = another integration's, ``user`` = admin's user token, ``wrong`` = a made-up secret.
INTAKE_CALLERS = ("none", "user", "wrong", "other", "secret")
INTAKE_ROUTES = {
    ("POST", "/intake/alertmanager/{integration}"): (401, 401, 401, 401, 202),
    ("POST", "/intake/grafana/{integration}"): (401, 401, 401, 401, 202),
    ("POST", "/intake/events/{integration}"): (401, 401, 401, 401, 202),
}
