"""What the planning pages share: the sub-navigation and who may do what."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from casebridge.accounts.models import Role, Team, User
from casebridge.core.errors import DomainError, TransitionRefused


@dataclass(frozen=True)
class Tab:
    label: str
    url: str
    active: bool


def tabs(team: Team, active: str) -> list[Tab]:
    links = (
        ("backlog", "Backlog", reverse("sprints:backlog", args=[team.slug])),
        ("plan", "Plan next sprint", reverse("sprints:plan", args=[team.slug])),
        ("velocity", "Velocity", reverse("sprints:velocity", args=[team.slug])),
        ("flow", "Flow metrics", reverse("reporting:flow") + "?" + urlencode({"team": team.slug})),
    )
    return [Tab(label, url, key == active) for key, label, url in links]


def moves(up: int | None, down: int | None) -> list[tuple[str, int | None, str, str]]:
    """The up/down buttons of a row: the position each moves the item to (None: disabled)."""
    return [("up", up, "↑", "Alt+ArrowUp"), ("down", down, "↓", "Alt+ArrowDown")]


def neighbour_moves(ranks: list[int]) -> list[list[tuple[str, int | None, str, str]]]:
    """Moves for rows shown in one list: up takes the previous row's place, down the next's."""
    return [
        moves(ranks[i - 1] if i > 0 else None, ranks[i + 1] if i + 1 < len(ranks) else None)
        for i in range(len(ranks))
    ]


def abilities(user: User) -> dict[str, bool]:
    return {
        "can_plan": user.has_role(Role.RTE),
        "can_estimate": user.has_role(Role.RTE, Role.DEVELOPER, Role.DEVOPS),
    }


def safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def report(request: HttpRequest, exc: DomainError) -> None:
    """A refused action on a planning page: its message and every reason, above the page."""
    if isinstance(exc, TransitionRefused):
        messages.error(request, exc.message)
        return
    details = "; ".join(exc.fields.values())
    messages.error(request, f"{exc.message}: {details}" if details else exc.message)
