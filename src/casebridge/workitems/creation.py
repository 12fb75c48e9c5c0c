"""Filing a new work item (by hand, an escalation, a re-categorisation or a cluster)."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction

from casebridge.accounts.models import user_or_none
from casebridge.audit.actions import AuditAction
from casebridge.audit.services import audit_record
from casebridge.catalog.models import Component, Service
from casebridge.core import clock, events, keys
from casebridge.core.actors import Actor
from casebridge.core.errors import ValidationFailed
from casebridge.integrations.outbox import outbox_enqueue
from casebridge.workitems.documentation import doc_values
from casebridge.workitems.events import WorkItemCreated
from casebridge.workitems.models import INITIAL_STATUS, KEY_PREFIX, Category, WorkItem


@transaction.atomic
def work_item_create(
    *,
    actor: Actor,
    category: str,
    title: str,
    docs: Mapping[str, object],
    service: Service | None = None,
    component: Component | None = None,
    environment: str = "",
    version: str = "",
) -> WorkItem:
    if category not in Category.values:
        raise ValidationFailed(
            "Unknown category", fields={"category": "Use bug, feature or improvement."}
        )
    title = title.strip()
    if not 3 <= len(title) <= 200:
        raise ValidationFailed("Bad title", fields={"title": "Use 3 to 200 characters."})
    key, _ = keys.next_key(KEY_PREFIX[Category(category)])
    now = clock.now()
    item = WorkItem(
        key=key,
        category=category,
        title=title,
        status=INITIAL_STATUS[Category(category)],
        created_by=user_or_none(actor),
        created_at=now,
        service=service,
        component=component,
        environment=environment,
        version=version,
    )
    for name, value in doc_values(docs).items():
        setattr(item, name, value)
    item.save()
    audit_record(actor=actor, subject=item, action=AuditAction.CREATED, data={"category": category})
    outbox_enqueue(topic="work_item.created", key=key, payload={"key": key, "category": category})
    events.publish(
        WorkItemCreated(
            key=key, work_item_id=item.pk, category=category, actor_id=events.actor_id(actor)
        )
    )
    return item
