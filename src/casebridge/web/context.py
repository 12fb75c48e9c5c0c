"""The navigation and the signed-in user's badge, per role, for every page."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse

from casebridge.accounts.models import Role, User
from casebridge.reporting.tables import REPORT_ROLES
from casebridge.workitems.navigation import work_item_links

#: Roles that may open cases from the internal pages (see cases.services.INTAKE_ROLES).
INTERNAL_INTAKE = (Role.L1_AGENT, Role.L2_ENGINEER, Role.ADMIN)
#: Who sees Planning (sprints, planner, boards, velocity, flow) in the menu.
PLANNERS = (Role.RTE, Role.PRODUCT_MANAGER, Role.DEVELOPER)


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    active: bool


def _items(user: User, path: str) -> list[NavItem]:
    if user.is_external:
        links = [("Portal", reverse("portal:home")), ("New case", reverse("portal:new"))]
    else:
        links = [("Queue", reverse("cases:queue"))]
        if user.has_role(*INTERNAL_INTAKE):
            links.append(("New case", reverse("cases:new")))
        links.append(("Knowledge", reverse("knowledge:list")))
        links += work_item_links(user)
        if user.has_role(*PLANNERS):
            links.append(("Planning", reverse("sprints:index")))
        links.append(("Incidents", reverse("incidents:list")))
        if user.has_role(*REPORT_ROLES):
            links.append(("Support KPIs", reverse("reporting:support")))
        if user.has_role(Role.ADMIN):
            links.append(("Settings", reverse("administration:index")))
    # The longest matching prefix is the active one ("/cases/new/" is not "Queue").
    best = max((url for _, url in links if path.startswith(url)), key=len, default="")
    return [NavItem(label, url, url == best) for label, url in links]


def role_summary(user: User) -> str:
    """``L2 engineer`` or ``Developer · L3``: what the person is, in a few words."""
    labels = [Role(role).label for role in sorted(user.roles) if role in Role.values]
    text = ", ".join(labels) or "No role"
    return f"{text} · {user.level}" if user.level else text


def navigation(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return {"nav_items": [], "viewer_roles": ""}
    return {
        "nav_items": _items(user, request.path),
        "viewer_roles": role_summary(user),
        "viewer_is_external": user.is_external,
    }
