"""Notifications: who hears what, on which channel.

``notify`` is the one door: called inside the transaction of a change (or of a reaction to
one), it looks up each person's preference for the notification's ``kind``
(``NotificationPreference``, else ``DEFAULTS``) and

* adds a ``Notification`` to their notification centre (``in_app``) and/or keeps it for their
  daily digest (``digest``; ``digests_send`` mails it);
* writes an e-mail to the outbox (``email``), threaded on the case when it is about one.

A ``source`` (the outbox message or event that caused it) makes a retried reaction notify once.
Customers' own case e-mails (milestones in their words, L2's public replies) come from
``integrations.customer_updates``; this module never decides what a customer may read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from casebridge.accounts.models import User
from casebridge.core import clock
from casebridge.core.actors import Actor
from casebridge.core.errors import ValidationFailed
from casebridge.core.text import plural
from casebridge.integrations.mail import addresses
from casebridge.integrations.mail.addresses import MailedCase
from casebridge.integrations.mail.outgoing import (
    case_subject,
    mail_enqueue,
    standalone_message_id,
)
from casebridge.integrations.models import Notification, NotificationKind, NotificationPreference

Kind = NotificationKind

#: Channels when a person has not chosen: everything in the app; e-mail for what is addressed to
#: them personally; customers also by e-mail when their case changes (their main channel).
PERSONAL = frozenset({Kind.ASSIGNED, Kind.MENTIONED, Kind.REVIEW_REQUESTED, Kind.INCIDENT})
CUSTOMER_MAIL = frozenset({Kind.CASE_CHANGED, Kind.WATCHING})
#: Kinds a customer or partner can receive (the rest are about internal work).
CUSTOMER_KINDS = (Kind.CASE_CHANGED, Kind.WATCHING)


@dataclass(frozen=True)
class Channels:
    in_app: bool
    email: bool
    digest: bool

    @property
    def any(self) -> bool:
        return self.in_app or self.email or self.digest


def default_channels(user: User, kind: str) -> Channels:
    email = kind in PERSONAL or (user.is_external and kind in CUSTOMER_MAIL)
    return Channels(in_app=True, email=email, digest=False)


def kinds_for(user: User) -> list[NotificationKind]:
    """The kinds a person may choose channels for."""
    return list(CUSTOMER_KINDS) if user.is_external else list(Kind)


def preferences_of(user: User) -> dict[str, Channels]:
    chosen = {p.kind: p for p in NotificationPreference.objects.filter(user=user)}
    result = {}
    for kind in kinds_for(user):
        row = chosen.get(kind)
        result[kind.value] = (
            Channels(row.in_app, row.email, row.digest)
            if row
            else default_channels(user, kind.value)
        )
    return result


def channels_for(user: User, kind: str) -> Channels:
    row = NotificationPreference.objects.filter(user=user, kind=kind).first()
    if row is None:
        return default_channels(user, kind)
    return Channels(row.in_app, row.email, row.digest)


@transaction.atomic
def preferences_set(*, user: User, choices: Mapping[str, Channels]) -> dict[str, Channels]:
    """Set a person's channels per kind; unknown kinds are refused (``ValidationFailed``)."""
    allowed = {k.value for k in kinds_for(user)}
    unknown = sorted(set(choices) - allowed)
    if unknown:
        raise ValidationFailed(
            "Unknown notification kind", fields={"kind": f"Unknown: {', '.join(unknown)}"}
        )
    for kind, channels in choices.items():
        NotificationPreference.objects.update_or_create(
            user=user,
            kind=kind,
            defaults={
                "in_app": channels.in_app,
                "email": channels.email,
                "digest": channels.digest,
            },
        )
    return preferences_of(user)


def _link(url: str) -> str:
    return f"{settings.BASE_URL}{url}" if url.startswith("/") else url


def _settings_link(user: User) -> str:
    return f"{settings.BASE_URL}/notifications/settings/"


