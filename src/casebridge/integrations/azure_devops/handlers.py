"""The outbox's side of the sync: after a change committed, bring Azure DevOps along.

Each handler is idempotent (a push sends only what differs from what both sides agreed on; a
comment is posted once) and turns Azure DevOps' answers into the outbox's retry language:
``RateLimited`` and ``Unavailable`` are tried again later (after ``Retry-After`` when given), a
refused token or request is a dead letter an administrator can retry once it is fixed.
"""

from __future__ import annotations

from collections.abc import Callable

from casebridge.cases.events import CaseEscalated, CommentAdded
from casebridge.cases.models import Comment as CaseComment
from casebridge.integrations.azure_devops.comments import push_comment
from casebridge.integrations.azure_devops.errors import (
    AzureDevOpsError,
    Conflict,
    RateLimited,
    Unavailable,
)
from casebridge.integrations.azure_devops.sync import add_case_link, push_key
from casebridge.integrations.models import OutboxMessage
from casebridge.integrations.outbox import PermanentFailure, RetryLater
from casebridge.workitems.events import WorkItemCreated, WorkItemTransitioned
from casebridge.workitems.models import WorkItem


def _outbox_language(run: Callable[[], object]) -> None:
    try:
        run()
    except RateLimited as exc:
        raise RetryLater(exc.message, after_seconds=exc.retry_after, throttled=True) from exc
    except (Unavailable, Conflict) as exc:
        raise RetryLater(exc.message) from exc
    except AzureDevOpsError as exc:
        raise PermanentFailure(exc.message) from exc


def on_push_requested(message: OutboxMessage) -> None:
    """``azure_devops.push`` (a resolved conflict, a new link): push the item."""
    key = str(message.payload.get("key") or "")
    _outbox_language(lambda: push_key(key))


# --- domain events (after commit, through the outbox: at least once, each idempotent) -----------


def push_created_work_item(event: WorkItemCreated) -> None:
    """A new work item (an escalation's, too) becomes an Azure DevOps item."""
    _outbox_language(lambda: push_key(event.key))


def push_transitioned_work_item(event: WorkItemTransitioned) -> None:
    """A transition reaches Azure DevOps as the mapped state and fields (PATCH tested on /rev)."""
    _outbox_language(lambda: push_key(event.key))


def push_escalated_work_item(event: CaseEscalated) -> None:
    """A case escalated to an existing item: make sure it is in Azure DevOps."""
    if event.new_work_item:
        return
    item = WorkItem.objects.filter(pk=event.work_item_id).first()
    if item is not None:
        _outbox_language(lambda: push_key(item.key) + add_case_link(item, event.key))


def post_case_comment(event: CommentAdded) -> None:
    """A case comment is posted to the Azure DevOps item of the case's work item, once."""
    comment = (
        CaseComment.objects.select_related("case", "author").filter(pk=event.comment_id).first()
    )
    if comment is not None:
        _outbox_language(lambda: push_comment(comment))
