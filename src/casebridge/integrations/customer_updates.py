"""What a case's customers hear: its milestones in their own words and L2's public replies.

A case's reporter, and the customers and partners watching it, hear the milestones of their case
(``cases.milestones``) in the app and by e-mail in the case's thread: received, waiting for you
(with the question), passed to development, fix released (``cases.following``), resolved: please
confirm. Internal notes, internal steps and the names of people on the development side never
reach them. ``integrations.reactions`` decides when; this module says what, and to whom.
"""

from __future__ import annotations

from django.conf import settings

from casebridge.accounts.models import User
from casebridge.audit.models import AuditEvent
from casebridge.cases.milestones import customer_state, progress_text, public_name
from casebridge.cases.models import Case, Comment
from casebridge.integrations.mail import addresses
from casebridge.integrations.mail.outgoing import case_subject, mail_enqueue
from casebridge.integrations.models import NotificationKind, WatchSubject
from casebridge.integrations.notifications import _settings_link, channels_for, notify
from casebridge.integrations.watching import watchers_of
from casebridge.workitems.models import WorkItem

#: The case actions a customer hears by e-mail, with the words of the message. The text of
#: the milestone itself comes from ``cases.milestones.CASE_STEPS``.
MAILED_STEPS: dict[str, str] = {
    "request_info": "Waiting for you: our support team asked a question",
    "escalate": "Passed to our development team",
    "resume_escalation": "Passed to our development team again",
    "resolve": "Resolved: please confirm",
    "fix": "Resolved: fixed by our development team. Please confirm",
    "resolve_with_incident": "Resolved: the service is restored. Please confirm",
    "auto_resolve": "Resolved: the problem cleared by itself. Please confirm",
}
RESOLVED_ACTIONS = frozenset({"resolve", "fix", "resolve_with_incident", "auto_resolve"})
CONFIRM = (
    "Please confirm that the problem is gone. If it is not, reply to this e-mail: your reply "
    "goes to our support team on this case."
)
#: Work item statuses a customer hears by e-mail (in the app ``cases.following`` tells every
#: development milestone): the fix is released.
MAILED_PROGRESS = frozenset({"awaiting_validation", "awaiting_acceptance"})


def case_customers(case: Case) -> list[User]:
    """The customers and partners who follow a case and may still see it."""
    people = [case.reporter] if case.reporter is not None and case.reporter.is_external else []
    people += [p for p in watchers_of(WatchSubject.CASE, case) if p.is_external]
    return list({p.pk: p for p in people}.values())


def portal_link(case: Case) -> str:
    return f"{settings.BASE_URL}/portal/cases/{case.key}/"


def customer_update(
    case: Case,
    *,
    headline: str,
    source: str,
    detail: str = "",
    body: str = "",
    author: str = "",
    email: bool = True,
    exclude: User | None = None,
    in_app: bool = True,
) -> int:
    """Tell a case's customers one milestone (or reply): in the app (unless ``in_app`` is off:
    told there already) and, when ``email`` and their preference say so, by e-mail in the
    case's thread. Call it inside a transaction."""
    told = 0
    for person in case_customers(case):
        if exclude is not None and person.pk == exclude.pk:
            continue
        channels = channels_for(person, NotificationKind.CASE_CHANGED)
        told += in_app and notify(
            users=[person],
            subject_key=case.key,
            message=f"{case.key}: {headline}",
            url=f"/portal/cases/{case.key}/",
            kind=NotificationKind.CASE_CHANGED,
            source=source,
            email=False,
        )
        if not (email and channels.email and person.email and person.is_active):
            continue
        mail_enqueue(
            to=person.email,
            subject=case_subject(case),
            template="case_update",
            context={
                "recipient_name": person.display_name,
                "headline": headline,
                "detail": detail,
                "body": body,
                "author": author,
                "case_key": case.key,
                "case_title": case.title,
                "status": customer_state(case.state),
                "link": portal_link(case),
                "settings_link": _settings_link(person),
            },
            message_id=addresses.message_id_for(case, f"{source}-{person.pk}"),
            case=case,
        )
    return told


def author_name(user: User | None) -> str:
    """How a customer sees the person who wrote or acted ("Our team" for nobody)."""
    return public_name(user) if user is not None else "Our team"


def question_of(case: Case, asker: User | None) -> str:
    """The question of the latest ``request_info``: the asker's public comment written with it
    (the reaction may run after later comments)."""

    asked = (
        AuditEvent.objects.filter(
            subject_type=case.audit_type, subject_key=case.key, action="request_info"
        )
        .order_by("-at", "-id")
        .first()
    )
    comments = Comment.objects.filter(case=case, internal=False)
    if asker is not None:
        comments = comments.filter(author=asker)
    if asked is not None:
        comments = comments.filter(created_at__lte=asked.at)
    last = comments.order_by("-created_at", "-id").first()
    return last.body if last is not None else ""


def told_reason(case: Case, action: str) -> str:
    """The reason given with the latest ``action`` on the case (the customer is told it)."""
    event = (
        AuditEvent.objects.filter(
            subject_type=case.audit_type, subject_key=case.key, action=action, field="state"
        )
        .order_by("-at", "-id")
        .first()
    )
    return event.reason if event is not None else ""


def is_question(case: Case, comment: Comment) -> bool:
    """Whether the comment is the question of a ``request_info`` (``cases.comments``)."""
    return AuditEvent.objects.filter(
        subject_type=case.audit_type,
        subject_key=case.key,
        action="commented",
        data__comment=comment.pk,
        data__asked=True,
    ).exists()


def fix_released(item: WorkItem, to_state: str, source: str) -> None:
    """The customers of the item's cases hear by e-mail that the fix is released."""
    text = progress_text(to_state, item.release_version)
    if to_state not in MAILED_PROGRESS or not text:
        return
    for case in Case.objects.filter(work_item=item).select_related("reporter", "owner"):
        customer_update(case, headline=text, source=source, in_app=False)
