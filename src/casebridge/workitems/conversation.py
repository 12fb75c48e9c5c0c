"""A work item's conversation: staff comments (with @mentions, heard through the
``WorkItemCommented`` event) and the link to the pull request or branch where the work happens.

Work items are internal: only staff read or write here (customers and partners get a 404 from
``selectors.work_item_get_for`` before they reach these services, and a refusal if they do)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet

from casebridge.accounts.models import as_user
from casebridge.audit.actions import AuditAction
from casebridge.audit.services import audit_record, model_update
from casebridge.core import clock, events
from casebridge.core.actors import Actor
from casebridge.core.errors import PermissionDenied, ValidationFailed
from casebridge.core.urls import MAX_URL_LENGTH, safe_external_url
from casebridge.workitems.events import WorkItemCommented
from casebridge.workitems.models import WorkItem, WorkItemComment

COMMENT_MAX_LENGTH = 10_000


def _staff_only(actor: Actor, what: str) -> None:
    if not getattr(actor, "is_authenticated", False) or actor.is_external:
        raise PermissionDenied(f"Only staff may {what}")


def comments_of(viewer: Actor, item: WorkItem) -> QuerySet[WorkItemComment]:
    """The item's comments, oldest first; none for anyone but staff."""
    if not getattr(viewer, "is_authenticated", False) or viewer.is_external:
        return WorkItemComment.objects.none()
    return WorkItemComment.objects.filter(work_item=item).select_related("author")


@transaction.atomic
def work_item_comment_add(*, actor: Actor, item: WorkItem, body: str) -> WorkItemComment:
    """A comment on a work item, audited; ``WorkItemCommented`` tells the people it mentions."""
    _staff_only(actor, "comment on a work item")
    text = (body or "").strip()
    if not text:
        raise ValidationFailed("The comment is empty", fields={"body": "Write a comment."})
    if len(text) > COMMENT_MAX_LENGTH:
        raise ValidationFailed(
            "The comment is too long",
            fields={"body": f"At most {COMMENT_MAX_LENGTH} characters."},
        )
    comment = WorkItemComment.objects.create(
        work_item=item, author=as_user(actor), body=text, created_at=clock.now()
    )
    audit_record(
        actor=actor, subject=item, action=AuditAction.COMMENTED, data={"comment": comment.pk}
    )
    events.publish(
        WorkItemCommented(
            key=item.key,
            work_item_id=item.pk,
            comment_id=comment.pk,
            author_id=events.actor_id(actor),
        )
    )
    return comment


@transaction.atomic
def work_item_link_set(*, actor: Actor, item: WorkItem, url: str) -> WorkItem:
    """Set (or clear, with "") the item's pull request or branch link: an http(s) URL."""
    _staff_only(actor, "link a pull request")
    value = (url or "").strip()
    if value and safe_external_url(value) is None:
        raise ValidationFailed(
            "The link is not a web address",
            fields={
                "url": f"Use an http:// or https:// address (at most {MAX_URL_LENGTH} characters)."
            },
        )
    model_update(item, {"dev_link": value}, actor=actor, action=AuditAction.UPDATED)
    return item
