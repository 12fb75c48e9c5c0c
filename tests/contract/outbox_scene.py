"""The outbox and webhook objects of the permission matrix: administrators only.

Objects: DL = a dead letter of the outbox; WH = a Slack destination ``ops-hook`` with one route
(``{route_id}``), pointed at a closed port on loopback so that its test post fails at once.
"""

# ruff: noqa: E501

from __future__ import annotations

from typing import Any

from django.db import transaction

from casebridge.core import clock
from casebridge.integrations.models import OutboxMessage, OutboxState
from casebridge.integrations.outbox import outbox_enqueue
from casebridge.integrations.webhooks.services import (
    webhook_destination_create,
    webhook_route_add,
)
from tests import factories

STATE: dict[str, Any] = {}

# fmt: off
ROWS = """
GET    /outbox                                  -           -                   401  403    403    403 403 403   403 403  200   401
GET    /outbox/summary                          -           -                   401  403    403    403 403 403   403 403  200   401
POST   /outbox/retry-dead                       -           -                   401  403    403    403 403 403   403 403  200   401
GET    /outbox/{message_id}                     DL          -                   401  403    403    403 403 403   403 403  200   401
POST   /outbox/{message_id}/retry               DL          -                   401  403    403    403 403 403   403 403  200   401
POST   /outbox/{message_id}/discard             DL          -                   401  403    403    403 403 403   403 403  200   401
GET    /webhooks                                -           -                   401  403    403    403 403 403   403 403  200   401
POST   /webhooks                                -           -                   401  403    403    403 403 403   403 403  201   401
GET    /webhooks/{slug}                         WH          -                   401  403    403    403 403 403   403 403  200   401
POST   /webhooks/{slug}/remove                  WH          -                   401  403    403    403 403 403   403 403  200   401
POST   /webhooks/{slug}/routes                  WH          -                   401  403    403    403 403 403   403 403  201   401
POST   /webhooks/{slug}/routes/{route_id}/remove WH         -                   401  403    403    403 403 403   403 403  200   401
POST   /webhooks/{slug}/test                    WH          -                   401  403    403    403 403 403   403 403  200   401
"""
# fmt: on

BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/outbox/retry-dead"): {},
    ("POST", "/outbox/{message_id}/retry"): {},
    ("POST", "/outbox/{message_id}/discard"): {},
    ("POST", "/webhooks"): {
        "kind": "slack",
        "name": "#incidents",
        "url": "https://hooks.slack.com/services/T0/B0/abcdefgh",
    },
    ("POST", "/webhooks/{slug}/remove"): {},
    ("POST", "/webhooks/{slug}/routes"): {"topic": "incident.*", "severities": ["sev1", "sev2"]},
    ("POST", "/webhooks/{slug}/routes/{route_id}/remove"): {},
    ("POST", "/webhooks/{slug}/test"): {},
}


def build(world: factories.World) -> None:
    """Made once per module, inside the module's transaction."""
    STATE.clear()
    hook, _ = webhook_destination_create(
        actor=None, kind="slack", name="Ops", slug="ops-hook", url="https://127.0.0.1:1/hook"
    )
    route = webhook_route_add(actor=None, destination=hook, topic="incident.*")
    with transaction.atomic():
        dead = outbox_enqueue(topic="webhook.deliver", payload={}, destination=hook.address)
    OutboxMessage.objects.filter(pk=dead.pk).update(
        state=OutboxState.DEAD, attempts=16, finished_at=clock.now(), last_error="HTTP 500"
    )
    STATE.update(message=dead.pk, slug=hook.slug, route=route.pk)


def substitute(path: str, row_obj: str) -> str:
    if row_obj == "DL":
        path = path.replace("{message_id}", str(STATE["message"]))
    elif row_obj == "WH":
        path = path.replace("{slug}", STATE["slug"]).replace("{route_id}", str(STATE["route"]))
    return path
