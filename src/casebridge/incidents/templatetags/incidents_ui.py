"""Badges of the incident pages: severity and state."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from casebridge.incidents.models import IncidentState, Severity
from casebridge.web.templatetags.ui import choice_badge

register = template.Library()


@register.filter
def severity_badge(severity: str) -> SafeString:
    return choice_badge(Severity, severity, "sev", cut=" ")


@register.filter
def incident_state_badge(state: str) -> SafeString:
    return choice_badge(IncidentState, state, "inc")
