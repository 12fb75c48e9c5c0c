"""How the SLA app reacts to its own work item events: the item's assignees and the policy's
lead hear a warning or a breach of the fix target (in the app, and by e-mail if they chose)."""

from __future__ import annotations

from django.db import transaction

from casebridge.accounts.models import User
from casebridge.integrations.models import NotificationKind
from casebridge.integrations.notifications import notify
from casebridge.sla.events import ItemSlaBreached, ItemSlaWarningReached


def on_item_sla_event(event: ItemSlaWarningReached | ItemSlaBreached) -> None:
    if isinstance(event, ItemSlaBreached):
        message = f"{event.key}: the fix target is breached"
    else:
        when = f" (due {event.due_at:%Y-%m-%d %H:%M} UTC)" if event.due_at else ""
        message = f"{event.key}: the fix target is close{when}"
    with transaction.atomic():
        notify(
            users=list(User.objects.filter(username__in=event.people, is_active=True)),
            subject_key=event.key,
            message=message,
            url=f"/work-items/{event.key}/",
            kind=NotificationKind.SLA_WARNING,
            source=event.event_id,
        )
