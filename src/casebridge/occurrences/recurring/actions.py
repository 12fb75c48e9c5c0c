"""One action on a whole cluster, audited in one transaction: link every case to a work item,
create a bug and link the rest, propose an improvement, or dismiss it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction

from casebridge.cases.escalation import missing_reasons
from casebridge.cases.models import OPEN_STATES, Case
from casebridge.cases.services import case_transition
from casebridge.core.actors import Actor
from casebridge.core.errors import PermissionDenied, Reason, TransitionRefused
from casebridge.occurrences.models import (
    ClusterState,
    RecurringCluster,
)
from casebridge.occurrences.recurring.detection import ACTORS, cluster_decide
from casebridge.workitems.models import WorkItem
from casebridge.workitems.services import work_item_create

# --- actions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkOutcome:
    cluster: RecurringCluster
    work_item: WorkItem
    linked: list[str]
    skipped: list[str]


def _require_l2(actor: Actor) -> None:
    if actor.is_external or not actor.has_role(*ACTORS):
        raise PermissionDenied("Only L2 engineers act on recurring clusters")


def _locked_open(cluster: RecurringCluster) -> RecurringCluster:
    locked = RecurringCluster.objects.select_for_update().get(pk=cluster.pk)
    if locked.state != ClusterState.OPEN:
        raise TransitionRefused(
            "cluster", [Reason("state", f"{locked.key} is already {locked.get_state_display()}")]
        )
    return locked


def _members(cluster: RecurringCluster) -> list[Case]:
    return list(Case.objects.filter(recurring_clusters=cluster).order_by("created_at", "id"))


def _link_cases(actor: Actor, cases: list[Case], item: WorkItem) -> tuple[list[str], list[str]]:
    linked, skipped = [], []
    for case in cases:
        if case.work_item_id == item.pk:
            linked.append(case.key)
        elif case.state in OPEN_STATES:
            case_transition(actor=actor, case=case, action="escalate", data={"work_item": item.key})
            linked.append(case.key)
        else:
            skipped.append(case.key)
    return linked, skipped


@transaction.atomic
def recurring_link_all(*, actor: Actor, cluster: RecurringCluster, work_item: str) -> LinkOutcome:
    """Escalate every open case of the cluster to one existing work item."""
    _require_l2(actor)
    cluster = _locked_open(cluster)
    item = WorkItem.objects.filter(key=work_item.strip().upper()).first()
    if item is None:
        raise TransitionRefused(
            "link_all", [Reason("not_found", f"No work item {work_item}", "work_item")]
        )
    linked, skipped = _link_cases(actor, _members(cluster), item)
    outcome = {"linked": linked, "skipped": skipped}
    cluster_decide(cluster, actor, ClusterState.LINKED, item, outcome)
    return LinkOutcome(cluster, item, linked, skipped)


@transaction.atomic
def recurring_create_bug(
    *, actor: Actor, cluster: RecurringCluster, title: str, docs: Mapping[str, object]
) -> LinkOutcome:
    """Escalate the oldest open case as a new bug (through the escalation gate), then link
    every other open case of the cluster to it."""
    _require_l2(actor)
    cluster = _locked_open(cluster)
    cases = _members(cluster)
    open_cases = [c for c in cases if c.state in OPEN_STATES]
    if not open_cases:
        raise TransitionRefused(
            "create_bug", [Reason("no_open_case", "No case of the cluster is still open")]
        )
    anchor = case_transition(
        actor=actor,
        case=open_cases[0],
        action="escalate",
        data={"category": "bug", "title": title or cluster.title, "docs": dict(docs)},
    )
    item = anchor.work_item
    assert item is not None  # escalating links the case to its new work item
    linked, skipped = _link_cases(actor, _members(cluster), item)
    outcome = {"linked": linked, "skipped": skipped}
    cluster_decide(cluster, actor, ClusterState.LINKED, item, outcome)
    return LinkOutcome(cluster, item, linked, skipped)


@transaction.atomic
def recurring_propose_improvement(
    *, actor: Actor, cluster: RecurringCluster, title: str, docs: Mapping[str, object]
) -> LinkOutcome:
    """Propose an improvement work item from the cluster (rationale, benefit, area required,
    as the escalation gate asks of improvements). The cases stay where they are."""
    _require_l2(actor)
    cluster = _locked_open(cluster)
    cases = _members(cluster)
    reasons = missing_reasons(cases[0], "improvement", docs) if cases else []
    if len(title.strip()) < 3:
        reasons.append(Reason("required", "Give the improvement a title", "title"))
    if reasons:
        raise TransitionRefused("propose_improvement", reasons)
    item = work_item_create(
        actor=actor,
        category="improvement",
        title=title,
        docs=dict(docs),
        service=cluster.service,
    )
    keys_ = [c.key for c in cases]
    outcome = {"improvement": item.key, "cases": keys_}
    cluster_decide(cluster, actor, ClusterState.LINKED, item, outcome)
    return LinkOutcome(cluster, item, [], keys_)


@transaction.atomic
def recurring_dismiss(*, actor: Actor, cluster: RecurringCluster, reason: str) -> RecurringCluster:
    """Not a recurring problem (noise, expected warnings): its cases will not cluster again."""
    _require_l2(actor)
    cluster = _locked_open(cluster)
    if not reason.strip():
        raise TransitionRefused(
            "dismiss", [Reason("required", "Say why the cluster is not a problem", "reason")]
        )
    cluster_decide(cluster, actor, ClusterState.DISMISSED, None, {"reason": reason.strip()})
    return cluster
