"""Casebridge -> Azure DevOps: create the work item, then keep it as Casebridge has it.

``push_work_item(item)`` is what the outbox calls after a change committed (a new work item, a
transition, an escalation to it). It is idempotent: it sends only the fields whose value differs
from what both sides last agreed on (``link.synced``), so running it twice writes nothing the
second time.

* The first push creates the item (``POST .../workitems/$Bug``, JSON Patch) with the title, the
  description (environment, version, log excerpt and a link back folded in), the steps to
  reproduce with expected and actual results, priority and severity once triaged, area and
  iteration paths, the tags ``Casebridge`` and the item's key, hyperlinks to the work item and its
  cases, and the cases' log files as attachments (links to them when too large). Before creating
  again after a failure that may have happened after Azure DevOps made it, it looks for an item
  tagged with the key first (a create is never sent twice for one item).
* Later pushes PATCH the changed fields with ``test /rev`` first. When someone changed the item
  meanwhile (412 from Services, 409 from Server) it is re-read, their change applied here
  (``inbound.apply_remote``: through the workflow engine, or a sync conflict), and our remaining
  changes sent again against the new revision.
* Fields held by an open sync conflict are not pushed until the RTE resolves it.
"""

from __future__ import annotations

from collections.abc import Mapping

import structlog
from django.conf import settings
from django.db import transaction
from django.urls import reverse

from casebridge.cases.models import Attachment
from casebridge.core import clock
from casebridge.integrations.azure_devops import clients, deletions, values
from casebridge.integrations.azure_devops.client import AzureDevOpsClient
from casebridge.integrations.azure_devops.errors import (
    AzureDevOpsError,
    Conflict,
    Invalid,
    NotFound,
    RateLimited,
)
from casebridge.integrations.azure_devops.inbound import apply_remote
from casebridge.integrations.azure_devops.models import (
    Connection,
    LinkState,
    SyncConflict,
    WorkItemLink,
)
from casebridge.integrations.azure_devops.wire import (
    PatchOp,
    attached_file,
    hyperlink,
    set_field,
)
from casebridge.integrations.azure_devops.wire import (
    WorkItem as Remote,
)
from casebridge.workitems.models import WorkItem

log = structlog.get_logger("casebridge.azure_devops.sync")

PUSH_TOPIC = "azure_devops.push"
CREATING = "_creating"
UNKNOWN = "_unknown_people"
OWN_REVS_KEPT = 50
MAX_ATTACHMENT_BYTES = 4 * 1024 * 1024


def connection_for(item: WorkItem) -> Connection | None:
    """The most specific enabled connection of the item's team and category."""
    found = Connection.objects.filter(enabled=True)
    candidates = [(item.team_id, item.category), (item.team_id, "")] if item.team_id else []
    for team_id, category in [*candidates, (None, item.category), (None, "")]:
        scoped = found.filter(category=category)
        scoped = scoped.filter(team_id=team_id) if team_id else scoped.filter(team__isnull=True)
        match = scoped.first()
        if match is not None and item.category in match.mapping:
            return match
    return None


def link_for(item: WorkItem, *, create: bool = True) -> WorkItemLink | None:
    link = WorkItemLink.objects.select_related("connection").filter(work_item=item).first()
    if link is not None or not create:
        return link
    connection = connection_for(item)
    if connection is None:
        return None
    link, _ = WorkItemLink.objects.get_or_create(
        work_item=item, defaults={"connection": connection, "created_at": clock.now()}
    )
    return link


def held_fields(link: WorkItemLink) -> set[str]:
    """Fields an open conflict holds: not pushed until it is resolved."""
    held: set[str] = set()
    for theirs in link.conflicts.filter(resolved_at__isnull=True).values_list("theirs", flat=True):
        held |= set(theirs or {})
    return held


def remember(link: WorkItemLink, remote: Remote, sent: Mapping[str, object], *, own: bool) -> None:
    """The remote's new revision is known, and ``sent`` is agreed (keys of ours only)."""
    link.synced = {k: v for k, v in link.synced.items() if k != CREATING} | dict(sent)
    link.rev = max(link.rev, remote.rev)
    if own:
        link.own_revs = [*link.own_revs, remote.rev][-OWN_REVS_KEPT:]
    link.url = link.url or html_url(link, remote)
    link.iteration_path = str(remote.fields.get("System.IterationPath") or link.iteration_path)[
        :400
    ]
    link.assigned_to = values.assigned_to(remote)[:200]
    link.synced_at = clock.now()
    if link.state in (LinkState.PENDING, LinkState.ERROR):
        link.state = LinkState.SYNCED
    link.last_error = ""


