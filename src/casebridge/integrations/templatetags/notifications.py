"""``{% notification_bell %}``: the header's link to the notification centre. It costs the page
no query: HTMX fetches the unread count once the page has loaded, every minute, and whenever a
response says ``HX-Trigger: notifications-changed``."""

from __future__ import annotations

from django import template
from django.template.context import Context
from django.template.loader import render_to_string

register = template.Library()


@register.simple_tag(takes_context=True)
def notification_bell(context: Context) -> str:
    user = context.get("user")
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    return render_to_string("integrations/notifications/_bell.html", {"unread": None})
