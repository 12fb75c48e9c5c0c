"""/api/v1/search: the global search of the pages, for scripts (the same service, so the same
visibility: customers and partners find only the cases they may read, never the internal side).

A key (``CB-12``, ``BUG-7``, ``KR-3``, ``INC-2``) the viewer may see comes back as ``match`` with
the object itself in ``object`` (as its own endpoint returns it) and nothing in ``items``; words
search cases, work items and known fixes, best first.
"""

from __future__ import annotations

from ninja import Query, Router, Schema
from pydantic import Field

from casebridge.cases.api import case_out
from casebridge.cases.models import Case
from casebridge.cases.schemas import CaseOut
from casebridge.core.actors import Actor
from casebridge.core.http import ApiRequest
from casebridge.core.schemas import ERRORS
from casebridge.incidents.api import incident_out
from casebridge.incidents.models import Incident
from casebridge.incidents.schemas import IncidentOut
from casebridge.knowledge.models import KnownResolution
from casebridge.knowledge.schemas import KnownResolutionOut
from casebridge.web.search import Found, Hit, find_key, search_for
from casebridge.workitems.models import WorkItem
from casebridge.workitems.schemas import WorkItemOut, item_out

router = Router(tags=["search"])

#: The API path of each kind's own endpoint.
API_PATHS = {
    "case": "/api/v1/cases/",
    "bug": "/api/v1/work-items/",
    "feature": "/api/v1/work-items/",
    "improvement": "/api/v1/work-items/",
    "known_fix": "/api/v1/known-resolutions/",
    "incident": "/api/v1/incidents/",
}


class SearchQuery(Schema):
    q: str = Field(
        min_length=1,
        max_length=200,
        description="A key (CB-12, BUG-7, FR-3, IMP-4, KR-3, INC-2) or words",
    )
    limit: int = Field(default=20, ge=1, le=60, description="At most this many items")


class HitOut(Schema):
    kind: str = Field(description="case, bug, feature, improvement, known_fix or incident")
    key: str
    title: str
    detail: str = Field(description="The state, status or kind of fix, as the pages show it")
    score: int = Field(description="Words found in the title count 2, elsewhere 1")
    url: str = Field(description="The object's page")
    api_url: str = Field(description="The object's endpoint")


class SearchOut(Schema):
    query: str
    match: HitOut | None = Field(description="The object a key names, if the viewer may see it")
    object: CaseOut | WorkItemOut | KnownResolutionOut | IncidentOut | None = Field(
        description="The matched object, as its own endpoint returns it"
    )
    count: int
    items: list[HitOut] = Field(description="Best first: score, then the newest")


def hit_out(hit: Hit) -> HitOut:
    kind = hit.kind_slug
    return HitOut(
        kind=kind,
        key=hit.key,
        title=hit.title,
        detail=hit.detail,
        score=hit.score,
        url=hit.url,
        api_url=API_PATHS[kind] + hit.key,
    )


def object_out(
    viewer: Actor, found: Found
) -> CaseOut | WorkItemOut | KnownResolutionOut | IncidentOut:
    obj = found.obj
    if isinstance(obj, Case):
        return case_out(viewer, obj)
    if isinstance(obj, WorkItem):
        return item_out(viewer, obj)
    if isinstance(obj, KnownResolution):
        return KnownResolutionOut.of(obj)
    if isinstance(obj, Incident):
        return incident_out(viewer, obj)
    raise TypeError(f"No output for {type(obj).__name__}")  # pragma: no cover - KINDS are closed


def match_out(found: Found) -> HitOut:
    obj = found.obj
    title = str(getattr(obj, "title", ""))
    detail = getattr(obj, "state", "") or getattr(obj, "status", "") or getattr(obj, "fix_kind", "")
    return HitOut(
        kind=found.kind,
        key=found.key,
        title=title,
        detail=str(detail).replace("_", " "),
        score=0,
        url=found.url,
        api_url=API_PATHS[found.kind] + found.key,
    )


def search_out(viewer: Actor, text: str, limit: int = 20) -> SearchOut:
    """The answer of the API and of ``casebridge search --json``."""
    found = find_key(viewer, text)
    if found is not None:
        return SearchOut(
            query=text,
            match=match_out(found),
            object=object_out(viewer, found),
            count=0,
            items=[],
        )
    hits = search_for(viewer, text)[:limit]
    return SearchOut(
        query=text, match=None, object=None, count=len(hits), items=[hit_out(h) for h in hits]
    )


@router.get("", response={200: SearchOut, **ERRORS}, summary="Search by key or words")
def search(request: ApiRequest, query: Query[SearchQuery]) -> SearchOut:
    return search_out(request.auth, query.q, query.limit)
