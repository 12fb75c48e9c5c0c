"""The settings index and the administrators' audit log."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from casebridge.administration.audit_types import SETTING_TYPES
from casebridge.administration.forms import AuditFilterForm
from casebridge.administration.views.common import admin_page, settings_render
from casebridge.audit.selectors import events_of_types
from casebridge.web.pages import Request

PAGE_ROWS = 200


@require_GET
@admin_page
def index(request: Request) -> HttpResponse:
    return settings_render(request, "administration/index.html", "", {})


def _day_start(day: date | None) -> datetime | None:
    return None if day is None else timezone.make_aware(datetime.combine(day, time.min))


@require_GET
@admin_page
def audit_log(request: Request) -> HttpResponse:
    form = AuditFilterForm(request.GET or None, types=SETTING_TYPES)
    data = form.cleaned_data if form.is_valid() else {}
    until = _day_start(data.get("until"))
    events = events_of_types(
        SETTING_TYPES,
        actor=data.get("actor", "").strip(),
        subject_type=data.get("subject_type", ""),
        since=_day_start(data.get("since")),
        until=until + timedelta(days=1) if until else None,
        limit=PAGE_ROWS + 1,
    )
    context = {
        "form": form,
        "events": [
            (e, SETTING_TYPES.get(e.subject_type, e.subject_type), e.action.replace("_", " "))
            for e in events[:PAGE_ROWS]
        ],
        "more": len(events) > PAGE_ROWS,
    }
    return settings_render(request, "administration/audit.html", "audit", context)