def notify(
    *,
    users: Iterable[User | None],
    subject_key: str,
    message: str,
    url: str = "",
    kind: str = Kind.CASE_CHANGED,
    case: MailedCase | None = None,
    source: str = "",
    exclude: Actor | None = None,
    email: bool = True,
) -> int:
    """Notify each distinct active person once, on the channels they chose for ``kind``.

    ``case``: the e-mail joins the case's thread. ``exclude``: the person who made the change
    (nobody is told of their own action). ``email=False``: never by e-mail (the caller sends
    its own). Returns how many people were notified."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("notify must be called inside the transaction of the change")
    now = clock.now()
    seen: set[int] = set()
    skip = getattr(exclude, "pk", None)
    for user in users:
        if user is None or user.pk is None or user.pk in seen or not user.is_active:
            continue
        if user.pk == skip:
            continue
        seen.add(user.pk)
        channels = channels_for(user, kind)
        if not channels.any:
            continue
        if (channels.in_app or channels.digest) and not _note(
            user,
            kind=kind,
            subject_key=subject_key,
            message=message,
            url=url,
            now=now,
            channels=channels,
            source=source,
        ):
            continue  # this source notified them before (a retried reaction)
        # Customers' e-mail is written in their words, in their case's thread, by
        # ``customer_updates.customer_update``; a plain notification is never mailed to them.
        if email and channels.email and user.email and not user.is_external:
            _mail(user, message=message, url=url, case=case, subject_key=subject_key, source=source)
    return len(seen)


def _note(
    user: User,
    *,
    kind: str,
    subject_key: str,
    message: str,
    url: str,
    now: datetime,
    channels: Channels,
    source: str,
) -> bool:
    if source and Notification.objects.filter(user=user, source=source).exists():
        return False
    try:
        with transaction.atomic():
            Notification.objects.create(
                user=user,
                kind=kind,
                subject_key=subject_key[:64],
                message=message[:500],
                url=url[:200],
                created_at=now,
                in_app=channels.in_app,
                digest=channels.digest,
                source=source[:64],
            )
    except IntegrityError:
        return False
    return True


def _mail(
    user: User, *, message: str, url: str, case: MailedCase | None, subject_key: str, source: str
) -> None:
    unique = source or clock.now().strftime("%Y%m%d%H%M%S%f")
    event = f"n-{unique}-{user.pk}"
    if case is not None:
        message_id = addresses.message_id_for(case, event)
        subject = case_subject(case)
    else:
        message_id = standalone_message_id("notification", event)
        subject = message
    mail_enqueue(
        to=user.email,
        subject=subject,
        template="notification",
        context={
            "recipient_name": user.display_name,
            "message": message,
            "link": _link(url),
            "settings_link": _settings_link(user),
        },
        message_id=message_id,
        case=case,
    )


# -- the notification centre -------------------------------------------------------------------


def notifications_for(viewer: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    notes = Notification.objects.filter(user=viewer, in_app=True)
    return notes.filter(read_at__isnull=True) if unread_only else notes


def unread_count(viewer: User) -> int:
    if not getattr(viewer, "is_authenticated", False):
        return 0
    return notifications_for(viewer, unread_only=True).count()


@transaction.atomic
def notifications_mark_read(*, viewer: User, ids: Iterable[int] | None = None) -> int:
    """Mark the viewer's notifications read (all of them, or those of ``ids``); returns how
    many changed. Another person's notification ids are ignored."""
    notes = Notification.objects.filter(user=viewer, read_at__isnull=True)
    if ids is not None:
        notes = notes.filter(pk__in=list(ids))
    return notes.update(read_at=clock.now())


# -- the daily digest --------------------------------------------------------------------------


def digest_cut(now: datetime) -> datetime | None:
    """The digest of the day covers notifications before today's ``DIGEST_HOUR`` (UTC); before
    that hour, yesterday's digest was the last."""
    today = datetime.combine(now.date(), time(settings.DIGEST_HOUR), tzinfo=now.tzinfo)
    return today if now >= today else None


def digests_send(*, limit: int = 500) -> int:
    """Mail each person their digest of the day once; returns how many digests were written."""
    now = clock.now()
    cut = digest_cut(now)
    if cut is None:
        return 0
    due = Notification.objects.filter(digest=True, digested_at__isnull=True, created_at__lt=cut)
    user_ids = list(due.values_list("user_id", flat=True).distinct().order_by("user_id")[:limit])
    sent = 0
    for user_id in user_ids:
        with transaction.atomic():
            items = list(
                due.filter(user_id=user_id)
                .select_for_update()
                .select_related("user")
                .order_by("created_at", "id")[:200]
            )
            if not items:
                continue
            user = items[0].user
            if user.is_active and user.email:
                mail_enqueue(
                    to=user.email,
                    subject=f"Your Casebridge digest: {_count(len(items))}",
                    template="digest",
                    context={
                        "recipient_name": user.display_name,
                        "items": [{"message": n.message, "link": _link(n.url)} for n in items],
                        "settings_link": _settings_link(user),
                    },
                    message_id=standalone_message_id("digest", f"{user.pk}.{cut:%Y%m%d}"),
                )
                sent += 1
            Notification.objects.filter(pk__in=[n.pk for n in items]).update(digested_at=now)
    return sent


def _count(n: int) -> str:
    return plural(n, "notification")
