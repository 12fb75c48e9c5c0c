"""/api/v1/sla-calendars, /api/v1/sla-policies and /api/v1/sla-item-targets (fix targets for
work items): staff read, administrators write."""

from __future__ import annotations

from ninja import Router, Status

from casebridge.core.http import ApiRequest
from casebridge.core.schemas import ERRORS, WRITE_ERRORS
from casebridge.sla import calendars, items, policies, selectors
from casebridge.sla.schemas import (
    CalendarIn,
    CalendarOut,
    CalendarPatch,
    DeletedOut,
    ItemTargetIn,
    ItemTargetOut,
    ItemTargetPatch,
    OrderIn,
    PolicyIn,
    PolicyOut,
    PolicyPatch,
)

calendars_router = Router(tags=["sla"])
policies_router = Router(tags=["sla"])
item_targets_router = Router(tags=["sla"])


@calendars_router.get("", response={200: list[CalendarOut], **ERRORS}, summary="Calendars")
def calendar_list(request: ApiRequest) -> list[CalendarOut]:
    return [CalendarOut.of(c) for c in selectors.calendar_list_for(request.auth)]


@calendars_router.post("", response={201: CalendarOut, **WRITE_ERRORS}, summary="Add a calendar")
def calendar_create(request: ApiRequest, body: CalendarIn) -> Status[CalendarOut]:
    values = body.dict()
    slug = values.pop("slug")
    calendar = calendars.calendar_create(actor=request.auth, slug=slug, **values)
    return Status(201, CalendarOut.of(calendar))


@calendars_router.get("/{slug}", response={200: CalendarOut, **ERRORS}, summary="A calendar")
def calendar_show(request: ApiRequest, slug: str) -> CalendarOut:
    return CalendarOut.of(selectors.calendar_get_for(request.auth, slug))


@calendars_router.patch("/{slug}", response={200: CalendarOut, **WRITE_ERRORS}, summary="Change")
def calendar_update(request: ApiRequest, slug: str, body: CalendarPatch) -> CalendarOut:
    calendar = selectors.calendar_get_for(request.auth, slug)
    changes = body.dict(exclude_unset=True)
    calendar = calendars.calendar_update(actor=request.auth, calendar=calendar, changes=changes)
    return CalendarOut.of(calendar)


@calendars_router.delete("/{slug}", response={200: DeletedOut, **WRITE_ERRORS}, summary="Delete")
def calendar_delete(request: ApiRequest, slug: str) -> DeletedOut:
    calendar = selectors.calendar_get_for(request.auth, slug)
    calendars.calendar_delete(actor=request.auth, calendar=calendar)
    return DeletedOut(deleted=slug)


@policies_router.get("", response={200: list[PolicyOut], **ERRORS}, summary="Policies in order")
def policy_list(request: ApiRequest) -> list[PolicyOut]:
    return [PolicyOut.of(p) for p in selectors.policy_list_for(request.auth)]


@policies_router.post("", response={201: PolicyOut, **WRITE_ERRORS}, summary="Add a policy")
def policy_create(request: ApiRequest, body: PolicyIn) -> Status[PolicyOut]:
    values = body.dict()
    slug = values.pop("slug")
    if values.get("position") is None:
        values.pop("position")
    policy = policies.policy_create(actor=request.auth, slug=slug, **values)
    return Status(201, PolicyOut.of(policy))


@policies_router.post("/order", response={200: list[PolicyOut], **WRITE_ERRORS}, summary="Order")
def policy_order(request: ApiRequest, body: OrderIn) -> list[PolicyOut]:
    ordered = policies.policies_reorder(actor=request.auth, slugs=body.order)
    return [PolicyOut.of(p) for p in ordered]


@policies_router.get("/{slug}", response={200: PolicyOut, **ERRORS}, summary="A policy")
def policy_show(request: ApiRequest, slug: str) -> PolicyOut:
    return PolicyOut.of(selectors.policy_get_for(request.auth, slug))


@policies_router.patch("/{slug}", response={200: PolicyOut, **WRITE_ERRORS}, summary="Change")
def policy_update(request: ApiRequest, slug: str, body: PolicyPatch) -> PolicyOut:
    policy = selectors.policy_get_for(request.auth, slug)
    changes = body.dict(exclude_unset=True)
    policy = policies.policy_update(actor=request.auth, policy=policy, changes=changes)
    return PolicyOut.of(policy)


@policies_router.delete("/{slug}", response={200: DeletedOut, **WRITE_ERRORS}, summary="Delete")
def policy_delete(request: ApiRequest, slug: str) -> DeletedOut:
    policy = selectors.policy_get_for(request.auth, slug)
    policies.policy_delete(actor=request.auth, policy=policy)
    return DeletedOut(deleted=slug)


# --- /api/v1/sla-item-targets: fix targets for work items ------------------------------------


@item_targets_router.get("", response={200: list[ItemTargetOut], **ERRORS}, summary="Fix targets")
def item_target_list(request: ApiRequest) -> list[ItemTargetOut]:
    return [ItemTargetOut.of(p) for p in selectors.item_policy_list_for(request.auth)]


@item_targets_router.post(
    "", response={201: ItemTargetOut, **WRITE_ERRORS}, summary="Add a fix target"
)
def item_target_create(request: ApiRequest, body: ItemTargetIn) -> Status[ItemTargetOut]:
    values = body.dict()
    slug = values.pop("slug")
    policy = items.item_policy_create(actor=request.auth, slug=slug, **values)
    return Status(201, ItemTargetOut.of(policy))


@item_targets_router.get("/{slug}", response={200: ItemTargetOut, **ERRORS}, summary="A target")
def item_target_show(request: ApiRequest, slug: str) -> ItemTargetOut:
    return ItemTargetOut.of(selectors.item_policy_get_for(request.auth, slug))


@item_targets_router.patch(
    "/{slug}", response={200: ItemTargetOut, **WRITE_ERRORS}, summary="Change a fix target"
)
def item_target_update(request: ApiRequest, slug: str, body: ItemTargetPatch) -> ItemTargetOut:
    policy = selectors.item_policy_get_for(request.auth, slug)
    changes = body.dict(exclude_unset=True)
    policy = items.item_policy_update(actor=request.auth, policy=policy, changes=changes)
    return ItemTargetOut.of(policy)


@item_targets_router.delete(
    "/{slug}", response={200: DeletedOut, **WRITE_ERRORS}, summary="Delete a fix target"
)
def item_target_delete(request: ApiRequest, slug: str) -> DeletedOut:
    policy = selectors.item_policy_get_for(request.auth, slug)
    items.item_policy_delete(actor=request.auth, policy=policy)
    return DeletedOut(deleted=slug)
