"""The outbox's side of the sync: after a change committed, bring Azure DevOps along.

Each handler is idempotent (a push sends only what differs from what both sides agreed on; a
comment is posted once) and turns Azure DevOps' answers into the outbox's retry language:
``RateLimited`` and ``Unavailable`` are tried again later (after ``Retry-After`` when given), a
refused token or request is a dead letter an administrator can retry once it is fixed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from casebridge.cases.models import Case
from casebridge.cases.models import Comment as CaseComment
from casebridge.integrations.azure_devops.errors import (
    AzureDevOpsError,
    Conflict,
    RateLimited,
    Unavailable,
)
from casebridge.integrations.azure_devops.inbound import push_comment
from casebridge.integrations.azure_devops.sync import push_key
from casebridge.integrations.models import OutboxMessage
from casebridge.integrations.outbox import PermanentFailure, RetryLater


def _outbox_language(run: Callable[[], Any]) -> None:
    try:
        run()
    except RateLimited as exc:
        raise RetryLater(exc.message, after_seconds=exc.retry_after, throttled=True) from exc
    except (Unavailable, Conflict) as exc:
        raise RetryLater(exc.message) from exc
    except AzureDevOpsError as exc:
        raise PermanentFailure(exc.message) from exc


def on_work_item_changed(message: OutboxMessage) -> None:
    """``work_item.created`` / ``work_item.transitioned``: push the item."""
    key = str(message.payload.get("key") or "")
    _outbox_language(lambda: push_key(key))


def on_case_transitioned(message: OutboxMessage) -> None:
    """An escalation (to a new or an existing work item): push that item."""
    if message.payload.get("action") not in ("escalate", "resume_escalation"):
        return
    case = Case.objects.filter(key=str(message.payload.get("key") or "")).first()
    if case is not None and case.work_item_id is not None:
        key = case.work_item.key if case.work_item else ""
        _outbox_language(lambda: push_key(key))


def on_case_commented(message: OutboxMessage) -> None:
    comment = (
        CaseComment.objects.select_related("case", "author")
        .filter(pk=message.payload.get("comment"))
        .first()
    )
    if comment is not None:
        _outbox_language(lambda: push_comment(comment))
