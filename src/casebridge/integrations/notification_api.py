"""/api/v1/notifications (the viewer's own: list, mark read, preferences) and /api/v1/watches
(what the viewer watches; watch and unwatch what they may see). Everyone signed in; each sees
and changes only their own."""

from __future__ import annotations

from typing import Literal

from ninja import Field, Query, Router, Schema

from casebridge.accounts.invitations import user_for_invitation, user_invite
from casebridge.accounts.models import User
from casebridge.core.errors import NotFound
from casebridge.core.http import ApiRequest
from casebridge.core.schemas import ERRORS, WRITE_ERRORS, Id, InputSchema, Offset
from casebridge.integrations import notifications, watching
from casebridge.integrations.models import Notification

notifications_router = Router(tags=["notifications"])
watches_router = Router(tags=["notifications"])
invitations_router = Router(tags=["users"])

SubjectType = Literal["case", "work_item", "incident"]


class NotificationOut(Schema):
    id: int
    kind: str
    subject: str
    message: str
    url: str
    created_at: str
    read: bool

    @staticmethod
    def of(note: Notification) -> NotificationOut:
        return NotificationOut(
            id=note.pk,
            kind=note.kind,
            subject=note.subject_key,
            message=note.message,
            url=note.url,
            created_at=note.created_at.isoformat(),
            read=note.read_at is not None,
        )


class NotificationsOut(Schema):
    unread: int
    items: list[NotificationOut]


class NotificationQuery(Schema):
    unread: bool = False
    limit: int = Field(default=50, ge=1, le=200)
    offset: Offset = 0


class MarkReadIn(InputSchema):
    ids: list[Id] | None = Field(
        default=None, max_length=500, description="The notifications to mark; none: all"
    )


class MarkedOut(Schema):
    marked: int
    unread: int


class ChannelsIo(Schema):
    in_app: bool
    email: bool
    digest: bool


class PreferenceOut(ChannelsIo):
    kind: str
    label: str


class PreferencesIn(InputSchema):
    preferences: dict[str, ChannelsIo] = Field(max_length=20)


class WatchOut(Schema):
    subject_type: str
    key: str


class WatchChangedOut(WatchOut):
    watching: bool
    changed: bool


def _preferences(user: User) -> list[PreferenceOut]:
    labels = dict(notifications.Kind.choices)
    return [
        PreferenceOut(kind=kind, label=str(labels[kind]), **vars(channels))
        for kind, channels in notifications.preferences_of(user).items()
    ]


@notifications_router.get(
    "", response={200: NotificationsOut, **ERRORS}, summary="My notifications, newest first"
)
def list_notifications(request: ApiRequest, query: Query[NotificationQuery]) -> NotificationsOut:
    notes = notifications.notifications_for(request.auth, unread_only=query.unread)
    rows = notes[query.offset : query.offset + query.limit]
    return NotificationsOut(
        unread=notifications.unread_count(request.auth),
        items=[NotificationOut.of(n) for n in rows],
    )


@notifications_router.post(
    "/read", response={200: MarkedOut, **WRITE_ERRORS}, summary="Mark my notifications read"
)
def mark_read(request: ApiRequest, body: MarkReadIn) -> MarkedOut:
    marked = notifications.notifications_mark_read(viewer=request.auth, ids=body.ids)
    return MarkedOut(marked=marked, unread=notifications.unread_count(request.auth))


@notifications_router.post(
    "/{notification_id}/read",
    response={200: MarkedOut, **WRITE_ERRORS},
    summary="Mark one of my notifications read",
)
def mark_one_read(request: ApiRequest, notification_id: Id) -> MarkedOut:
    if not notifications.notifications_for(request.auth).filter(pk=notification_id).exists():
        raise NotFound(f"No notification {notification_id}")
    marked = notifications.notifications_mark_read(viewer=request.auth, ids=[notification_id])
    return MarkedOut(marked=marked, unread=notifications.unread_count(request.auth))


@notifications_router.get(
    "/preferences",
    response={200: list[PreferenceOut], **ERRORS},
    summary="On which channels I hear each kind of notification",
)
def get_preferences(request: ApiRequest) -> list[PreferenceOut]:
    return _preferences(request.auth)


@notifications_router.put(
    "/preferences",
    response={200: list[PreferenceOut], **WRITE_ERRORS},
    summary="Choose channels per kind (kinds not given keep theirs)",
)
def put_preferences(request: ApiRequest, body: PreferencesIn) -> list[PreferenceOut]:
    notifications.preferences_set(
        user=request.auth,
        choices={
            kind: notifications.Channels(c.in_app, c.email, c.digest)
            for kind, c in body.preferences.items()
        },
    )
    return _preferences(request.auth)


@watches_router.get("", response={200: list[WatchOut], **ERRORS}, summary="What I watch")
def list_watches(request: ApiRequest) -> list[WatchOut]:
    return [WatchOut(subject_type=t, key=k) for t, k in watching.watched_by(request.auth)]


def _set(request: ApiRequest, subject_type: str, key: str, on: bool) -> WatchChangedOut:
    if len(key) > 64:
        raise NotFound(f"No {subject_type} {key[:64]}")
    changed = watching.watch_set(
        actor=request.auth, subject_type=subject_type, key=key, watching=on
    )
    return WatchChangedOut(subject_type=subject_type, key=key.upper(), watching=on, changed=changed)


@watches_router.put(
    "/{subject_type}/{key}",
    response={200: WatchChangedOut, **WRITE_ERRORS},
    summary="Watch a case, work item or incident I may see",
)
def watch(request: ApiRequest, subject_type: SubjectType, key: str) -> WatchChangedOut:
    return _set(request, subject_type, key, True)


@watches_router.delete(
    "/{subject_type}/{key}",
    response={200: WatchChangedOut, **WRITE_ERRORS},
    summary="Stop watching",
)
def unwatch(request: ApiRequest, subject_type: SubjectType, key: str) -> WatchChangedOut:
    return _set(request, subject_type, key, False)


class InvitedOut(Schema):
    username: str
    sent_to: str


@invitations_router.post(
    "/{username}/invite",
    response={200: InvitedOut, **WRITE_ERRORS},
    summary="E-mail a user a link to choose their password (administrators)",
)
def invite(request: ApiRequest, username: str) -> InvitedOut:
    user = user_for_invitation(request.auth, username[:150])
    return InvitedOut(username=user.username, sent_to=user_invite(actor=request.auth, user=user))