def html_url(link: WorkItemLink, remote: Remote) -> str:
    base = link.connection.organization_url
    return f"{base}/{link.connection.project}/_workitems/edit/{remote.id}"


def _save(link: WorkItemLink) -> None:
    link.save()


def _changes(link: WorkItemLink, mine: Mapping[str, object], held: set[str]) -> dict[str, object]:
    unknown = set(link.synced.get(UNKNOWN, []))
    return {
        k: v
        for k, v in mine.items()
        if k not in held
        and link.synced.get(k, _UNSET) != v
        and not (k in values.IDENTITY_FIELDS and v in unknown)
    }


_UNSET = object()


def _ops(changes: Mapping[str, object]) -> list[PatchOp]:
    ops = []
    for name, value in changes.items():
        if name in values.IDENTITY_FIELDS and not value:
            ops.append(PatchOp("remove", f"/fields/{name}"))
        else:
            ops.append(set_field(name, value))
    return ops


def _case_links(item: WorkItem) -> list[PatchOp]:
    ops = [hyperlink(values.item_url(item), f"Casebridge {item.key}")]
    for case in item.cases.all().order_by("id"):
        url = str(settings.BASE_URL) + reverse("cases:detail", args=[case.key])
        ops.append(hyperlink(url, f"Casebridge case {case.key}"))
    return ops


def _attachments(client: AzureDevOpsClient, item: WorkItem) -> list[PatchOp]:
    """The linked cases' log files: uploaded when small enough, else a link to them."""
    ops = []
    logs = Attachment.objects.filter(case__work_item=item, is_log=True).select_related("case")
    for attachment in logs.order_by("id"):
        if attachment.size <= MAX_ATTACHMENT_BYTES:
            with attachment.file.open("rb") as handle:
                uploaded = client.attach(attachment.filename, handle.read())
            ops.append(attached_file(uploaded.url, f"Log from {attachment.case.key}"))
        else:
            url = str(settings.BASE_URL) + reverse("cases:detail", args=[attachment.case.key])
            ops.append(hyperlink(url, f"Log {attachment.filename} (on {attachment.case.key})"))
    return ops


def _find_created(client: AzureDevOpsClient, item: WorkItem) -> Remote | None:
    ids = client.query(
        "SELECT [System.Id] FROM WorkItems WHERE "  # noqa: S608 - WIQL, the key is [A-Z0-9-]
        f"[System.TeamProject] = '{client.project.replace(chr(39), chr(39) * 2)}' "
        f"AND [System.Tags] CONTAINS '{item.key}'"
    )
    return client.get(ids[0]) if ids else None


def _create(client: AzureDevOpsClient, link: WorkItemLink, item: WorkItem) -> Remote:
    connection = link.connection
    if link.synced.get(CREATING):
        found = _find_created(client, item)
        if found is not None:
            return found
    WorkItemLink.objects.filter(pk=link.pk).update(synced={CREATING: True})
    link.synced = {CREATING: True}
    mine = values.ours(item, connection)
    mine.pop(values.STATE)
    ops = _ops({k: v for k, v in mine.items() if v != ""})
    if "System.IterationPath" not in mine:  # in no sprint: the connection's iteration
        ops.append(set_field("System.IterationPath", connection.iteration_path))
    ops += [
        set_field("System.AreaPath", connection.area_path),
        set_field("System.Tags", f"Casebridge; {item.key}"),
        *_case_links(item),
        *_attachments(client, item),
    ]
    type_name = str(values.category_mapping(connection, item.category)["type"])
    return client.create(type_name, ops)


