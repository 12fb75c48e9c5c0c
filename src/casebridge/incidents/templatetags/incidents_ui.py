"""Badges of the incident pages: severity and state."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from casebridge.incidents.models import IncidentState, Severity

register = template.Library()


@register.filter
def severity_badge(severity: str) -> SafeString:
    try:
        label = str(Severity(severity).label).split(" ", 1)[0]
    except ValueError:
        label = severity
    return format_html('<span class="badge sev sev-{}">{}</span>', severity, label)


@register.filter
def incident_state_badge(state: str) -> SafeString:
    try:
        label = str(IncidentState(state).label)
    except ValueError:
        label = state.replace("_", " ").capitalize()
    return format_html('<span class="badge inc-state inc-{}">{}</span>', state, label)
