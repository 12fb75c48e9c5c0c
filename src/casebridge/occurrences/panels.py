"""What the occurrence panels show: the case page's workbench (the panel beside a case) and the
service page.

``workbench_for`` gathers the suggested known fixes (``suggestions``: what the log signatures
point to first, then credible text matches, each with why), the earlier cases and work items
with their scores and reasons, the case's log signatures and the parsing progress of its logs,
the cases marked related, and the recurring clusters the case belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from casebridge.cases.models import OPEN_STATES, Case
from casebridge.cases.selectors import CaseFilters, case_list_for
from casebridge.catalog.models import Service
from casebridge.core import clock
from casebridge.core.actors import Actor
from casebridge.occurrences.logparse.digest import LEVEL_RANK
from casebridge.occurrences.models import (
    CaseLink,
    ClusterMember,
    LogSource,
    RecurringCluster,
    Signature,
)
from casebridge.occurrences.recurring import cluster_list_for, recurring_policy
from casebridge.occurrences.recurring.detection import Policy
from casebridge.occurrences.selectors import Occurrences, similar_for_case
from casebridge.occurrences.signatures import (
    SignatureRow,
    case_signatures_for,
    log_sources_for,
    service_signatures_for,
    signature_ids_for_case,
)
from casebridge.occurrences.suggestions import Suggestion, fix_suggestions_for


@dataclass(frozen=True)
class Workbench:
    similar: Occurrences
    suggestions: list[Suggestion]
    signatures: list[SignatureRow]
    sources: list[LogSource]
    related: list[Case]
    clusters: list[RecurringCluster]
    texts: dict[str, str] = field(default_factory=dict)  # signature id -> template

    @property
    def previous_count(self) -> int:
        return len(self.similar.cases) + len(self.similar.work_items)

    @property
    def parsing(self) -> bool:
        return any(s.active for s in self.sources)


def suggestions_for(
    viewer: Actor,
    case: Case,
    similar: Occurrences,
    signatures: list[SignatureRow] | None = None,
    *,
    k: int = 5,
) -> list[Suggestion]:
    """The credible known fixes for a case: those its log signatures point to (carried by the
    fix, or seen in earlier cases the fix resolved), then those whose text is alike enough.
    ``signatures``: the case's signature rows, if already read (their notable ones count)."""
    if viewer.is_external:
        return []
    ids = (
        signature_ids_for_case(case)
        if signatures is None
        else frozenset(row.signature.pk for row in signatures if row.notable)
    )
    return fix_suggestions_for(viewer, ids, similar.known_resolutions, k=k, exclude_case=case.pk)


def related_for(viewer: Actor, case: Case) -> list[Case]:
    """The cases marked related to this one (those the viewer may see)."""
    if viewer.is_external:
        return []
    links = CaseLink.objects.filter(case_a_id=case.pk).values_list("case_b_id", flat=True)
    back = CaseLink.objects.filter(case_b_id=case.pk).values_list("case_a_id", flat=True)
    ids = [*links, *back]
    return list(case_list_for(viewer).filter(pk__in=ids).order_by("created_at"))


def clusters_of(viewer: Actor, case: Case) -> list[RecurringCluster]:
    if viewer.is_external:
        return []
    members = ClusterMember.objects.filter(case_id=case.pk).select_related(
        "cluster", "cluster__work_item", "cluster__signature"
    )
    return [m.cluster for m in members.order_by("-cluster__last_seen")]


def signature_texts(found: Occurrences) -> dict[str, str]:
    """The templates of the signatures the hits share, errors first (the order chips use)."""
    hits = [*found.cases, *found.work_items, *found.known_resolutions]
    shared = {sig for hit in hits for sig in hit.reasons.shared_log_signatures}
    rows = Signature.objects.filter(pk__in=shared).values_list("id", "template", "level")
    ranked = sorted(rows, key=lambda r: (-LEVEL_RANK.get(r[2], 0), r[0]))
    return {sig: template for sig, template, _ in ranked}


def workbench_for(viewer: Actor, case: Case, *, k: int = 5) -> Workbench:
    similar = similar_for_case(viewer, case, k=k)
    texts = signature_texts(similar)
    signatures = case_signatures_for(viewer, case)
    return Workbench(
        similar=similar,
        suggestions=suggestions_for(viewer, case, similar, signatures, k=k),
        signatures=signatures,
        sources=log_sources_for(viewer, case),
        related=related_for(viewer, case),
        clusters=clusters_of(viewer, case),
        texts=texts,
    )


@dataclass(frozen=True)
class ServiceOverview:
    service: Service
    clusters: list[RecurringCluster]
    signatures: list[SignatureRow]
    recent: list[Case]
    open_count: int
    window_count: int
    policy: Policy


def service_overview_for(viewer: Actor, service: Service) -> ServiceOverview:
    """A service's recurring clusters, top error signatures, recent and open cases."""
    cases = case_list_for(viewer, CaseFilters(service=service.slug, sort="newest"))
    policy = recurring_policy()
    return ServiceOverview(
        service=service,
        clusters=cluster_list_for(viewer, state="", service=service, limit=10),
        signatures=service_signatures_for(viewer, service),
        recent=list(cases[:15]),
        open_count=cases.filter(state__in=OPEN_STATES).count(),
        window_count=cases.filter(created_at__gte=clock.now() - policy.window).count(),
        policy=policy,
    )