def push_work_item(item: WorkItem, *, client: AzureDevOpsClient | None = None) -> int:
    """Bring the Azure DevOps item up to Casebridge's values; returns the writes made (0 when it
    already agreed, or when no connection covers the item)."""
    link = link_for(item)
    if link is None or not link.connection.enabled:
        return 0
    own = client is None
    client = client or clients.client_for(link.connection)
    try:
        return _push(client, link, item)
    except AzureDevOpsError as exc:
        WorkItemLink.objects.filter(pk=link.pk).update(
            state=LinkState.ERROR, last_error=exc.message[:2000]
        )
        raise
    finally:
        if own:
            client.close()


def _push(client: AzureDevOpsClient, link: WorkItemLink, item: WorkItem) -> int:
    writes = 0
    if link.ado_id is None:
        remote = _create(client, link, item)
        writes += 1
        with transaction.atomic():
            link.ado_id = remote.id
            keys = set(values.ours(item, link.connection))
            sent = values.theirs(remote, keys | values.two_way(link.connection, item.category))
            remember(link, remote, sent, own=True)
            _save(link)
    item = WorkItem.objects.get(pk=item.pk)
    for _attempt in range(3):
        held = held_fields(link)
        if deletions.is_held(held):  # deleted there: nothing is pushed until the RTE decides
            return writes
        mine = values.ours(item, link.connection)
        changes = _changes(link, mine, held)
        if not changes:
            return writes
        try:
            remote = client.update(link.ado_id, _ops(changes), expected_rev=link.rev)
        except Conflict:
            _merge_theirs(client, link)
            item = WorkItem.objects.get(pk=item.pk)
            link.refresh_from_db()
            continue
        except NotFound:
            deletions.gone(link, client, how="a change could not be written to it")
            return writes
        except Invalid:
            people = {k: v for k, v in changes.items() if k in values.IDENTITY_FIELDS}
            if not people:
                raise
            # Azure DevOps does not know the assignee: send the rest, and say so.
            remote = client.update(
                link.ado_id,
                _ops({k: v for k, v in changes.items() if k not in people}),
                expected_rev=link.rev,
            )
        writes += 1
        agreed = values.theirs(remote, changes)
        unknown = {
            k: v for k, v in changes.items() if k in values.IDENTITY_FIELDS and agreed[k] != v
        }
        with transaction.atomic():
            remember(link, remote, agreed, own=True)
            if unknown:  # not sent again until Casebridge assigns someone else
                who = [str(v) for v in unknown.values()]
                link.synced = {**link.synced, UNKNOWN: [*link.synced.get(UNKNOWN, []), *who]}
                link.last_error = f"Azure DevOps does not know {', '.join(who)}: assign there."
            _save(link)
    raise RateLimited(
        f"Azure DevOps #{link.ado_id} kept changing while Casebridge wrote to it", retry_after=5
    )


def _merge_theirs(client: AzureDevOpsClient, link: WorkItemLink) -> None:
    assert link.ado_id is not None
    apply_remote(link, client.get(link.ado_id), client=client)


CASES = "_cases"


def add_case_link(item: WorkItem, case_key: str) -> int:
    """A case escalated to an already linked item: a hyperlink to it on the Azure DevOps item,
    once (the case keys sent are kept with the link)."""
    link = link_for(item, create=False)
    if link is None or link.ado_id is None or case_key in link.synced.get(CASES, []):
        return 0
    if deletions.is_held(held_fields(link)):
        return 0
    url = str(settings.BASE_URL) + reverse("cases:detail", args=[case_key])
    with clients.client_for(link.connection) as client:
        for _attempt in range(3):
            try:
                remote = client.update(
                    link.ado_id,
                    [hyperlink(url, f"Casebridge case {case_key}")],
                    expected_rev=link.rev,
                )
            except Conflict:
                _merge_theirs(client, link)
                link.refresh_from_db()
                continue
            except NotFound:
                deletions.gone(link, client, how="a case link could not be added to it")
                return 0
            with transaction.atomic():
                remember(link, remote, {}, own=True)
                link.synced = {**link.synced, CASES: [*link.synced.get(CASES, []), case_key]}
                _save(link)
            return 1
    raise RateLimited(f"Azure DevOps #{link.ado_id} kept changing", retry_after=5)


def push_key(key: str) -> int:
    item = WorkItem.objects.filter(key=key).first()
    return push_work_item(item) if item is not None else 0


def open_conflicts(link: WorkItemLink) -> list[SyncConflict]:
    return list(link.conflicts.filter(resolved_at__isnull=True))
