"""Who hears what when a case, work item or incident changes.

Each reaction runs after the change's commit (an after-commit subscriber of the domain event,
``integrations.subscribers``), in its own transaction, with a ``source`` that makes a retried
reaction notify each person once and mail them once (Message-IDs derive from it).

Each reaction decides who hears the change; what they hear is written per audience:
``customer_updates`` (a case's reporter and the customers and partners watching it, in their
own words, never internal notes) and ``staff_updates`` (owners, assignees, reviewers, people on
an incident, the @mentioned, watchers).
"""

from __future__ import annotations

from collections.abc import Iterable

from casebridge.accounts.models import User
from casebridge.cases.milestones import CASE_STEPS, TOLD_REASONS
from casebridge.cases.models import Case, Comment
from casebridge.incidents.models import Incident, Participant
from casebridge.integrations.customer_updates import (
    CONFIRM,
    MAILED_STEPS,
    RESOLVED_ACTIONS,
    author_name,
    customer_update,
    fix_released,
    is_question,
    question_of,
    told_reason,
)
from casebridge.integrations.models import NotificationKind, WatchSubject
from casebridge.integrations.notifications import notify
from casebridge.integrations.staff_updates import (
    case_staff,
    case_staff_tell,
    case_staff_tell_among,
    excerpt,
    mentions_in,
    watchers_tell,
)
from casebridge.workitems.models import WorkItem

Kind = NotificationKind


def _case(key: str) -> Case | None:
    return Case.objects.select_related("reporter", "owner", "organisation").filter(key=key).first()


def _user(user_id: int | None) -> User | None:
    return User.objects.filter(pk=user_id).first() if user_id else None


def _by(who: User | None) -> str:
    return f" by {who.display_name}" if who is not None else ""


# -- cases ---------------------------------------------------------------------------------------


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
            body = question_of(case, who)
        if action in TOLD_REASONS:
            detail = reason if reason is not None else told_reason(case, action)
        elif action == "fix":  # its note names the work item: the release is the customer's
            detail = f"Fixed in {case.fixed_version}." if case.fixed_version else ""
        if action in RESOLVED_ACTIONS:
            detail = f"{detail}\n\n{CONFIRM}".strip()
        customer_update(
            case,
            headline=headline,
            detail=detail,
            body=body,
            author=author_name(who),
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
    message = f"{key}: {label}{_by(who)} ({case.get_state_display().lower()})"
    case_staff_tell(case, message=message, source=source, exclude=who)


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
    if is_question(case, comment):
        pass  # L2's question: the customer hears it once, as the "waiting for you" step
    elif not author.is_external:
        customer_update(
            case,
            headline=f"{author_name(author)} wrote to you",
            body=comment.body,
            author=author_name(author),
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
    case_staff_tell_among(case, others, message=message, source=source, exclude=author)


# -- work items and incidents -------------------------------------------------------------------


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
    fix_released(item, to_state, source)
    who = _user(actor_id)
    url = f"/work-items/{key}/"
    told: list[User] = []
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
    message = f"{key}: {action.replace('_', ' ')}{_by(who)} ({item.status.replace('_', ' ')})"
    watchers_tell(
        WatchSubject.WORK_ITEM, item, told, message=message, url=url, source=source, who=who
    )


def on_incident_transitioned(*, key: str, action: str, actor_id: int | None, source: str) -> None:
    incident = Incident.objects.select_related("lead", "owner").filter(key=key).first()
    if incident is None:
        return
    who = _user(actor_id)
    url = f"/incidents/{key}/"
    on: list[User | None] = [incident.lead, incident.owner]
    on += [p.user for p in Participant.objects.filter(incident=incident).select_related("user")]
    people = [p for p in on if p is not None]
    message = f"{key}: {action.replace('_', ' ')}{_by(who)} ({incident.state.replace('_', ' ')})"
    notify(
        users=people,
        subject_key=key,
        message=message,
        url=url,
        kind=Kind.INCIDENT,
        source=source,
        exclude=who,
    )
    watchers_tell(
        WatchSubject.INCIDENT, incident, people, message=message, url=url, source=source, who=who
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
