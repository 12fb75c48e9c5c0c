"""Writing a comment on a case: the row, its ``commented`` audit event, its outbox row and its
``CommentAdded`` event. ``cases.services.comment_add`` (anyone's comment) and the
``request_info`` effect (L2's question) both write through here."""

from __future__ import annotations

from casebridge.accounts.models import as_user
from casebridge.audit.actions import AuditAction
from casebridge.audit.services import audit_record
from casebridge.cases.events import CommentAdded
from casebridge.cases.models import Case, Comment
from casebridge.core import clock, events
from casebridge.core.actors import Actor
from casebridge.integrations.outbox import outbox_enqueue


def comment_record(
    *, actor: Actor, case: Case, body: str, internal: bool, asked: bool = False
) -> Comment:
    """The comment and its audit event. ``asked``: the question of ``request_info``, which the
    customer already reads as that step (``cases.milestones``)."""
    comment = Comment.objects.create(
        case=case, author=as_user(actor), body=body, internal=internal, created_at=clock.now()
    )
    data: dict[str, object] = {"comment": comment.pk, "internal": internal}
    if asked:
        data["asked"] = True
    audit_record(
        actor=actor, subject=case, action=AuditAction.COMMENTED, data=data, public=not internal
    )
    return comment


def comment_announce(*, actor: Actor, case: Case, comment: Comment) -> None:
    """The comment's outbox row and event, for whoever is told about comments."""
    outbox_enqueue(
        topic="case.commented", key=case.key, payload={"key": case.key, "comment": comment.pk}
    )
    events.publish(
        CommentAdded(
            key=case.key,
            case_id=case.pk,
            organisation_id=case.organisation_id,
            comment_id=comment.pk,
            author_id=events.actor_id(actor),
            internal=comment.internal,
        )
    )
