"""The action items of a post-incident review, each filed as a work item once it has an owner."""

from __future__ import annotations

from django.db import transaction

from casebridge.accounts.models import Role, User, user_or_none
from casebridge.audit.actions import AuditAction
from casebridge.audit.services import audit_changes, audit_record
from casebridge.core import clock
from casebridge.core.actors import Actor
from casebridge.core.errors import ValidationFailed
from casebridge.incidents.models import ActionItem, ActionKind, EntryKind, Incident
from casebridge.incidents.services.incidents import NOTE_MAX
from casebridge.incidents.services.reviews import review_editor, review_of
from casebridge.incidents.timeline import entry_add
from casebridge.incidents.workflow import STAFF
from casebridge.integrations.models import NotificationKind
from casebridge.integrations.notifications import notify
from casebridge.workitems.services import work_item_create


def _file_as_work_item(actor: Actor, incident: Incident, item: ActionItem) -> None:
    """The action item becomes a work item (an improvement or a bug) of the incident's service."""
    origin = f"Action item of the post-incident review of {incident.key}: {incident.title}."
    detail = item.description or item.title
    docs = (
        {
            "rationale": origin,
            "expected_benefit": detail,
            "area": "reliability",
            "description": detail,
        }
        if item.kind == ActionKind.IMPROVEMENT
        else {"description": f"{detail}\n\n{origin}"}
    )
    work_item = work_item_create(
        actor=actor,
        category=item.kind,
        title=item.title,
        docs=docs,
        service=incident.service,
        environment=incident.case.environment if incident.case else "production",
    )
    item.work_item = work_item
    notify(
        users=[item.owner],
        subject_key=work_item.key,
        message=f"You own {work_item.key} ({item.title}), an action item of {incident.key}",
        url=f"/work-items/{work_item.key}/",
        kind=NotificationKind.ASSIGNED,
    )


def _owner_errors(owner: User | None) -> dict[str, str]:
    if owner is not None and (owner.is_external or not owner.has_role(*STAFF, Role.QA, Role.RTE)):
        return {"owner": f"{owner} cannot own development work."}
    return {}


@transaction.atomic
def action_item_add(
    *,
    actor: Actor,
    incident: Incident,
    title: str,
    kind: str = ActionKind.IMPROVEMENT,
    description: str = "",
    owner: User | None = None,
) -> ActionItem:
    """Add an action item to the review; with an owner it becomes a work item at once."""
    review = review_of(incident)
    review_editor(actor, incident, review)
    errors = _owner_errors(owner)
    if not 3 <= len(title.strip()) <= 200:
        errors["title"] = "Give a title of 3 to 200 characters."
    if kind not in ActionKind.values:
        errors["kind"] = "Use improvement or bug."
    if len(description) > NOTE_MAX:
        errors["description"] = f"Keep it under {NOTE_MAX} characters."
    if errors:
        raise ValidationFailed("The action item was not added", fields=errors)
    item = ActionItem(
        incident=incident,
        title=title.strip(),
        kind=kind,
        description=description.strip(),
        owner=owner,
        created_by=user_or_none(actor),
        created_at=clock.now(),
    )
    if owner is not None:
        _file_as_work_item(actor, incident, item)
    item.save()
    audit_record(
        actor=actor, subject=incident, action=AuditAction.ACTION_ITEM_ADDED, new=item.title
    )
    filed = (
        f" → {item.work_item.key}, owned by {owner.display_name}"
        if item.work_item and owner
        else ""
    )
    entry_add(
        incident=incident,
        kind=EntryKind.ACTION_ITEM,
        actor=actor,
        text=f"Action item: {item.title}{filed}",
    )
    return item


@transaction.atomic
def action_item_assign(*, actor: Actor, item: ActionItem, owner: User) -> ActionItem:
    """Give an action item its owner; an unfiled one becomes a work item then."""
    item = (
        ActionItem.objects.select_for_update(of=("self",))
        .select_related("incident")
        .get(pk=item.pk)
    )
    incident = item.incident
    review = review_of(incident)
    review_editor(actor, incident, review)
    errors = _owner_errors(owner)
    if errors:
        raise ValidationFailed("The owner was not set", fields=errors)
    if item.owner_id == owner.pk:
        return item
    old, item.owner = item.owner, owner
    if item.work_item_id is None:
        _file_as_work_item(actor, incident, item)
    item.save()
    audit_changes(
        actor=actor,
        subject=incident,
        action=AuditAction.ACTION_ITEM_ASSIGNED,
        changes={"owner": (old, owner)},
    )
    entry_add(
        incident=incident,
        kind=EntryKind.ACTION_ITEM,
        actor=actor,
        text=f"Action item {item.title}: owner {owner.display_name}"
        + (f" ({item.work_item.key})" if item.work_item else ""),
    )
    return item
