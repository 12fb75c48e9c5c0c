"""The log evidence behind a work item: the log files attached to its cases and the signatures
parsed from them (and from the log lines pasted into the cases and their escalations).

Development sees what the escalation gate demanded without opening each case: the work item's
API output and page link to every log file and signature, in two queries whatever their number.
It reads cases and the occurrence index, so it sits in ``occurrences`` (above both); the work
item's page and API call it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Case as DbCase
from django.db.models import Value, When

from casebridge.cases.models import Attachment
from casebridge.core.actors import Actor
from casebridge.occurrences.logparse.digest import LEVEL_RANK
from casebridge.occurrences.models import SignatureSighting
from casebridge.workitems.models import WorkItem

#: At most this many signatures are listed (notable ones first, errors before warnings).
SIGNATURE_LIMIT = 30
#: A signature's level as a number (errors first), from the occurrences' own ranking.
_SEVERITY = DbCase(
    *(When(signature__level=level, then=Value(rank)) for level, rank in LEVEL_RANK.items()),
    default=Value(0),
)


@dataclass
class LogSignature:
    id: str
    template: str
    level: str
    notable: bool
    lines: int
    cases: list[str]


@dataclass(frozen=True)
class Evidence:
    files: list[Attachment]  # with their case
    signatures: list[LogSignature]


def evidence_for(viewer: Actor, item: WorkItem) -> Evidence:
    """The log files and signatures of the cases that follow ``item``, as far as the viewer may
    see them (work items are internal: customers never reach one)."""
    files = Attachment.objects.filter(case__work_item=item, is_log=True)
    if viewer.is_external:
        files = files.filter(internal=False)
    rows = files.select_related("case").order_by("created_at", "id")
    sightings = (
        SignatureSighting.objects.filter(case__work_item=item)
        .select_related("signature", "case")
        .annotate(severity=_SEVERITY)
        .order_by("-notable", "-severity", "-lines", "signature_id", "case_id")
    )
    return Evidence(
        files=list(rows),
        signatures=_by_signature(sightings[: SIGNATURE_LIMIT * 10]),
    )


def _by_signature(sightings: Iterable[SignatureSighting]) -> list[LogSignature]:
    found: dict[str, LogSignature] = {}
    for s in sightings:
        row = found.get(s.signature_id)
        if row is None:
            if len(found) == SIGNATURE_LIMIT:
                continue
            row = found[s.signature_id] = LogSignature(
                s.signature_id, s.signature.template, s.signature.level, s.notable, 0, []
            )
        row.lines += s.lines
        row.notable = row.notable or s.notable
        row.cases.append(s.case.key)
    return list(found.values())
