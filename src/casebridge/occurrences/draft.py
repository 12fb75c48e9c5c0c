""" "Seen before?": what the new-case form shows while a case is typed.

Open work about the same problem comes first: the open recurring clusters it belongs to, then
the cases still being worked on (new, investigating, waiting on the reporter, escalated), then
the best of the rest, usually closed cases with how they ended. A hit is about the same problem
when it shares a distinctive log signature with the draft (see
``signatures.everyday_signatures``) or when its likeness to the draft (the similarity without
the query-relative parts and without age, ``Occurrence.likeness``) reaches
``SAME_PROBLEM_LIKENESS``. The known fixes are the credible ones (``suggestions``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from casebridge.cases.models import OPEN_STATES, Case, CaseState
from casebridge.core.actors import Actor
from casebridge.occurrences.logparse.digest import digest_text
from casebridge.occurrences.models import ClusterState, RecurringCluster
from casebridge.occurrences.selectors import Occurrence, similar_for_draft
from casebridge.occurrences.signatures import distinctive_signatures
from casebridge.occurrences.suggestions import Suggestion, fix_suggestions_for

#: Likeness from which a case is taken to be about the same problem as the draft. On the demo
#: data every pair of reports of one problem had 2.59 or more, every other pair 1.85 or less.
SAME_PROBLEM_LIKENESS = 2.5
#: Candidates looked at, so that open work ranked below closed cases is still found.
CANDIDATES = 20
#: Cases still being worked on: open, or escalated and following a work item.
OPEN_WORK = frozenset({*OPEN_STATES, CaseState.ESCALATED})
MAX_CLUSTERS = 3


@dataclass(frozen=True)
class SeenBefore:
    """What the "Seen before?" panel lists, in order."""

    clusters: list[RecurringCluster] = field(default_factory=list)
    open_cases: list[Occurrence[Case]] = field(default_factory=list)
    cases: list[Occurrence[Case]] = field(default_factory=list)
    fixes: list[Suggestion] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.clusters or self.open_cases or self.cases or self.fixes)

    def hits(self) -> list[Occurrence[Case]]:
        return [*self.open_cases, *self.cases]


def seen_before_for_draft(
    viewer: Actor,
    *,
    title: str,
    description: str = "",
    service: str = "",
    component: str = "",
    version: str = "",
    k: int = 5,
) -> SeenBefore:
    """Open clusters and open cases about the same problem first, then earlier cases (``k``
    cases in all), and the credible known fixes."""
    if viewer.is_external:
        return SeenBefore()
    signatures = frozenset(f.id for f in digest_text(description))
    found = similar_for_draft(
        viewer,
        title=title,
        description=description,
        service=service,
        component=component,
        version=version,
        signatures=signatures,
        k=CANDIDATES,
    )
    distinct = frozenset(s.pk for s in distinctive_signatures(signatures))
    same = [hit for hit in found.cases if _same_problem(hit, distinct)]
    open_cases = [hit for hit in same if hit.object.state in OPEN_WORK][:k]
    chosen = {hit.key for hit in open_cases}
    rest = [hit for hit in found.cases if hit.key not in chosen][: max(k - len(open_cases), 0)]
    return SeenBefore(
        clusters=_open_clusters(distinct, [hit.object.pk for hit in same]),
        open_cases=open_cases,
        cases=rest,
        fixes=fix_suggestions_for(viewer, signatures, found.known_resolutions, k=k),
    )


def _same_problem(hit: Occurrence[Case], distinct: frozenset[str]) -> bool:
    shares = bool(distinct.intersection(hit.reasons.shared_log_signatures))
    return shares or hit.likeness >= SAME_PROBLEM_LIKENESS


def _open_clusters(signatures: frozenset[str], case_ids: list[int]) -> list[RecurringCluster]:
    """The open clusters on one of the draft's signatures or holding a case about the same
    problem, most recent first (one query)."""
    if not signatures and not case_ids:
        return []
    about = Q(signature_id__in=sorted(signatures)) | Q(members__case_id__in=case_ids)
    clusters = (
        RecurringCluster.objects.filter(about, state=ClusterState.OPEN)
        .select_related("service", "signature")
        .distinct()
        .order_by("-last_seen", "-id")
    )
    return list(clusters[:MAX_CLUSTERS])
