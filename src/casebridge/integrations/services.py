"""The administrators' writes on the outbox: retry a dead letter (or all of them), discard one."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from casebridge.audit.actions import AuditAction
from casebridge.audit.services import audit_record
from casebridge.core import clock
from casebridge.core.actors import Actor
from casebridge.core.errors import Conflict
from casebridge.integrations.models import OutboxMessage, OutboxState
from casebridge.integrations.webhooks.services import require_admin

#: Messages an administrator may send again: dead letters, and those that had no receiver (a
#: subscriber may have been added since).
RETRYABLE = (OutboxState.DEAD, OutboxState.NO_RECEIVER, OutboxState.DISCARDED)


@dataclass
class Subject:
    """What the audit log names: ``outbox_message`` ``outbox:<id>``, or the ``outbox`` itself."""

    key: str
    audit_type: str = "outbox_message"


def _subject(message: OutboxMessage) -> Subject:
    return Subject(f"outbox:{message.pk}")


def _locked(message: OutboxMessage) -> OutboxMessage:
    return OutboxMessage.objects.select_for_update().get(pk=message.pk)


@transaction.atomic
def outbox_retry(*, actor: Actor, message: OutboxMessage) -> OutboxMessage:
    """Send a dead, discarded or unheard message again now, with a fresh count of attempts."""
    require_admin(actor)
    message = _locked(message)
    if message.state not in RETRYABLE:
        raise Conflict(
            f"Message {message.pk} is {message.get_state_display().lower()}; only dead, "
            "discarded or unheard messages are sent again",
            fields={"state": message.state},
        )
    old = message.state
    message.state = OutboxState.PENDING
    message.attempts = 0
    message.available_at = clock.now()
    message.finished_at = None
    message.lease_token = ""
    message.save(update_fields=["state", "attempts", "available_at", "finished_at", "lease_token"])
    audit_record(
        actor=actor,
        subject=_subject(message),
        action=AuditAction.RETRIED,
        field="state",
        old=old,
        new=message.state,
    )
    return message


@transaction.atomic
def outbox_retry_dead(*, actor: Actor, destination: str = "") -> int:
    """Send every dead letter (of one destination, if given) again now; returns how many."""
    require_admin(actor)
    dead = OutboxMessage.objects.filter(state=OutboxState.DEAD)
    if destination:
        dead = dead.filter(destination=destination)
    count = dead.update(
        state=OutboxState.PENDING,
        attempts=0,
        available_at=clock.now(),
        finished_at=None,
        lease_token="",
    )
    if count:
        audit_record(
            actor=actor,
            subject=Subject(destination or "all", audit_type="outbox"),
            action=AuditAction.RETRIED_DEAD,
            data={"count": count, "destination": destination},
        )
    return count


@transaction.atomic
def outbox_discard(*, actor: Actor, message: OutboxMessage) -> OutboxMessage:
    """Give up on a dead letter (or a pending message): it will not be sent."""
    require_admin(actor)
    message = _locked(message)
    if message.state not in (OutboxState.DEAD, OutboxState.PENDING):
        raise Conflict(
            f"Message {message.pk} is {message.get_state_display().lower()}; only dead or "
            "pending messages are discarded",
            fields={"state": message.state},
        )
    old = message.state
    message.state = OutboxState.DISCARDED
    message.finished_at = clock.now()
    message.lease_token = ""
    message.save(update_fields=["state", "finished_at", "lease_token"])
    audit_record(
        actor=actor,
        subject=_subject(message),
        action=AuditAction.DISCARDED,
        field="state",
        old=old,
        new=message.state,
    )
    return message
