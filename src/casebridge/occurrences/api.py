"""/api/v1/signatures: log signatures with where they were seen. Internal: customers and
partners get an empty list and 404s."""

from __future__ import annotations

from django.http import HttpResponseBase
from ninja import Query, Router

from casebridge.core.csvexport import CSV_OPENAPI, csv_response
from casebridge.core.http import ApiRequest
from casebridge.core.schemas import ERRORS
from casebridge.occurrences.schemas import (
    SignatureDetailOut,
    SignaturePageOut,
    SignatureQuery,
    sighting_out,
    signature_out,
)
from casebridge.occurrences.signatures import (
    CSV_HEADER,
    SignatureFilters,
    sightings_for,
    signature_csv_rows_for,
    signature_get_for,
    signature_list_for,
    signature_reach_for,
)

router = Router(tags=["signatures"])


@router.get(
    "",
    response={200: SignaturePageOut, **ERRORS},
    summary="Log signatures",
    openapi_extra=CSV_OPENAPI,
)
def list_signatures(
    request: ApiRequest, query: Query[SignatureQuery]
) -> SignaturePageOut | HttpResponseBase:
    """Most recently seen first, each with how many cases and services show it; filter by
    service slug, case key, words of the template, or only errors, warnings and pasted lines."""
    filters = SignatureFilters(
        service=query.service, case=query.case, q=query.q, notable=query.notable
    )
    if query.format == "csv":
        return csv_response("signatures", CSV_HEADER, signature_csv_rows_for(request.auth, filters))
    rows, total = signature_list_for(request.auth, filters, limit=query.limit, offset=query.offset)
    items = [signature_out(r.signature, r.cases, r.services) for r in rows]
    return SignaturePageOut(count=total, items=items)


@router.get(
    "/{signature_id}",
    response={200: SignatureDetailOut, **ERRORS},
    summary="One log signature and where it was seen",
)
def get_signature(request: ApiRequest, signature_id: str) -> SignatureDetailOut:
    signature = signature_get_for(request.auth, signature_id)
    cases, services = signature_reach_for(signature)
    return SignatureDetailOut(
        **signature_out(signature, cases, services).model_dump(),
        seen_in=[sighting_out(s) for s in sightings_for(request.auth, signature)],
        known_resolutions=[k.key for k in signature.known_resolutions.all()],
    )
