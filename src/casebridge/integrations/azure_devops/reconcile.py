"""The reconcile job: missed hooks are not missed changes.

For each enabled connection: ask Azure DevOps which items changed since the watermark (WIQL on
``System.ChangedDate``, compared to the millisecond, with a minute of overlap for clocks and
in-flight saves), read the linked ones in batches of 200, apply each revision as a hook would
(``inbound.apply_remote``), then push every item whose Casebridge side changed since the last
pass, is not created yet, or failed last time. The watermark moves to the newest change date Azure
DevOps reported (its clock, not ours). 429 and ``Retry-After`` are honoured by the client, which
also slows down when the rate-limit headers say the budget runs low.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

import structlog
from django import db
from django.db.models import Q, QuerySet

from casebridge.core import clock
from casebridge.core.errors import DomainError
from casebridge.integrations.azure_devops import clients, deletions
from casebridge.integrations.azure_devops.client import AzureDevOpsClient
from casebridge.integrations.azure_devops.errors import AzureDevOpsError
from casebridge.integrations.azure_devops.inbound import apply_remote
from casebridge.integrations.azure_devops.models import (
    ConflictKind,
    Connection,
    LinkState,
    WorkItemLink,
)
from casebridge.integrations.azure_devops.sync import connection_for, push_work_item
from casebridge.workflows.engine import StateGroup
from casebridge.workitems.definitions import WORKFLOWS
from casebridge.workitems.models import WorkItem

log = structlog.get_logger("casebridge.azure_devops.reconcile")

OVERLAP = timedelta(minutes=1)


@dataclass
class Reconciled:
    connection: str
    changed: int = 0
    applied: int = 0
    conflicts: int = 0
    pushed: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)


def _types(connection: Connection) -> list[str]:
    return sorted({str(m.get("type")) for m in connection.mapping.values() if m.get("type")})


def reconcile(
    connection: Connection, *, client: AzureDevOpsClient | None = None, workers: int = 1
) -> Reconciled:
    """One pass for ``connection``; ``workers`` pushes that many items at once (the initial
    mirror of a large backlog)."""
    result = Reconciled(connection.slug)
    own = client is None
    client = client or clients.client_for(connection)
    before = client.requests
    started = clock.now()
    try:
        _pull(connection, client, result)
        _push(connection, client, result, started, workers)
    except AzureDevOpsError as exc:
        result.errors.append(exc.message)
        Connection.objects.filter(pk=connection.pk).update(last_error=exc.message[:2000])
    else:
        Connection.objects.filter(pk=connection.pk).update(last_synced_at=started, last_error="")
    finally:
        result.requests = client.requests - before
        if own:
            client.close()
    log.info("azure_devops_reconciled", **{k: v for k, v in vars(result).items() if k != "errors"})
    return result


def _pull(connection: Connection, client: AzureDevOpsClient, result: Reconciled) -> None:
    links = WorkItemLink.objects.filter(connection=connection, ado_id__isnull=False)
    since = connection.watermark
    if since is None:
        first = links.order_by("created_at").values_list("created_at", flat=True).first()
        if first is None:
            return
        since = first
    ids = client.changed_since(since - OVERLAP, types=_types(connection))
    result.changed = len(ids)
    back = _recycled(connection, client, links)
    by_id = {int(link.ado_id or 0): link for link in links.filter(ado_id__in=[*ids, *back])}
    newest = connection.watermark
    read: set[int] = set()
    for remote in client.get_many(list(by_id)):
        read.add(remote.id)
        changed = remote.changed_date
        if changed is not None and (newest is None or changed > newest):
            newest = changed
        if remote.id in back:  # restored in Azure DevOps: readable again
            deletions.settle(by_id[remote.id])
        outcome = apply_remote(by_id[remote.id], remote, client=client)
        result.applied += outcome in ("applied", "conflict")
        result.conflicts += outcome == "conflict"
    for ado_id in sorted(set(by_id) - read - set(back)):  # changed, then deleted or destroyed
        result.conflicts += deletions.gone(
            by_id[ado_id], client, how="the reconcile job could not read it"
        )
    if newest is not None and newest != connection.watermark:
        Connection.objects.filter(pk=connection.pk).update(watermark=newest)
        connection.watermark = newest


def _recycled(
    connection: Connection, client: AzureDevOpsClient, links: QuerySet[WorkItemLink]
) -> list[int]:
    """Linked items in the recycle bin get their deletion conflict (a missed hook is not a missed
    deletion); returns the ids of linked items with an open deletion conflict that are no longer
    there (restored, or destroyed): the caller reads them to tell which."""
    in_bin = set(client.deleted_ids())
    marked = set(
        links.filter(
            conflicts__resolved_at__isnull=True, conflicts__kind=ConflictKind.DELETED
        ).values_list("ado_id", flat=True)
    )
    for link in links.filter(ado_id__in=in_bin - marked):
        deletions.deleted_there(link, in_bin=True, how="found in the recycle bin")
    return sorted(int(i) for i in marked - in_bin if i)


def _push(
    connection: Connection,
    client: AzureDevOpsClient,
    result: Reconciled,
    started: object,
    workers: int = 1,
) -> None:
    mirror_new(connection)
    since = (connection.last_synced_at or started) - OVERLAP  # type: ignore[operator]
    due = WorkItemLink.objects.filter(connection=connection).filter(
        Q(work_item__updated_at__gte=since)
        | Q(state__in=[LinkState.PENDING, LinkState.ERROR])
        | Q(ado_id__isnull=True)
    )
    keys = set(due.values_list("work_item_id", flat=True))
    if connection.last_synced_at is None:
        keys |= set(
            WorkItemLink.objects.filter(connection=connection).values_list(
                "work_item_id", flat=True
            )
        )
    items = list(WorkItem.objects.filter(pk__in=keys).order_by("id"))
    if workers <= 1 or len(items) < 2 * workers:
        for item in items:
            _push_one(item, client, result)
        return
    # The initial mirror of many items: a few at once (the client's connections are shared).
    lock = threading.Lock()

    def push_some(chunk: list[WorkItem]) -> None:
        mine = Reconciled(connection.slug)
        try:
            for item in chunk:
                _push_one(item, client, mine)
        finally:
            db.connection.close()
            with lock:
                result.pushed += mine.pushed
                result.errors += mine.errors

    chunks = [items[n::workers] for n in range(workers)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(push_some, chunk) for chunk in chunks]:
            future.result()


def _push_one(item: WorkItem, client: AzureDevOpsClient, result: Reconciled) -> None:
    try:
        result.pushed += push_work_item(item, client=client)
    except AzureDevOpsError as exc:
        if exc.retryable:
            raise
        result.errors.append(f"{item.key}: {exc.message}")


def reconcile_all() -> int:
    """The worker's job: every enabled connection once; returns the changes made. A connection
    that cannot sync (its token's variable unset, ...) records why and the others go on."""
    done = 0
    for connection in Connection.objects.filter(enabled=True):
        try:
            result = reconcile(connection)
        except DomainError as exc:
            Connection.objects.filter(pk=connection.pk).update(last_error=exc.message[:2000])
            continue
        done += result.applied + result.pushed
    return done


def mirror_new(connection: Connection) -> int:
    """Start links for the open work items the connection covers that have none (the initial
    mirror, and any whose creation was lost); returns how many."""
    now = clock.now()
    made = 0
    finished = Q()
    for category, workflow in WORKFLOWS.items():
        ended = workflow.states_in(StateGroup.DONE, StateGroup.REJECTED)
        finished |= Q(category=category, status__in=ended)
    covered = WorkItem.objects.filter(azure_devops__isnull=True).exclude(finished)
    if connection.category:
        covered = covered.filter(category=connection.category)
    if connection.team_id:
        covered = covered.filter(team_id=connection.team_id)
    for item in covered.iterator():
        if connection_for(item) == connection:
            WorkItemLink.objects.get_or_create(
                work_item=item, defaults={"connection": connection, "created_at": now}
            )
            made += 1
    return made
