"""Reads of the knowledge base. It is internal: customers and partners see none of it."""

from __future__ import annotations

import re

from django.db.models import Count, Q, QuerySet

from casebridge.core.actors import Actor
from casebridge.core.errors import NotFound
from casebridge.knowledge.models import KnownResolution

WORD = re.compile(r"\w+")


def known_resolution_list_for(
    viewer: Actor, *, query: str = "", service: str = ""
) -> QuerySet[KnownResolution]:
    """Known resolutions matching every word of ``query``, most applied first."""
    if viewer.is_external:
        return KnownResolution.objects.none()
    items = KnownResolution.objects.prefetch_related("services").annotate(applied=Count("cases"))
    for word in WORD.findall(query)[:12]:
        items = items.filter(
            Q(title__icontains=word) | Q(symptoms__icontains=word) | Q(steps__icontains=word)
        )
    if service:
        items = items.filter(services__slug=service)
    return items.order_by("-applied", "-updated_at", "-id")


def known_resolution_get_for(viewer: Actor, key: str) -> KnownResolution:
    item = known_resolution_list_for(viewer).filter(key=key.strip().upper()).first()
    if item is None:
        raise NotFound(f"No known resolution {key}")
    return item
