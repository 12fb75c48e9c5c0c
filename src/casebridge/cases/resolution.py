"""The checks of resolving a case by hand: which resolutions exist and what each one needs."""

from __future__ import annotations

from collections.abc import Iterator

from casebridge.cases.models import Case, Resolution
from casebridge.core.errors import Reason
from casebridge.knowledge.models import KnownResolution
from casebridge.workflows.engine import Context


def known_resolution_by_key(key: object) -> KnownResolution | None:
    return KnownResolution.objects.filter(key=str(key).upper()).first() if key else None


def case_by_key(key: object) -> Case | None:
    return Case.objects.filter(key=str(key).upper()).first() if key else None


def check_resolution(ctx: Context[Case]) -> Iterator[Reason]:
    data, case = ctx.data, ctx.subject
    resolution = data.get("resolution")
    if ctx.preview or not resolution:
        return
    if resolution == Resolution.FIXED:
        yield Reason(
            "resolution", "A case is resolved as fixed by its work item, not by hand", "resolution"
        )
    elif resolution == Resolution.INCIDENT:
        yield Reason(
            "resolution",
            "A case is resolved with its incident when the incident is resolved, not by hand",
            "resolution",
        )
    elif resolution not in Resolution.values:
        choices = "known_fix, no_fault or duplicate"
        yield Reason(
            "resolution", f"Unknown resolution '{resolution}'; use {choices}", "resolution"
        )
    elif resolution == Resolution.KNOWN_FIX:
        if not data.get("known_resolution"):
            yield Reason("required", "Name the known resolution applied", "known_resolution")
        elif known_resolution_by_key(data["known_resolution"]) is None:
            yield Reason(
                "not_found",
                f"No known resolution {data['known_resolution']}",
                "known_resolution",
            )
        if not str(data.get("action_taken") or "").strip():
            yield Reason("required", "Say what was done to apply the fix", "action_taken")
    elif resolution == Resolution.DUPLICATE:
        yield from _check_duplicate(case, data.get("duplicate_of"))
    elif resolution == Resolution.NO_FAULT and not str(data.get("note") or "").strip():
        yield Reason("required", "Explain why there is no fault", "note")


def _check_duplicate(case: Case, key: object) -> Iterator[Reason]:
    if not key:
        yield Reason("required", "Name the case this one duplicates", "duplicate_of")
        return
    original = case_by_key(key)
    if original is None:
        yield Reason("not_found", f"No case {key}", "duplicate_of")
    elif original.pk == case.pk:
        yield Reason("invalid", "A case cannot duplicate itself", "duplicate_of")
    elif original.duplicate_of_id == case.pk:
        yield Reason(
            "invalid", f"{original.key} is already a duplicate of this case", "duplicate_of"
        )
