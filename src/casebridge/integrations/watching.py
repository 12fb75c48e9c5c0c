"""Watching: follow a case, a work item or an incident and hear what happens to it.

Only what the person may see can be watched (the subject's own ``*_get_for`` selector decides,
and answers "not found" otherwise). Cases keep their watchers in ``cases.Watcher`` (which the
customer side uses too); work items and incidents in ``integrations.Watch``.
"""

from __future__ import annotations

from django.db import transaction

from casebridge.accounts.models import User
from casebridge.audit.services import audit_record
from casebridge.cases.models import Case, Watcher
from casebridge.cases.selectors import case_get_for
from casebridge.core import clock
from casebridge.core.actors import Actor
from casebridge.core.errors import NotFound, ValidationFailed
from casebridge.incidents.models import Incident
from casebridge.incidents.selectors import incident_get_for
from casebridge.integrations.models import Watch, WatchSubject
from casebridge.workitems.models import WorkItem
from casebridge.workitems.selectors import work_item_get_for

SUBJECTS = {s.value for s in WatchSubject}
#: What can be watched.
Watched = Case | WorkItem | Incident


def subject_get_for(viewer: Actor, subject_type: str, key: str) -> Watched:
    """The case, work item or incident ``key`` if the viewer may see it (else ``NotFound``)."""
    if subject_type == WatchSubject.CASE:
        return case_get_for(viewer, key)
    if subject_type == WatchSubject.WORK_ITEM:
        return work_item_get_for(viewer, key)
    if subject_type == WatchSubject.INCIDENT:
        return incident_get_for(viewer, key)
    raise ValidationFailed(
        "Unknown kind of object", fields={"subject_type": "Choose case, work_item or incident."}
    )


def is_watching(user: User, subject_type: str, subject: Watched) -> bool:
    if isinstance(subject, Case):
        return Watcher.objects.filter(case=subject, user=user).exists()
    return Watch.objects.filter(
        user=user, subject_type=subject_type, subject_key=subject.key
    ).exists()


@transaction.atomic
def watch_set(*, actor: User, subject_type: str, key: str, watching: bool) -> bool:
    """Watch (or stop watching) what the actor may see; returns whether anything changed."""
    subject = subject_get_for(actor, subject_type, key)
    if isinstance(subject, Case):  # subject_type is WatchSubject.CASE
        if watching:
            changed = Watcher.objects.get_or_create(case=subject, user=actor)[1]
        else:
            changed = Watcher.objects.filter(case=subject, user=actor).delete()[0] > 0
    elif watching:
        changed = Watch.objects.get_or_create(
            user=actor,
            subject_type=subject_type,
            subject_key=subject.key,
            defaults={"created_at": clock.now()},
        )[1]
    else:
        changed = (
            Watch.objects.filter(
                user=actor, subject_type=subject_type, subject_key=subject.key
            ).delete()[0]
            > 0
        )
    if changed:
        audit_record(
            actor=actor,
            subject=subject,
            action="watched" if watching else "unwatched",
            field="watchers",
            new=actor.username,
        )
    return changed


def watchers_of(subject_type: str, subject: Watched) -> list[User]:
    """The people watching it who may still see it (a person who lost access hears nothing)."""
    if isinstance(subject, Case):
        people = [w.user for w in Watcher.objects.filter(case=subject).select_related("user")]
    else:
        people = [
            w.user
            for w in Watch.objects.filter(
                subject_type=subject_type, subject_key=subject.key
            ).select_related("user")
        ]
    visible = []
    for person in people:
        try:
            subject_get_for(person, subject_type, subject.key)
        except NotFound:
            continue
        visible.append(person)
    return visible


def watched_by(user: User) -> list[tuple[str, str]]:
    """What a person watches, as (subject type, key)."""
    cases = [
        (WatchSubject.CASE.value, key)
        for key in Watcher.objects.filter(user=user).values_list("case__key", flat=True)
    ]
    others = list(Watch.objects.filter(user=user).values_list("subject_type", "subject_key"))
    return sorted(cases + others)
