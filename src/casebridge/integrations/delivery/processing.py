"""Processing stored deliveries: what the doors stored, acted on by the worker.

``process_pending()`` takes a batch of pending ``InboundEvent`` rows, oldest first, and marks each
``done``, ``ignored`` (nothing to do, with why) or, after ``MAX_ATTEMPTS``, ``failed`` with the
error; an Azure DevOps outage leaves the event pending for the next pass. Running it twice is
safe: every effect checks what is already there.

* Azure DevOps work item hooks (``integrations.azure_devops.inbound``): the revision the hook
  carries is applied through the workflow engine, or becomes a sync conflict; our own echoes are
  recognised; comments are copied to the cases; then Casebridge's values are pushed back where
  Azure DevOps differs in a field Casebridge keeps.
* Deployments (Azure Pipelines, GitHub ``deployment_status``, generic events): see
  ``deployments.py``.
* Pull requests (Azure Repos, GitHub ``pull_request`` and ``pull_request_review``): see
  ``pulls.py``.
"""

from __future__ import annotations

import json
from contextlib import ExitStack

import structlog
from django.db import transaction

from casebridge.core import clock
from casebridge.core.retention import delete_in_batches, retention_cutoff
from casebridge.integrations.azure_devops.client import AzureDevOpsClient
from casebridge.integrations.azure_devops.clients import client_for
from casebridge.integrations.azure_devops.errors import AzureDevOpsError
from casebridge.integrations.azure_devops.hooks import process_work_item_hook
from casebridge.integrations.azure_devops.models import Connection
from casebridge.integrations.delivery import deployments, pulls
from casebridge.integrations.delivery.models import EventState, InboundEvent, SourceKind
from casebridge.integrations.delivery.outcomes import Ignored

log = structlog.get_logger("casebridge.delivery")

MAX_ATTEMPTS = 5


class Clients:
    """One Azure DevOps client per connection for a batch, closed after it."""

    def __init__(self, stack: ExitStack) -> None:
        self.stack = stack
        self._made: dict[int, AzureDevOpsClient] = {}

    def for_connection(self, connection: Connection) -> AzureDevOpsClient:

        if connection.pk not in self._made:
            self._made[connection.pk] = self.stack.enter_context(client_for(connection))
        return self._made[connection.pk]


def process_event(event: InboundEvent, clients: Clients) -> str:
    """Act on one stored delivery; returns a note of what happened (empty when nothing)."""
    data = json.loads(event.body)
    kind = event.source.kind
    if kind == SourceKind.AZURE_DEVOPS:
        return process_work_item_hook(event, data, clients)

    if event.event_type.startswith("deployment") or event.event_type.startswith("ms.vss-"):
        return deployments.process(event, data)
    return pulls.process(event, data)


def process_pending(*, limit: int = 100) -> int:
    """Process up to ``limit`` pending deliveries; returns how many were settled (done, ignored
    or failed)."""

    pending = list(
        InboundEvent.objects.select_related("source")
        .filter(state=EventState.PENDING)
        .order_by("id")[:limit]
    )
    settled = 0
    with ExitStack() as stack:
        clients = Clients(stack)
        for event in pending:
            state, note = EventState.DONE, ""
            try:
                note = process_event(event, clients)
            except Ignored as why:
                state, note = EventState.IGNORED, str(why)
            except AzureDevOpsError as exc:
                note = exc.message
                state = EventState.FAILED if not exc.retryable else EventState.PENDING
            except Exception as exc:
                log.exception("delivery_processing_failed", event=event.pk)
                state, note = EventState.PENDING, f"{type(exc).__name__}: {exc}"
            attempts = event.attempts + 1
            if state == EventState.PENDING and attempts >= MAX_ATTEMPTS:
                state = EventState.FAILED
            with transaction.atomic():
                InboundEvent.objects.filter(pk=event.pk).update(
                    state=state,
                    attempts=attempts,
                    error=note[:2000],
                    processed_at=clock.now() if state != EventState.PENDING else None,
                )
            settled += state != EventState.PENDING
    return settled


def events_prune() -> int:
    """Remove processed deliveries (hooks, deployments, pull requests) older than the retention;
    failed ones stay until an administrator retries or discards them."""
    cutoff = retention_cutoff()
    if cutoff is None:
        return 0
    return delete_in_batches(
        InboundEvent.objects.filter(
            state__in=[EventState.DONE, EventState.IGNORED], processed_at__lt=cutoff
        )
    )
