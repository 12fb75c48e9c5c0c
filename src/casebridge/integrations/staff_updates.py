"""What the staff hear of a change: its owner, its watchers and the people @mentioned.

Staff hear what is addressed to them (a case or work item assigned to them, a review requested
of them, an incident they are on, an @mention in a comment on something they may see) and
changes to what they own or watch. ``integrations.reactions`` decides when; this module finds
the people and tells them, each once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from django.db.models import Q

from casebridge.accounts.models import User
from casebridge.cases.models import Case
from casebridge.incidents.models import Incident
from casebridge.integrations.models import NotificationKind, WatchSubject
from casebridge.integrations.notifications import notify
from casebridge.integrations.watching import watchers_of
from casebridge.workitems.models import WorkItem

#: ``@username`` in a comment; an address (``a@b``) is not a mention.
MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9_.+-]{1,150})")
MENTIONS_MAX = 20


def case_staff(case: Case) -> list[User]:
    """The staff who follow a case: its owner and its staff watchers."""
    people = [case.owner] if case.owner is not None else []
    return people + [p for p in watchers_of(WatchSubject.CASE, case) if not p.is_external]


def case_staff_tell(case: Case, *, message: str, source: str, exclude: User | None) -> None:
    """The case's owner (kind ``case_changed``) and its staff watchers (``watching``)."""
    owner = [case.owner] if case.owner is not None else []
    notify(
        users=owner,
        subject_key=case.key,
        message=message,
        url=f"/cases/{case.key}/",
        kind=NotificationKind.CASE_CHANGED,
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
        kind=NotificationKind.WATCHING,
        case=case,
        source=source,
        exclude=exclude,
    )


def case_staff_tell_among(
    case: Case, people: list[User], *, message: str, source: str, exclude: User | None
) -> None:
    """Those of ``people`` who own the case (``case_changed``) and the others (``watching``)."""
    owner = [p for p in people if case.owner is not None and p.pk == case.owner.pk]
    for group, kind in (
        (owner, NotificationKind.CASE_CHANGED),
        ([p for p in people if p not in owner], NotificationKind.WATCHING),
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


def watchers_tell(
    subject_type: str,
    subject: WorkItem | Incident,
    already: Iterable[User],
    *,
    message: str,
    url: str,
    source: str,
    who: User | None,
) -> None:
    """The watchers of a work item or incident not told already (kind ``watching``)."""
    skip = {p.pk for p in already}
    notify(
        users=[p for p in watchers_of(subject_type, subject) if p.pk not in skip],
        subject_key=subject.key,
        message=message,
        url=url,
        kind=NotificationKind.WATCHING,
        source=source,
        exclude=who,
    )


def excerpt(text: str, limit: int = 140) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def mentions_in(text: str, *, may_see: Callable[[User], bool]) -> list[User]:
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
