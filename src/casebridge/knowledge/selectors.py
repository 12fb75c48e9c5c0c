"""Reads of the knowledge base. It is internal: customers and partners see none of it."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator

from django.db.models import Count, Q, QuerySet

from casebridge.core.actors import Actor
from casebridge.core.csvexport import CHUNK, Row, chunked
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


CSV_HEADER = (
    "key",
    "title",
    "fix_kind",
    "services",
    "applied",
    "symptoms",
    "steps",
    "created_by",
    "created_at",
    "updated_at",
)
_CSV_FIELDS = (
    "pk",
    "key",
    "title",
    "fix_kind",
    "applied",
    "symptoms",
    "steps",
    "created_by__username",
    "created_at",
    "updated_at",
)


def known_resolution_csv_rows_for(
    viewer: Actor, *, query: str = "", service: str = ""
) -> Iterator[Row]:
    """The list (same search, same order) in ``CSV_HEADER``'s columns, read in chunks with the
    services' slugs (space-separated) looked up once per chunk. None for customers and partners."""
    if viewer.is_external:
        return iter(())
    items = known_resolution_list_for(viewer, query=query, service=service)
    rows = items.prefetch_related(None).values_list(*_CSV_FIELDS).iterator(CHUNK)
    return chunked(rows, _with_services)


def _with_services(block: list[tuple[object, ...]]) -> list[Row]:
    slugs: dict[object, list[str]] = defaultdict(list)
    through = KnownResolution.services.through.objects.filter(
        knownresolution_id__in=[r[0] for r in block]
    )
    for item_id, slug in through.order_by("service__slug").values_list(
        "knownresolution_id", "service__slug"
    ):
        slugs[item_id].append(slug)
    return [(*r[1:4], " ".join(slugs.get(r[0], ())), *r[4:]) for r in block]
