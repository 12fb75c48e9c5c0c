"""What the service hook door checks about a connection's hooks, beyond their shape: that they come
from the connection's project (a subscription pointed at the wrong URL is refused, not stored)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from casebridge.integrations.azure_devops import deletions
from casebridge.integrations.azure_devops.client import AzureDevOpsClient
from casebridge.integrations.azure_devops.comments import pull_comments
from casebridge.integrations.azure_devops.inbound import apply_remote
from casebridge.integrations.azure_devops.models import Connection, WorkItemLink
from casebridge.integrations.azure_devops.sync import push_work_item
from casebridge.integrations.azure_devops.wire import Identity, as_int, as_json
from casebridge.integrations.azure_devops.wire import WorkItem as Remote
from casebridge.integrations.delivery.models import DeliverySource, InboundEvent
from casebridge.integrations.delivery.outcomes import Ignored


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


class ClientSource(Protocol):
    """Where a batch of hooks gets the client of a connection (one per connection)."""

    def for_connection(self, connection: Connection) -> AzureDevOpsClient: ...


def process_work_item_hook(
    event: InboundEvent, data: Mapping[str, object], clients: ClientSource
) -> str:
    """Apply a stored work item hook of a connection (see ``inbound.apply_remote``)."""

    connection = Connection.objects.filter(hook_source=event.source).first()
    if connection is None or not connection.enabled:
        raise Ignored("The connection of this door is disabled or gone.")
    resource = as_json(data.get("resource"))
    revision = (
        as_json(resource.get("revision")) if event.event_type == "workitem.updated" else resource
    )
    item_id = as_int(resource.get("workItemId") or resource.get("id"))
    link = (
        WorkItemLink.objects.select_related("connection", "work_item")
        .filter(connection=connection, ado_id=item_id)
        .first()
    )
    if link is None:
        raise Ignored(f"Azure DevOps #{item_id} is not linked to a Casebridge work item.")
    if event.event_type == "workitem.deleted":
        by = Identity.from_ref(as_json(resource.get("fields")).get("System.ChangedBy"))
        recorded = deletions.deleted_there(link, in_bin=True, by=by, how="service hook")
        return f"#{item_id} deleted in Azure DevOps" + ("" if recorded else " (known)")
    client = clients.for_connection(connection)
    remote = Remote.from_json({**revision, "id": item_id})
    if event.event_type == "workitem.commented" and remote.rev <= link.rev:
        pull_comments(link, client, remote)
        return "comments"
    outcome = apply_remote(link, remote, client=client)
    pushed = push_work_item(link.work_item, client=client) if outcome != "stale" else 0
    return f"{outcome}, {pushed} written back" if pushed else outcome
