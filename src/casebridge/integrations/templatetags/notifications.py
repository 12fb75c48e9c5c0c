"""``{% notification_bell %}``: the unread count in the header, refreshed by HTMX."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string

from casebridge.integrations.notifications import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def notification_bell(context: Any) -> str:
    user = context.get("user")
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    return render_to_string("integrations/notifications/_bell.html", {"unread": unread_count(user)})
