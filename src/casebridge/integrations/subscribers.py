"""Notifications and e-mail react to the domain events (``core.events``), after the commit.

Each subscriber runs in its own transaction, at least once (the outbox retries it); the
event's ``event_id`` is the ``source`` of what it writes, so a retry notifies and mails once.

SLA: ``SlaWarningReached`` and ``SlaBreached`` (``sla/events.py``) go to
``reactions.on_sla_warning`` (kind ``sla_warning``: the case's owner and staff watchers, and the
policy's L2 lead).
"""

from __future__ import annotations

from django.db import transaction

from casebridge.cases.events import CaseCreated, CaseTransitioned, CommentAdded
from casebridge.core import events
from casebridge.incidents.events import IncidentChanged
from casebridge.integrations import reactions
from casebridge.integrations.models import NotificationKind
from casebridge.integrations.notifications import notify
from casebridge.integrations.staff_updates import excerpt, mentions_in
from casebridge.sla.events import SlaBreached, SlaWarningReached
from casebridge.workitems.events import WorkItemCommented, WorkItemTransitioned
from casebridge.workitems.models import WorkItemComment


def on_case_created(event: CaseCreated) -> None:
    with transaction.atomic():
        reactions.on_case_created(key=event.key, source=event.event_id)


def on_case_transitioned(event: CaseTransitioned) -> None:
    with transaction.atomic():
        reactions.on_case_transitioned(
            key=event.key,
            action=event.action,
            actor_id=event.actor_id,
            source=event.event_id,
            reason=event.reason,
        )


def on_comment_added(event: CommentAdded) -> None:
    with transaction.atomic():
        reactions.on_case_commented(
            key=event.key, comment_id=event.comment_id, source=event.event_id
        )


def on_work_item_transitioned(event: WorkItemTransitioned) -> None:
    with transaction.atomic():
        reactions.on_work_item_transitioned(
            key=event.key,
            action=event.action,
            actor_id=event.actor_id,
            source=event.event_id,
            to_state=event.to_state,
        )


def on_work_item_commented(event: WorkItemCommented) -> None:
    """The staff a work item comment @mentions hear it (the case comments' mention rule:
    ``staff_updates.mentions_in``; customers and partners never see work items)."""
    comment = (
        WorkItemComment.objects.select_related("author", "work_item")
        .filter(pk=event.comment_id)
        .first()
    )
    if comment is None:
        return
    key = comment.work_item.key
    with transaction.atomic():
        notify(
            users=mentions_in(comment.body, may_see=lambda person: not person.is_external),
            subject_key=key,
            message=f"{comment.author.display_name} mentioned you on {key}: "
            f"{excerpt(comment.body)}",
            url=f"/work-items/{key}/#comment-{comment.pk}",
            kind=NotificationKind.MENTIONED,
            source=event.event_id,
            exclude=comment.author,
        )


def on_incident_changed(event: IncidentChanged) -> None:
    with transaction.atomic():
        reactions.on_incident_transitioned(
            key=event.key, action=event.action, actor_id=event.actor_id, source=event.event_id
        )


def on_sla_event(event: SlaWarningReached | SlaBreached) -> None:
    """A clock near or past its target: the case's owner and the policy's L2 lead hear it."""
    clock = str(getattr(event, "clock", "") or "").replace("_", " ")
    if event.name == "SlaBreached":
        message = f"{event.key}: the {clock} target is breached".replace("  ", " ")
    else:
        due = getattr(event, "due_at", None)
        when = f" (due {due:%Y-%m-%d %H:%M} UTC)" if due is not None else ""
        message = f"{event.key}: the {clock} target is close{when}".replace("  ", " ")
    people = [getattr(event, "owner", None) or "", getattr(event, "lead", None) or ""]
    with transaction.atomic():
        reactions.on_sla_warning(
            key=event.key, message=message, source=event.event_id, usernames=people
        )


def subscribe_all() -> None:
    events.subscribe(CaseCreated, on_case_created, events.AFTER_COMMIT)
    events.subscribe(CaseTransitioned, on_case_transitioned, events.AFTER_COMMIT)
    events.subscribe(CommentAdded, on_comment_added, events.AFTER_COMMIT)
    events.subscribe(WorkItemTransitioned, on_work_item_transitioned, events.AFTER_COMMIT)
    events.subscribe(WorkItemCommented, on_work_item_commented, events.AFTER_COMMIT)
    events.subscribe(IncidentChanged, on_incident_changed, events.AFTER_COMMIT)
    events.subscribe(SlaWarningReached, on_sla_event, events.AFTER_COMMIT)
    events.subscribe(SlaBreached, on_sla_event, events.AFTER_COMMIT)
