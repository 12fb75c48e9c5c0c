"""Known fixes to suggest for a case or a draft, each with the evidence that makes it credible.

A fix is suggested on the evidence of the logs first: it carries one of the log signatures of the
case, or it was applied to earlier cases whose logs showed one of them (the fix that resolved
the same error before). Only signatures that tell a problem apart count
(``signatures.everyday_signatures``): a line every service logs is evidence of nothing. Then
come the fixes whose text is alike, but only when they are alike in absolute terms: their
likeness (the similarity score without the parts relative to the query's other candidates and
without age, see ``Occurrence.likeness``) reaches ``CREDIBLE_FIX_LIKENESS``. A known fix does not
age like a case, and the best text candidate of any query scores high, so neither the score nor
its sign says whether the fix is about this problem.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Count

from casebridge.cases.models import Resolution
from casebridge.core.actors import Actor
from casebridge.knowledge.models import KnownResolution
from casebridge.knowledge.selectors import known_resolution_list_for
from casebridge.occurrences.index.ranking import Reasons
from casebridge.occurrences.logparse.digest import LEVEL_RANK
from casebridge.occurrences.models import Signature, SignatureSighting
from casebridge.occurrences.selectors import Occurrence
from casebridge.occurrences.signatures import distinctive_signatures

#: The likeness from which a known fix found by its text alone is offered. On the demo data
#: every right text match scored 1.80 or more and every wrong one 1.29 or less.
CREDIBLE_FIX_LIKENESS = 1.5


@dataclass(frozen=True)
class Suggestion:
    """A known fix suggested for a case, and why: the log signatures that link it to the case
    (it carries them, or it fixed earlier cases that showed them), or the text."""

    fix: KnownResolution
    signatures: list[Signature] = field(default_factory=list)
    cases: int = 0  # earlier cases with one of ``signatures`` resolved with this fix
    reasons: Reasons | None = None
    score: float | None = None  # likeness of the text, when the text found it

    @property
    def by_signature(self) -> bool:
        return bool(self.signatures)


@dataclass
class _Evidence:
    signatures: set[str] = field(default_factory=set)
    cases: int = 0


def _signature_evidence(
    signature_ids: Iterable[str], exclude_case: int | None
) -> tuple[dict[int, _Evidence], dict[str, Signature]]:
    """Per known fix: the distinctive signatures among ``signature_ids`` it carries or that were
    seen in the cases it resolved, and how many such cases; and those signatures by id. Grouped
    queries, bounded by the number of fixes and signatures, whatever the number of cases."""
    distinct = {s.pk: s for s in distinctive_signatures(signature_ids)}
    if not distinct:
        return {}, {}
    found: dict[int, _Evidence] = {}
    carried = Signature.known_resolutions.through.objects.filter(signature_id__in=list(distinct))
    for fix_id, sig_id in carried.values_list("knownresolution_id", "signature_id"):
        found.setdefault(fix_id, _Evidence()).signatures.add(sig_id)
    fixed = SignatureSighting.objects.filter(
        signature_id__in=list(distinct),
        notable=True,
        case__resolution=Resolution.KNOWN_FIX,
        case__known_resolution__isnull=False,
    )
    if exclude_case is not None:
        fixed = fixed.exclude(case_id=exclude_case)
    pairs = fixed.values_list("case__known_resolution_id", "signature_id").distinct()
    for fix_id, sig_id in pairs:
        found.setdefault(fix_id, _Evidence()).signatures.add(sig_id)
    if any(found.values()):
        counts = fixed.values("case__known_resolution_id").annotate(
            n=Count("case_id", distinct=True)
        )
        for row in counts:
            found[row["case__known_resolution_id"]].cases = row["n"]
    return found, distinct


def fix_suggestions_for(
    viewer: Actor,
    signature_ids: Iterable[str],
    text_hits: Sequence[Occurrence[KnownResolution]],
    *,
    k: int = 5,
    exclude_case: int | None = None,
) -> list[Suggestion]:
    """The credible known fixes, best first: those the logs point to (most shared signatures,
    then most earlier cases fixed, then the text), then those whose text is alike enough.

    ``text_hits`` are the known resolutions of the similarity selector; ``exclude_case`` is the
    case the suggestions are for (its own resolution is no evidence).
    """
    if viewer.is_external:
        return []
    evidence, templates = _signature_evidence(signature_ids, exclude_case)
    text = {hit.object.pk: hit for hit in text_hits if hit.likeness >= CREDIBLE_FIX_LIKENESS}
    fixes = {hit.object.pk: hit.object for hit in text_hits}  # loaded for the viewer already
    missing = [pk for pk in evidence if pk not in fixes]
    if missing:
        fixes.update(known_resolution_list_for(viewer).in_bulk(missing))

    def by_logs(pk: int) -> tuple[int, int, float, int]:
        hit = text.get(pk)
        return (-len(evidence[pk].signatures), -evidence[pk].cases, -_likeness(hit), pk)

    found = [
        Suggestion(
            fixes[pk],
            _most_severe_first(templates[s] for s in evidence[pk].signatures if s in templates),
            evidence[pk].cases,
            text[pk].reasons if pk in text else None,
            text[pk].likeness if pk in text else None,
        )
        for pk in sorted(evidence, key=by_logs)
        if pk in fixes
    ]
    alike = sorted((pk for pk in text if pk not in evidence and pk in fixes), key=_by_text(text))
    found += [Suggestion(fixes[pk], [], 0, text[pk].reasons, text[pk].likeness) for pk in alike]
    return found[:k]


def _likeness(hit: Occurrence[KnownResolution] | None) -> float:
    return hit.likeness if hit is not None else 0.0


def _by_text(text: dict[int, Occurrence[KnownResolution]]) -> Callable[[int], tuple[float, int]]:
    return lambda pk: (-text[pk].likeness, pk)


def _most_severe_first(signatures: Iterable[Signature]) -> list[Signature]:
    return sorted(signatures, key=lambda s: (-LEVEL_RANK.get(s.level, 0), s.pk))
