"""Comments both ways, each once, marked with their origin: Azure DevOps comments copied to the
work item's cases as internal notes (``[Azure DevOps #123] name: ...``), case comments posted to
the Azure DevOps item (``**[Casebridge]** name on CB-12 (comment, cb:345): ...``, the marker
naming the case comment so that a retried post finds it instead of posting it twice)."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils.html import strip_tags

from casebridge.audit.actions import AuditAction
from casebridge.audit.services import audit_record
from casebridge.cases.models import Comment as CaseComment
from casebridge.core import clock
from casebridge.integrations.azure_devops import clients
from casebridge.integrations.azure_devops.client import AzureDevOpsClient
from casebridge.integrations.azure_devops.models import SyncedComment, WorkItemLink
from casebridge.integrations.azure_devops.people import is_service_account, person
from casebridge.integrations.azure_devops.wire import Comment
from casebridge.integrations.azure_devops.wire import WorkItem as Remote
from casebridge.workitems.models import WorkItem

MARKER = re.compile(r"\bcb:(\d+)\)")


def pull_comments(link: WorkItemLink, client: AzureDevOpsClient, remote: Remote) -> int:
    """Copy the item's new comments to its cases; returns how many were copied."""
    known = SyncedComment.objects.filter(link=link, ado_comment_id__isnull=False).count()
    if remote.number("System.CommentCount") <= known:
        return 0
    assert link.ado_id is not None
    copied = 0
    for comment in client.comments(link.ado_id):
        copied += comment_arrived(link, comment)
    return copied


def comment_arrived(link: WorkItemLink, comment: Comment) -> int:
    """One Azure DevOps comment, copied once to every case of the item (ours are only noted)."""
    if SyncedComment.objects.filter(link=link, ado_comment_id=comment.id).exists():
        return 0
    item = WorkItem.objects.get(pk=link.work_item_id)
    ours = is_service_account(link, comment.created_by)
    with transaction.atomic():
        if ours:
            pending = SyncedComment.objects.filter(
                link=link, ado_comment_id__isnull=True, case_comment_id__in=_marked(comment.text)
            )
            if pending.update(ado_comment_id=comment.id):  # posted, its id not recorded yet
                return 0
            SyncedComment.objects.get_or_create(
                link=link,
                ado_comment_id=comment.id,
                defaults={"origin": "casebridge", "created_at": clock.now()},
            )
            return 0
        author = person(comment.created_by) or item.created_by
        name = comment.created_by.display_name if comment.created_by else "Azure DevOps"
        text = strip_tags(comment.text).strip()[:20_000]
        body = f"[Azure DevOps #{link.ado_id}] {name}: {text}"
        first: CaseComment | None = None
        for case in item.cases.all().order_by("id"):
            made = CaseComment.objects.create(
                case=case, author=author, body=body, internal=True, created_at=clock.now()
            )
            first = first or made
            audit_record(
                actor=author,
                subject=case,
                action=AuditAction.COMMENTED,
                data={"comment": made.pk, "internal": True, "origin": "azure_devops"},
            )
        SyncedComment.objects.create(
            link=link,
            ado_comment_id=comment.id,
            case_comment=first,
            origin="azure_devops",
            created_at=clock.now(),
        )
    return 1


def marker(comment: CaseComment) -> str:
    """What a posted case comment carries so that a retry can find it: ``cb:<comment id>``."""
    return f"cb:{comment.pk}"


def _marked(text: str) -> set[int]:
    return {int(found) for found in MARKER.findall(text)}


def push_comment(comment: CaseComment, client: AzureDevOpsClient | None = None) -> int:
    """Post a case comment to the Azure DevOps item of the case's work item, marked with its
    origin and its id (``cb:<id>``); once, even when the delivery dies between Azure DevOps
    answering the POST and the comment id being recorded: a pending row is committed first, and a
    retry that finds it looks for the marker among the item's comments before posting (the
    lookup costs one GET, and only on a retry). A comment that came from Azure DevOps is never
    sent back."""
    case = comment.case
    if case.work_item_id is None:
        return 0
    done = SyncedComment.objects.filter(case_comment=comment).first()
    if done is not None and done.ado_comment_id is not None:
        return 0
    link = (
        WorkItemLink.objects.select_related("connection")
        .filter(work_item_id=case.work_item_id, ado_id__isnull=False)
        .first()
    )
    if link is None or not link.connection.enabled or comment.body.startswith("[Azure DevOps #"):
        return 0
    assert link.ado_id is not None
    kind = "internal note" if comment.internal else "comment"
    text = (
        f"**[Casebridge]** {comment.author.display_name} on {case.key} ({kind}, "
        f"{marker(comment)}):\n\n{comment.body}"
    )
    own = client is None
    client = client or clients.client_for(link.connection)
    try:
        if done is None:  # committed before the POST: a retry knows it may have been posted
            done, _ = SyncedComment.objects.get_or_create(
                case_comment=comment,
                defaults={"link": link, "origin": "casebridge", "created_at": clock.now()},
            )
            posted = client.add_comment(link.ado_id, text)
        else:
            found = [c for c in client.comments(link.ado_id) if comment.pk in _marked(c.text)]
            posted = found[0] if found else client.add_comment(link.ado_id, text)
    finally:
        if own:
            client.close()
    _posted(link, done, posted.id)
    return 1


def _posted(link: WorkItemLink, pending: SyncedComment, ado_comment_id: int) -> None:
    """Record the posted comment's id on the pending row (a hook may have recorded it first)."""
    with transaction.atomic():
        echo = SyncedComment.objects.filter(link=link, ado_comment_id=ado_comment_id).first()
        if echo is not None and echo.pk != pending.pk:
            case_comment_id = pending.case_comment_id
            pending.delete()
            SyncedComment.objects.filter(pk=echo.pk).update(case_comment_id=case_comment_id)
            return
        SyncedComment.objects.filter(pk=pending.pk).update(link=link, ado_comment_id=ado_comment_id)
