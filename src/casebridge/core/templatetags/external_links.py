"""``{% external_link url text %}``: the one way a template renders a URL from outside.

An http(s) URL becomes ``<a href=... rel="noopener noreferrer nofollow">text</a>``; anything
else (``javascript:``, ``data:``, a row stored before the check) is the text alone, escaped.
"""

from __future__ import annotations

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString

from casebridge.core.urls import safe_external_url

register = template.Library()


@register.simple_tag
def external_link(url: object, text: object) -> SafeString:
    safe = safe_external_url(url)
    if safe is None:
        return SafeString(conditional_escape(str(text)))  # escaped  # nosec B703
    return format_html('<a href="{}" rel="noopener noreferrer nofollow">{}</a>', safe, text)
