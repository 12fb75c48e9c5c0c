"""The notification centre (/notifications/): the list, mark read (one or all), open the
object, the header's unread count (HTMX), preferences and watches. Everyone signed in sees
only their own notifications."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casebridge.accounts.models import User
from casebridge.core.errors import DomainError, NotFound
from casebridge.core.schemas import bounded_int
from casebridge.core.text import plural
from casebridge.integrations import notifications, watching
from casebridge.integrations.models import Notification, WatchSubject
from casebridge.web.pages import Request, page, viewer

PAGE_ROWS = 50
SUBJECT_URLS = {
    WatchSubject.CASE: "/cases/{key}/",
    WatchSubject.WORK_ITEM: "/work-items/{key}/",
    WatchSubject.INCIDENT: "/incidents/{key}/",
}


def _subject_url(user: object, subject_type: str, key: str) -> str:
    if subject_type == WatchSubject.CASE and getattr(user, "is_external", False):
        return f"/portal/cases/{key}/"
    return SUBJECT_URLS[WatchSubject(subject_type)].format(key=key)


def _own(request: Request, notification_id: int) -> Notification:
    note = notifications.notifications_for(viewer(request)).filter(pk=notification_id).first()
    if note is None:
        raise NotFound(f"No notification {notification_id}")
    return note


def _changed(response: HttpResponse) -> HttpResponse:
    response["HX-Trigger"] = "notifications-changed"  # the bell refreshes its count
    return response


@require_GET
@page()
def notification_list(request: Request) -> HttpResponse:
    user = viewer(request)
    unread_only = request.GET.get("unread") == "1"
    number = bounded_int(request.GET.get("page", "1"), low=1, high=10_000) or 1
    start = (number - 1) * PAGE_ROWS
    rows = list(
        notifications.notifications_for(user, unread_only=unread_only)[
            start : start + PAGE_ROWS + 1
        ]
    )
    context = {
        "rows": rows[:PAGE_ROWS],
        "more": len(rows) > PAGE_ROWS,
        "next_page": number + 1,
        "unread_only": unread_only,
        "unread": notifications.unread_count(user),
    }
    return render(request, "integrations/notifications/list.html", context)


@require_GET
@page()
def bell(request: Request) -> HttpResponse:
    unread = notifications.unread_count(viewer(request))
    return HttpResponse(
        render_to_string("integrations/notifications/_bell.html", {"unread": unread}, request)
    )


@require_POST
@page()
def read_one(request: Request, notification_id: int) -> HttpResponse:
    note = _own(request, notification_id)
    notifications.notifications_mark_read(viewer=viewer(request), ids=[note.pk])
    if request.htmx:
        note.refresh_from_db()
        html = render_to_string("integrations/notifications/_row.html", {"note": note}, request)
        return _changed(HttpResponse(html))
    return redirect("notifications:list")


@require_POST
@page()
def read_all(request: Request) -> HttpResponse:
    count = notifications.notifications_mark_read(viewer=viewer(request))
    messages.success(request, f"{plural(count, 'notification')} marked read.")
    return redirect("notifications:list")


@require_GET
@page()
def open_one(request: Request, notification_id: int) -> HttpResponse:
    """Mark read and go to its object (only paths inside Casebridge are followed)."""
    note = _own(request, notification_id)
    notifications.notifications_mark_read(viewer=viewer(request), ids=[note.pk])
    url = note.url if note.url.startswith("/") and not note.url.startswith("//") else ""
    return redirect(url or reverse("notifications:list"))


def _choices(request: Request, user: User) -> dict[str, notifications.Channels]:
    return {
        kind.value: notifications.Channels(
            in_app=request.POST.get(f"{kind.value}.in_app") == "on",
            email=request.POST.get(f"{kind.value}.email") == "on",
            digest=request.POST.get(f"{kind.value}.digest") == "on",
        )
        for kind in notifications.kinds_for(user)
    }


@require_http_methods(["GET", "POST"])
@page()
def settings_page(request: Request) -> HttpResponse:
    user = viewer(request)
    if request.method == "POST":
        notifications.preferences_set(user=user, choices=_choices(request, user))
        messages.success(request, "Notification settings saved.")
        return redirect("notifications:settings")
    labels = dict(notifications.Kind.choices)
    prefs = notifications.preferences_of(user)
    context = {
        "rows": [(kind, labels[kind], channels) for kind, channels in prefs.items()],
        "watches": [(t, k, _subject_url(user, t, k)) for t, k in watching.watched_by(user)],
    }
    return render(request, "integrations/notifications/settings.html", context)


@require_http_methods(["GET", "POST"])
@page()
def watch_toggle(request: Request, subject_type: str, key: str) -> HttpResponse:
    """GET: the Watch button of an object the viewer may see (pages load it after they show).
    POST: watch (``watch=1``) or stop watching (``watch=0``) it."""
    if subject_type not in watching.SUBJECTS or len(key) > 64:
        raise Http404("No such object")
    user = viewer(request)
    if request.method == "GET":
        subject = watching.subject_get_for(user, subject_type, key)
        context = {
            "subject_type": subject_type,
            "key": subject.key,
            "watching": watching.is_watching(user, subject_type, subject),
        }
        html = render_to_string("integrations/notifications/_watch.html", context, request)
        return HttpResponse(html)
    on = request.POST.get("watch", "1") == "1"
    try:
        watching.watch_set(actor=user, subject_type=subject_type, key=key, watching=on)
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    if request.htmx:
        context = {"subject_type": subject_type, "key": key.upper(), "watching": on}
        html = render_to_string("integrations/notifications/_watch.html", context, request)
        return HttpResponse(html)
    messages.success(request, f"{'Watching' if on else 'No longer watching'} {key.upper()}.")
    back = request.POST.get("next", "")
    if back.startswith("/") and not back.startswith("//"):
        return redirect(back)
    return redirect(_subject_url(user, subject_type, key.upper()))
