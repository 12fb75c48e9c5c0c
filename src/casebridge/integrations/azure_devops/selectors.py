"""Every read of Azure DevOps connections a request makes: administrators only. Pages answer 404
to anyone else (the page does not exist for them); the API answers 403 on the lists, 404 on an
object, as the monitoring integrations do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Q, QuerySet

from casebridge.accounts.models import Role, Team
from casebridge.core.actors import Actor
from casebridge.core.errors import NotFound, PermissionDenied, ValidationFailed
from casebridge.integrations.azure_devops.models import Connection
from casebridge.integrations.delivery.models import EventState


def is_admin(viewer: Actor) -> bool:
    return bool(viewer is not None and viewer.has_role(Role.ADMIN))


def _admin(viewer: Actor) -> None:
    if not is_admin(viewer):
        raise PermissionDenied("Only administrators manage Azure DevOps connections")


def connection_list_for(viewer: Actor) -> QuerySet[Connection]:
    _admin(viewer)
    return Connection.objects.select_related("team", "hook_source").order_by("name")


def connection_get_for(viewer: Actor, slug: str) -> Connection:
    if not is_admin(viewer):
        raise NotFound(f"No Azure DevOps connection '{slug}'")
    found = connection_list_for(viewer).filter(slug=slug).first()
    if found is None:
        raise NotFound(
            f"No Azure DevOps connection '{slug}'",
            fields={"connection": f"No connection '{slug}'."},
        )
    return found


@dataclass(frozen=True)
class ConnectionStatus:
    connection: Connection
    pending_hooks: int
    failed_hooks: int
    last_hook_at: datetime | None


def connection_status_for(viewer: Actor, slug: str) -> ConnectionStatus:
    """The connection with what its service hook door holds: one aggregate query."""
    connection = connection_get_for(viewer, slug)
    counts = connection.hook_source.events.aggregate(
        pending=Count("id", filter=Q(state=EventState.PENDING)),
        failed=Count("id", filter=Q(state=EventState.FAILED)),
        last=Max("received_at"),
    )
    return ConnectionStatus(connection, counts["pending"], counts["failed"], counts["last"])


def team_by_slug(slug: str, *, field: str = "team") -> Team | None:
    """The team a connection is for; ``""`` is none (every team)."""
    if not slug:
        return None
    team = Team.objects.filter(slug=slug).first()
    if team is None:
        raise ValidationFailed(f"No team '{slug}'", fields={field: f"No team '{slug}'."})
    return team
