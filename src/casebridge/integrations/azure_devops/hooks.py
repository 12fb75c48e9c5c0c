"""What the service hook door checks about a connection's hooks, beyond their shape: that they come
from the connection's project (a subscription pointed at the wrong URL is refused, not stored)."""

from __future__ import annotations

from collections.abc import Mapping

from casebridge.integrations.azure_devops.models import Connection
from casebridge.integrations.delivery.models import DeliverySource


def hook_project_check(source: DeliverySource, data: Mapping[str, object]) -> dict[str, str]:
    containers = data.get("resourceContainers")
    project = containers.get("project") if isinstance(containers, Mapping) else None
    given = project.get("id") if isinstance(project, Mapping) else None
    if not given:
        return {}
    expected = Connection.objects.filter(hook_source=source).values_list("project_id", flat=True)
    wanted = next(iter(expected), "")
    if wanted and str(given).lower() != wanted.lower():
        return {
            "resourceContainers.project.id": "This hook is from another project than the "
            "connection's: point the subscription of that project at its own connection."
        }
    return {}
