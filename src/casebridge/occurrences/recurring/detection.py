"""Detection of recurring clusters: by shared log signature, and by near-duplicate likeness."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Q

from casebridge.accounts.models import user_or_none
from casebridge.audit.actions import AuditAction
from casebridge.audit.services import audit_record
from casebridge.cases.models import Case
from casebridge.core import clock, keys
from casebridge.core.actors import SYSTEM, Actor
from casebridge.occurrences.logparse.digest import LEVEL_RANK
from casebridge.occurrences.models import (
    NEAR_DUPLICATE_SCORE,
    ClusterBasis,
    ClusterMember,
    ClusterState,
    Document,
    DocumentKind,
    IndexState,
    NearDuplicate,
    RecurringCluster,
    RecurringPolicy,
    Signature,
    SignatureSighting,
)
from casebridge.occurrences.selectors import similar_for_case
from casebridge.occurrences.services import STATS
from casebridge.occurrences.signatures import everyday_signatures
from casebridge.workitems.models import WorkItem

#: Pairs kept per case (its best earlier near-duplicates) and the lowest score kept, so that an
#: admin may lower the threshold later without recomputing.
NEAR_PAIRS_PER_CASE = 5
NEAR_PAIR_FLOOR = 1.0
NEAR_CURSOR = "near_duplicates"
CLUSTER_PREFIX = "RC"
ACTORS = ("l2_engineer", "admin")


@dataclass(frozen=True)
class Policy:
    min_cases: int = 3
    window_days: int = 14
    near_duplicate_score: float = NEAR_DUPLICATE_SCORE

    @property
    def window(self) -> timedelta:
        return timedelta(days=self.window_days)


def recurring_policy() -> Policy:
    row = RecurringPolicy.objects.filter(name="default").first()
    if row is None:
        return Policy()
    return Policy(max(row.min_cases, 2), max(row.window_days, 1), row.near_duplicate_score)


# --- detection ----------------------------------------------------------------------------------


def recurring_detect(*, now: datetime | None = None) -> int:
    """Create or grow the clusters of the current window; returns how many changed."""
    policy = recurring_policy()
    now = now or clock.now()
    since = now - policy.window
    recurring = (
        SignatureSighting.objects.filter(
            notable=True,
            last_seen__gte=since,  # a log is seen when its case is reported or later: an index
            case__created_at__gte=since,
            case__created_at__lte=now,
        )
        .values("signature_id", "signature__level")
        .annotate(n=Count("case_id", distinct=True))
        .filter(n__gte=policy.min_cases)
    )
    rows = list(recurring)
    everyday = everyday_signatures(row["signature_id"] for row in rows)
    # Errors first, then the widest: a warning that accompanies the error is not a cluster of
    # its own when the error's cluster already holds its cases.
    ranked = sorted(
        (row for row in rows if row["signature_id"] not in everyday),
        key=lambda r: (-LEVEL_RANK.get(r["signature__level"], 0), -r["n"], r["signature_id"]),
    )
    changed = _retire_everyday_clusters()
    changed += sum(_signature_cluster(row["signature_id"], policy, since, now) for row in ranked)
    return changed + _near_duplicate_clusters(policy, since, now)


def recurring_detect_for_case(*, case: Case, now: datetime | None = None) -> int:
    """Detection limited to the signatures of one case (after its logs were parsed)."""
    policy = recurring_policy()
    now = now or clock.now()
    rows = SignatureSighting.objects.filter(case_id=case.pk, notable=True).values_list(
        "signature_id", "signature__level"
    )
    everyday = everyday_signatures(sig for sig, _ in rows)
    ranked = sorted(rows, key=lambda r: (-LEVEL_RANK.get(r[1], 0), r[0]))
    ids = [sig for sig, _ in ranked if sig not in everyday]
    return sum(_signature_cluster(sig, policy, now - policy.window, now) for sig in ids)


def _retire_everyday_clusters() -> int:
    """Dismiss the open clusters whose signature turned out to be an everyday line (seen in most
    services, or only at INFO/DEBUG level): such a cluster says nothing about one problem.
    Dismissed by the system, with the reason in the audit trail; returns how many."""
    open_ids = RecurringCluster.objects.filter(
        state=ClusterState.OPEN, basis=ClusterBasis.SIGNATURE
    ).values_list("signature_id", flat=True)
    everyday = everyday_signatures(sig for sig in open_ids if sig)
    retired = 0
    for signature_id, why in sorted(everyday.items()):
        with transaction.atomic():
            cluster = _open_cluster_locked(signature_id)
            if cluster is None:
                continue
            reason = f"Not a recurring problem: an everyday log line ({why})."
            cluster_decide(cluster, SYSTEM, ClusterState.DISMISSED, None, {"reason": reason})
            retired += 1
    return retired


def cluster_decide(
    cluster: RecurringCluster,
    actor: Actor,
    state: str,
    work_item: WorkItem | None,
    data: Mapping[str, object],
) -> None:
    """Record a decision on a cluster (linked or dismissed) with its audit event: the one code
    path of a cluster's state. The caller holds the cluster's row lock."""
    old = cluster.state
    cluster.state = state
    cluster.work_item = work_item
    cluster.decided_by = user_or_none(actor)
    cluster.decided_at = clock.now()
    cluster.updated_at = cluster.decided_at
    cluster.save()
    audit_record(
        actor=actor,
        subject=cluster,
        action=state,
        field="state",
        old=old,
        new=state,
        reason=str(data.get("reason", "")),
        data={name: value for name, value in data.items() if name != "reason"},
    )


def _decided(filters: Q) -> tuple[set[int], datetime | None]:
    """Members of decided clusters matching ``filters``, and the latest decision."""
    decided = RecurringCluster.objects.filter(filters).exclude(state=ClusterState.OPEN)
    members = set(
        ClusterMember.objects.filter(cluster__in=decided).values_list("case_id", flat=True)
    )
    latest = max((c.decided_at for c in decided if c.decided_at), default=None)
    return members, latest


def _signature_cluster(signature_id: str, policy: Policy, since: datetime, now: datetime) -> int:
    excluded, decided_at = _decided(Q(signature_id=signature_id))
    start = max(since, decided_at) if decided_at else since
    rows = (
        SignatureSighting.objects.filter(
            signature_id=signature_id,
            notable=True,
            case__created_at__gte=start,
            case__created_at__lte=now,
        )
        .exclude(case_id__in=excluded)
        .values_list("case_id", "case__created_at", "case__service_id")
    )
    cases = {case_id: (at, service) for case_id, at, service in rows}
    if len(cases) < policy.min_cases:
        return 0
    with transaction.atomic():
        cluster = _open_cluster_locked(signature_id)
        if cluster is None:
            if _covered(set(cases)):
                return 0  # another signature of the same cases already made them a cluster
            template = Signature.objects.get(pk=signature_id).template
            cluster = _new_cluster(ClusterBasis.SIGNATURE, template, now, signature_id)
        return _grow(cluster, cases, now)


def _open_cluster_locked(signature_id: str) -> RecurringCluster | None:
    """The open cluster of a signature, its row locked until the transaction ends."""
    return (
        RecurringCluster.objects.select_for_update()
        .filter(signature_id=signature_id, state=ClusterState.OPEN)
        .first()
    )


def _new_cluster(
    basis: str, title: str, now: datetime, signature_id: str | None = None
) -> RecurringCluster:
    key, number = keys.next_key(CLUSTER_PREFIX)
    return RecurringCluster(
        key=key,
        number=number,
        basis=basis,
        signature_id=signature_id,
        title=" ".join(title.split())[:200] or key,
        first_seen=now,
        last_seen=now,
        created_at=now,
        updated_at=now,
    )


def _grow(
    cluster: RecurringCluster, cases: Mapping[int, tuple[datetime, int | None]], now: datetime
) -> int:
    """Add the cases that are not members yet; returns 1 if the cluster changed."""
    created = cluster.pk is None
    if created:
        cluster.save()
    have = set(ClusterMember.objects.filter(cluster=cluster).values_list("case_id", flat=True))
    added = sorted(set(cases) - have)
    if not added:
        return 0
    ClusterMember.objects.bulk_create(
        ClusterMember(cluster=cluster, case_id=case_id, added_at=now) for case_id in added
    )
    times = [at for at, _ in cases.values()]
    services = Counter(service for _, service in cases.values() if service)
    cluster.size = len(have) + len(added)
    cluster.first_seen = min([*times, cluster.first_seen] if not created else times)
    cluster.last_seen = max([*times, cluster.last_seen] if not created else times)
    cluster.service_id = services.most_common(1)[0][0] if services else None
    cluster.updated_at = now
    cluster.save()
    audit_record(
        actor=SYSTEM,
        subject=cluster,
        action=AuditAction.DETECTED if created else "grown",
        new=str(cluster.size),
        data={"added": added, "basis": cluster.basis},
    )
    return 1


# --- near-duplicates ----------------------------------------------------------------------------


def near_duplicates_refresh(*, batch: int = 50) -> int:
    """Record each new case's best earlier near-duplicates (once its terms are counted).

    Only cases reported within the policy's window are looked at: older ones cannot be in a
    cluster any more, so a large history (an import, the first run) costs nothing. Small
    batches keep the worker's loop responsive; the next run goes on where this one stopped.
    """
    counted = IndexState.objects.filter(name=STATS).values_list("counted_through", flat=True)
    through = next(iter(counted), 0)
    state, _ = IndexState.objects.get_or_create(name=NEAR_CURSOR)
    pending = Document.objects.filter(
        kind=DocumentKind.CASE, id__gt=state.counted_through, id__lte=through
    ).order_by("id")
    since = clock.now() - recurring_policy().window
    docs = list(pending.filter(created_at__gte=since).values_list("id", "object_id")[:batch])
    if not docs:
        # Nothing recent to look at: move the cursor past what was skipped as too old.
        skipped = pending.values_list("id", flat=True).last()
        if skipped is not None:
            IndexState.objects.filter(name=NEAR_CURSOR).update(counted_through=skipped)
        return 0
    cases = Case.objects.select_related("service", "component").in_bulk([o for _, o in docs])
    pairs = []
    for _, object_id in docs:
        case = cases.get(object_id)
        if case is None:
            continue
        found = similar_for_case(SYSTEM, case, k=NEAR_PAIRS_PER_CASE)
        pairs += [
            NearDuplicate(case_id=case.pk, other_id=hit.object.pk, score=hit.likeness)
            for hit in found.cases
            if hit.likeness >= NEAR_PAIR_FLOOR
        ]
    with transaction.atomic():
        NearDuplicate.objects.bulk_create(pairs, ignore_conflicts=True)
        IndexState.objects.filter(name=NEAR_CURSOR).update(
            counted_through=docs[-1][0], documents=state.documents + len(docs)
        )
    return len(docs)


def _components(edges: Iterable[tuple[int, int]]) -> list[set[int]]:
    parent: dict[int, int] = {}

    def root(node: int) -> int:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in edges:
        parent[root(a)] = root(b)
    groups: dict[int, set[int]] = {}
    for node in list(parent):
        groups.setdefault(root(node), set()).add(node)
    return list(groups.values())


def _near_duplicate_clusters(policy: Policy, since: datetime, now: datetime) -> int:
    basis = Q(basis=ClusterBasis.NEAR_DUPLICATE)
    excluded, _ = _decided(basis)
    window = Q(case__created_at__gte=since, case__created_at__lte=now)
    window &= Q(other__created_at__gte=since, other__created_at__lte=now)
    edges = (
        NearDuplicate.objects.filter(window, score__gte=policy.near_duplicate_score)
        .exclude(case_id__in=excluded)
        .exclude(other_id__in=excluded)
        .values_list("case_id", "other_id")
    )
    changed = 0
    for group in _components(edges):
        if len(group) < policy.min_cases or _covered(group, ClusterBasis.SIGNATURE):
            continue
        rows = Case.objects.filter(pk__in=group).values_list("pk", "created_at", "service_id")
        cases = {pk: (at, service) for pk, at, service in rows}
        with transaction.atomic():
            open_ids = (
                ClusterMember.objects.filter(case_id__in=group, cluster__state=ClusterState.OPEN)
                .filter(cluster__basis=ClusterBasis.NEAR_DUPLICATE)
                .values_list("cluster_id", flat=True)
            )
            cluster = (
                RecurringCluster.objects.select_for_update()
                .filter(pk__in=list(open_ids))
                .order_by("id")
                .first()
            )
            if cluster is None:
                oldest = min(cases, key=lambda pk: (cases[pk][0], pk))
                title = Case.objects.values_list("title", flat=True).get(pk=oldest)
                cluster = _new_cluster(ClusterBasis.NEAR_DUPLICATE, title, now)
            changed += _grow(cluster, cases, now)
    return changed


def _covered(group: set[int], basis: str = "") -> bool:
    """Whether one open cluster (of ``basis``, if given) already holds every case of the group."""
    members = ClusterMember.objects.filter(case_id__in=group, cluster__state=ClusterState.OPEN)
    if basis:
        members = members.filter(cluster__basis=basis)
    held = members.values("cluster_id").annotate(n=Count("case_id")).filter(n__gte=len(group))
    return held.exists()
