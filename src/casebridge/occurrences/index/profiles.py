"""What is stored per case for re-ranking (:class:`CaseProfile`), as ``Document.profile`` (JSON),
and how objects become profiles."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NotRequired, TypedDict

from casebridge.occurrences.index.text import AnalysedText, analyse_case, extract_signatures


class ProfileJson(TypedDict):
    """A :class:`CaseProfile` as stored in ``Document.profile`` (older rows may lack the
    optional keys). ``terms`` is a list in JSON; the ranking may narrow it to a set."""

    title_terms: list[str]
    terms: Collection[str]
    created_at: str
    traces: NotRequired[list[str]]
    log_signatures: NotRequired[list[str]]
    service: NotRequired[str]
    component: NotRequired[str]
    versions: NotRequired[list[str]]
    priority: NotRequired[str]
    alert_fingerprint: NotRequired[str]


@dataclass(frozen=True, slots=True)
class CaseProfile:
    """Per-case data stored at write time and read back for re-ranking.

    ``title_terms`` keeps order (for bigrams); ``terms`` holds the distinct
    terms of title, description and structured fields; ``traces`` holds the
    trace signatures of the description (``exc:...``, ``at:...``);
    ``log_signatures`` the ids of the log templates seen in the case's logs.
    """

    title_terms: tuple[str, ...]
    terms: frozenset[str]
    created_at: datetime
    traces: frozenset[str] = frozenset()
    log_signatures: frozenset[str] = frozenset()
    service: str = ""
    component: str = ""
    versions: frozenset[str] = frozenset()
    priority: str = ""
    alert_fingerprint: str = ""


def build_profile(
    title: str,
    description: str,
    created_at: datetime,
    *,
    service: str = "",
    component: str = "",
    versions: Iterable[str] = (),
    priority: str = "",
    log_signatures: Iterable[str] = (),
    alert_fingerprint: str = "",
) -> CaseProfile:
    """Analyse a case into the profile that the re-ranker compares."""
    analysed = analyse_case(title, description, (service, component))
    return CaseProfile(
        title_terms=analysed.title,
        terms=analysed.all_terms(),
        created_at=created_at,
        traces=frozenset(extract_signatures(description)),
        log_signatures=frozenset(str(s) for s in log_signatures),
        service=_norm(service),
        component=_norm(component),
        versions=frozenset(_norm(v) for v in versions if v.strip()),
        priority=_norm(priority),
        alert_fingerprint=alert_fingerprint.strip(),
    )


def _norm(value: str) -> str:
    """Case- and space-insensitive form of a structured field value."""
    return " ".join(value.lower().split())


def profile_to_json(profile: CaseProfile) -> ProfileJson:
    return {
        "title_terms": list(profile.title_terms),
        "terms": sorted(profile.terms),
        "created_at": profile.created_at.isoformat(),
        "traces": sorted(profile.traces),
        "log_signatures": sorted(profile.log_signatures),
        "service": profile.service,
        "component": profile.component,
        "versions": sorted(profile.versions),
        "priority": profile.priority,
        "alert_fingerprint": profile.alert_fingerprint,
    }


def profile_from_json(data: ProfileJson) -> CaseProfile:
    return CaseProfile(
        title_terms=tuple(data["title_terms"]),
        terms=frozenset(data["terms"]),
        created_at=datetime.fromisoformat(data["created_at"]),
        traces=frozenset(data.get("traces", ())),
        log_signatures=frozenset(data.get("log_signatures", ())),
        service=data.get("service", ""),
        component=data.get("component", ""),
        versions=frozenset(data.get("versions", ())),
        priority=data.get("priority", ""),
        alert_fingerprint=data.get("alert_fingerprint", ""),
    )


def analyse(
    title: str,
    description: str,
    created_at: datetime,
    *,
    service: str = "",
    component: str = "",
    version: str = "",
    log_signatures: frozenset[str] = frozenset(),
    alert_fingerprint: str = "",
) -> tuple[AnalysedText, CaseProfile]:
    """The analysed columns for the full-text index and the profile for the re-ranker."""
    analysed = analyse_case(title, description, (service, component))
    profile = CaseProfile(
        title_terms=analysed.title,
        terms=analysed.all_terms(),
        created_at=created_at,
        traces=frozenset(extract_signatures(description)),
        log_signatures=log_signatures,
        service=_norm(service),
        component=_norm(component),
        versions=frozenset({_norm(version)} if version.strip() else set()),
        alert_fingerprint=alert_fingerprint.strip(),
    )
    return analysed, profile
