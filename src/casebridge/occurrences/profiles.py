"""Profiles as stored in ``Document.profile`` (JSON), and how objects become profiles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from casebridge.occurrences.ranking import CaseProfile
from casebridge.occurrences.text import AnalysedText, analyse_case, extract_signatures


def profile_to_json(profile: CaseProfile) -> dict[str, Any]:
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


def profile_from_json(data: dict[str, Any]) -> CaseProfile:
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


def _norm(value: str) -> str:
    return " ".join(value.lower().split())


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
