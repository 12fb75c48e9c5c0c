"""Who hears what when a case, work item or incident changes.

Each reaction runs after the change's commit (an outbox handler, or later an after-commit
subscriber of the domain event), in its own transaction, with a ``source`` that makes a retried
reaction notify each person once and mail them once (Message-IDs derive from it).

**Customers** (a case's reporter, and the customers and partners watching it) hear the
milestones of their case in their own words (``cases.milestones``) and L2's public replies, in
the app and by e-mail in the case's thread: received, waiting for you (with the question),
passed to development, fix released (``cases.following``), resolved: please confirm. Internal
notes, internal steps and the names of people on the development side never reach them.

**Staff** hear what is addressed to them: a case or work item assigned to them, a review
requested of them, an incident they are on, an @mention in a comment on something they may
see, and changes to what they own or watch.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import Q

from casebridge.accounts.models import User
from casebridge.audit.models import AuditEvent
from casebridge.cases.milestones import (
    CASE_STEPS,
    TOLD_REASONS,
    customer_state,
    progress_text,
    public_name,
)
from casebridge.cases.models import Case, Comment
from casebridge.incidents.models import Incident, Participant
from casebridge.integrations.mail import addresses
from casebridge.integrations.mail.outgoing import case_subject, mail_enqueue
from casebridge.integrations.models import NotificationKind, WatchSubject
from casebridge.integrations.notifications import _settings_link, channels_for, notify
from casebridge.integrations.watching import watchers_of
from casebridge.workitems.models import WorkItem

Kind = NotificationKind

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
#: ``@username`` in a comment; an address (``a@b``) is not a mention.
MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9_.+-]{1,150})")
MENTIONS_MAX = 20


# -- customers -------------------------------------------------------------------------------


def case_customers(case: Any) -> list[Any]:
    """The customers and partners who follow a case and may still see it."""
    people = [case.reporter] if case.reporter is not None and case.reporter.is_external else []
    people += [p for p in watchers_of(WatchSubject.CASE, case) if p.is_external]
    return list({p.pk: p for p in people}.values())


def case_staff(case: Any) -> list[Any]:
    """The staff who follow a case: its owner and its staff watchers."""
    people = [case.owner] if case.owner is not None else []
    return people + [p for p in watchers_of(WatchSubject.CASE, case) if not p.is_external]


def portal_link(case: Any) -> str:
    return f"{settings.BASE_URL}/portal/cases/{case.key}/"


def customer_update(
    case: Any,
    *,
    headline: str,
    source: str,
    detail: str = "",
    body: str = "",
    author: str = "",
    email: bool = True,
    exclude: Any = None,
    in_app: bool = True,
) -> int:
    """Tell a case's customers one milestone (or reply): in the app (unless ``in_app`` is off:
    told there already) and, when ``email`` and their preference say so, by e-mail in the
    case's thread. Call it inside a transaction."""
    told = 0
    for person in case_customers(case):
        if exclude is not None and person.pk == exclude.pk:
            continue
        channels = channels_for(person, Kind.CASE_CHANGED)
        told += in_app and notify(
            users=[person],
            subject_key=case.key,
            message=f"{case.key}: {headline}",
            url=f"/portal/cases/{case.key}/",
            kind=Kind.CASE_CHANGED,
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


def _case(key: str) -> Any:
    return Case.objects.select_related("reporter", "owner", "organisation").filter(key=key).first()


def _user(user_id: int | None) -> Any:
    return User.objects.filter(pk=user_id).first() if user_id else None


def on_case_created(*, key: str, source: str) -> None:
    case = _case(key)
    if case is None:
        return
    customer_update(
        case,
        headline="We received your case",
        detail="Our support team will look at it and write to you here.",
        source=source,
    )


def on_case_transitioned(
    *, key: str, action: str, actor_id: int | None, source: str, reason: str | None = None
) -> None:
    case = _case(key)
    if case is None:
        return
    who = _user(actor_id)
    if action in CASE_STEPS:
        headline = MAILED_STEPS.get(action) or CASE_STEPS[action][1]
        detail, body = "", ""
        if action == "request_info":
            body = _question(case, who)
        if action in TOLD_REASONS:
            detail = reason if reason is not None else _told_reason(case, action)
        elif action == "fix":  # its note names the work item: the release is the customer's
            detail = f"Fixed in {case.fixed_version}." if case.fixed_version else ""
        if action in RESOLVED_ACTIONS:
            detail = f"{detail}\n\n{CONFIRM}".strip()
        customer_update(
            case,
            headline=headline,
            detail=detail,
            body=body,
            author=_public_name(who),
            source=source,
            email=action in MAILED_STEPS,
            exclude=who,
        )
    if action == "take" and case.owner is not None and case.owner != who:
        notify(
            users=[case.owner],
            subject_key=key,
            message=f"{key} is assigned to you: {case.title}",
            url=f"/cases/{key}/",
            kind=Kind.ASSIGNED,
            case=case,
            source=source,
        )
        return
    label = action.replace("_", " ")
    by = f" by {who.display_name}" if who is not None else ""
    message = f"{key}: {label}{by} ({case.get_state_display().lower()})"
    _staff(case, message=message, source=source, exclude=who)


def _staff(case: Any, *, message: str, source: str, exclude: Any) -> None:
    owner = [case.owner] if case.owner is not None else []
    notify(
        users=owner,
        subject_key=case.key,
        message=message,
        url=f"/cases/{case.key}/",
        kind=Kind.CASE_CHANGED,
        case=case,
        source=source,
        exclude=exclude,
    )
    watchers = [p for p in case_staff(case) if p not in owner]
    notify(
        users=watchers,
        subject_key=case.key,
        message=message,
        url=f"/cases/{case.key}/",
        kind=Kind.WATCHING,
        case=case,
        source=source,
        exclude=exclude,
    )


def _public_name(user: Any) -> str:
    return public_name(user) if user is not None else "Our team"


def _question(case: Any, asker: Any) -> str:
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


def _told_reason(case: Any, action: str) -> str:
    event = (
        AuditEvent.objects.filter(
            subject_type=case.audit_type, subject_key=case.key, action=action, field="state"
        )
        .order_by("-at", "-id")
        .first()
    )
    return event.reason if event is not None else ""


def on_case_commented(*, key: str, comment_id: int, source: str) -> None:
    comment = Comment.objects.select_related("case", "author").filter(pk=comment_id).first()
    if comment is None:
        return
    case = _case(key) or comment.case
    author = comment.author
    mentioned = mentions_in(comment.body, may_see=lambda person: not person.is_external)
    notify(
        users=mentioned,
        subject_key=case.key,
        message=f"{author.display_name} mentioned you on {case.key}: {excerpt(comment.body)}",
        url=f"/cases/{case.key}/#comment-{comment.pk}",
        kind=Kind.MENTIONED,
        case=case,
        source=source,
        exclude=author,
    )
    if comment.internal:
        return  # an internal note never reaches a customer, nor goes beyond those mentioned
    if _asked(case, comment):
        pass  # L2's question: the customer hears it once, as the "waiting for you" step
    elif not author.is_external:
        customer_update(
            case,
            headline=f"{_public_name(author)} wrote to you",
            body=comment.body,
            author=_public_name(author),
            source=source,
            exclude=author,
        )
    else:
        customer_update(
            case,
            headline=f"{author.display_name} wrote on your case",
            body=comment.body,
            author=author.display_name,
            source=source,
            email=False,
            exclude=author,
        )
    others = [p for p in case_staff(case) if p not in mentioned]
    message = f"{author.display_name} wrote on {case.key}: {excerpt(comment.body)}"
    _staff_among(case, others, message=message, source=source, exclude=author)


def _staff_among(case: Any, people: list[Any], *, message: str, source: str, exclude: Any) -> None:
    owner = [p for p in people if case.owner is not None and p.pk == case.owner.pk]
    for group, kind in (
        (owner, Kind.CASE_CHANGED),
        ([p for p in people if p not in owner], Kind.WATCHING),
    ):
        notify(
            users=group,
            subject_key=case.key,
            message=message,
            url=f"/cases/{case.key}/",
            kind=kind,
            case=case,
            source=source,
            exclude=exclude,
        )


def _asked(case: Any, comment: Any) -> bool:
    """Whether the comment is the question of a ``request_info`` (``cases.comments``)."""
    return AuditEvent.objects.filter(
        subject_type=case.audit_type,
        subject_key=case.key,
        action="commented",
        data__comment=comment.pk,
        data__asked=True,
    ).exists()


def excerpt(text: str, limit: int = 140) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def mentions_in(text: str, *, may_see: Any) -> list[Any]:
    """The active people named ``@username`` in ``text`` (at most ``MENTIONS_MAX``) who
    ``may_see`` the object; a name ending a sentence ("@dana.") counts without its dot."""
    names: list[str] = []
    for found in MENTION.findall(text or ""):
        for name in (found, found.rstrip(".")):
            if name and name.lower() not in names:
                names.append(name.lower())
    if not names:
        return []
    query = Q()
    for name in names[: MENTIONS_MAX * 2]:
        query |= Q(username__iexact=name)
    people = User.objects.filter(query, is_active=True).prefetch_related("role_grants")
    return [p for p in people.order_by("username")[:MENTIONS_MAX] if may_see(p)]


# -- work items and incidents -------------------------------------------------------------------


#: Work item statuses a customer hears by e-mail (in the app ``cases.following`` tells every
#: development milestone): the fix is released.
MAILED_PROGRESS = frozenset({"awaiting_validation", "awaiting_acceptance"})


def _fix_released(item: Any, to_state: str, source: str) -> None:
    text = progress_text(to_state, item.release_version)
    if to_state not in MAILED_PROGRESS or not text:
        return
    for case in Case.objects.filter(work_item=item).select_related("reporter", "owner"):
        customer_update(case, headline=text, source=source, in_app=False)


def on_work_item_transitioned(
    *, key: str, action: str, actor_id: int | None, source: str, to_state: str = ""
) -> None:
    item = (
        WorkItem.objects.select_related("requested_reviewer", "mentor")
        .prefetch_related("assignees")
        .filter(key=key)
        .first()
    )
    if item is None:
        return
    _fix_released(item, to_state, source)
    who = _user(actor_id)
    url = f"/work-items/{key}/"
    told: list[Any] = []
    if action == "assign":
        told = [*item.assignees.all(), *([item.mentor] if item.mentor else [])]
        notify(
            users=told,
            subject_key=key,
            message=f"{key} is assigned to you: {item.title}",
            url=url,
            kind=Kind.ASSIGNED,
            source=source,
            exclude=who,
        )
    elif action == "submit_review" and item.requested_reviewer is not None:
        told = [item.requested_reviewer]
        notify(
            users=told,
            subject_key=key,
            message=f"Your review is requested on {key}: {item.title}",
            url=url,
            kind=Kind.REVIEW_REQUESTED,
            source=source,
            exclude=who,
        )
    by = f" by {who.display_name}" if who is not None else ""
    message = f"{key}: {action.replace('_', ' ')}{by} ({item.status.replace('_', ' ')})"
    _watchers(WatchSubject.WORK_ITEM, item, told, message=message, url=url, source=source, who=who)


def on_incident_transitioned(*, key: str, action: str, actor_id: int | None, source: str) -> None:
    incident = Incident.objects.select_related("lead", "owner").filter(key=key).first()
    if incident is None:
        return
    who = _user(actor_id)
    url = f"/incidents/{key}/"
    on = [incident.lead, incident.owner]
    on += [p.user for p in Participant.objects.filter(incident=incident).select_related("user")]
    on = [p for p in on if p is not None]
    by = f" by {who.display_name}" if who is not None else ""
    message = f"{key}: {action.replace('_', ' ')}{by} ({incident.state.replace('_', ' ')})"
    notify(
        users=on,
        subject_key=key,
        message=message,
        url=url,
        kind=Kind.INCIDENT,
        source=source,
        exclude=who,
    )
    _watchers(WatchSubject.INCIDENT, incident, on, message=message, url=url, source=source, who=who)


def _watchers(
    subject_type: str,
    subject: Any,
    already: Iterable[Any],
    *,
    message: str,
    url: str,
    source: str,
    who: Any,
) -> None:
    skip = {p.pk for p in already}
    notify(
        users=[p for p in watchers_of(subject_type, subject) if p.pk not in skip],
        subject_key=subject.key,
        message=message,
        url=url,
        kind=Kind.WATCHING,
        source=source,
        exclude=who,
    )


# -- SLA (the sla app publishes SlaWarningReached / SlaBreached; see apps.py) ------------------


def on_sla_warning(*, key: str, message: str, source: str, usernames: Iterable[str] = ()) -> None:
    """The SLA events: the case's owner, its staff watchers and the people the event names (the
    L2 lead) hear an SLA warning or breach."""
    case = _case(key)
    if case is None:
        return
    named = list(User.objects.filter(username__in=[u for u in usernames if u]))
    notify(
        users=[*case_staff(case), *named],
        subject_key=key,
        message=message,
        url=f"/cases/{key}/",
        kind=Kind.SLA_WARNING,
        case=case,
        source=source,
    )
