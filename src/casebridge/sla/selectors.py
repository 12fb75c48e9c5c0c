"""Every read of SLA configuration and clocks a request makes. Each one knows the viewer."""

from __future__ import annotations

from django.db.models import QuerySet

from casebridge.cases.models import Case
from casebridge.core.actors import Actor
from casebridge.core.errors import NotFound, PermissionDenied
from casebridge.sla.models import Calendar, Clock, ItemPolicy, Policy


def _require_staff(viewer: Actor) -> None:
    if viewer is None or not getattr(viewer, "is_authenticated", False) or viewer.is_external:
        raise PermissionDenied("SLA calendars and policies are for support staff")


def calendar_list_for(viewer: Actor) -> QuerySet[Calendar]:
    _require_staff(viewer)
    return Calendar.objects.order_by("name")


def calendar_get_for(viewer: Actor, slug: str) -> Calendar:
    found = calendar_list_for(viewer).filter(slug=slug).first()
    if found is None:
        raise NotFound(f"No calendar {slug}")
    return found


def policy_list_for(viewer: Actor) -> QuerySet[Policy]:
    _require_staff(viewer)
    return Policy.objects.select_related("calendar", "lead").order_by("position", "id")


def policy_get_for(viewer: Actor, slug: str) -> Policy:
    found = policy_list_for(viewer).filter(slug=slug).first()
    if found is None:
        raise NotFound(f"No policy {slug}")
    return found


def clocks_for(viewer: Actor, case: Case) -> list[Clock]:
    """The case's clocks (the caller already checked that the viewer may see the case).
    Customers see them only when the policy says so, and never the internals (see the page)."""
    clocks = list(Clock.objects.filter(case=case).select_related("policy"))
    if viewer.is_external:
        return [c for c in clocks if c.policy is not None and c.policy.customer_visible]
    return clocks


def item_policy_list_for(viewer: Actor) -> QuerySet[ItemPolicy]:
    """The work items' fix targets in order (staff read them)."""
    _require_staff(viewer)
    return ItemPolicy.objects.select_related("calendar", "lead").order_by("position", "id")


def item_policy_get_for(viewer: Actor, slug: str) -> ItemPolicy:
    found = item_policy_list_for(viewer).filter(slug=slug).first()
    if found is None:
        raise NotFound(f"No fix target {slug}")
    return found
