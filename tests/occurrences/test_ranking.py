"""Tests of the previous-occurrence re-ranker (no Django, no database)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from casebridge.occurrences.index.profiles import CaseProfile, build_profile
from casebridge.occurrences.index.ranking import (
    DEFAULT_WEIGHTS,
    FEATURE_NAMES,
    PRIOR_FEATURES,
    Candidate,
    Features,
    SimilarityWeights,
    best_scores,
    compute_features,
    explain,
    prepare_query,
    rank,
    shared_terms,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TRACE = """java.lang.IllegalStateException: queue closed
    at org.example.ingest.QueueWorker.poll(QueueWorker.java:88)"""


def profile(
    title: str,
    description: str = "",
    *,
    days_ago: float = 0.0,
    versions: Sequence[str] = (),
    **fields: str,
) -> CaseProfile:
    """A profile created ``days_ago`` before NOW."""
    created_at = NOW - timedelta(days=days_ago)
    return build_profile(title, description, created_at, versions=versions, **fields)


def unit_idf(*profiles: CaseProfile) -> dict[str, float]:
    """IDF 1.0 for every term of the given profiles."""
    return {term: 1.0 for p in profiles for term in p.terms}


def features_of(query: CaseProfile, other: CaseProfile, idf: dict[str, float]) -> Features:
    return compute_features(prepare_query(query, idf), Candidate(1, other, 2.0, 1.0), (4.0, 1.0))


def test_build_profile_normalises_fields_and_extracts_traces() -> None:
    p = build_profile(
        "Ingest stalls",
        TRACE,
        NOW,
        service=" Ingest  API ",
        component="Queue",
        versions=["3.3.5", " "],
        priority="Major",
        log_signatures=["L17"],
        alert_fingerprint=" fp-1 ",
    )
    assert p.title_terms == ("ingest", "stall")
    assert p.traces == {"exc:illegalstateexception", "at:queueworker.poll"}
    assert (p.service, p.component, p.priority, p.alert_fingerprint) == (
        "ingest api",
        "queue",
        "major",
        "fp-1",
    )
    assert p.versions == {"3.3.5"}
    assert p.log_signatures == {"L17"}
    assert {"ingest", "api", "queueworker", "illegalstateexception"} <= p.terms


def test_text_features_on_known_sets() -> None:
    query = profile("disk quota exceeded on upload", "users see quota error")
    other = profile("upload fails: quota exceeded error", "disk full")
    idf = unit_idf(query) | {"quota": 3.0}
    f = features_of(query, other, idf)
    # query title terms: disk quota exceeded upload (masses 1+3+1+1 = 6)
    assert f.title == pytest.approx((3 + 1 + 1) / 6)  # quota, exceeded, upload
    assert f.title_any == pytest.approx(1.0)  # disk is in the other body
    assert f.reverse == pytest.approx(4 / 5)  # all but "fail" occur in the query
    assert f.bigram == pytest.approx(1 / 3)  # (quota, exceeded)
    assert f.fts == pytest.approx(0.5)
    assert f.fts_title == pytest.approx(1.0)


def test_overlap_is_idf_weighted_share_of_query_terms() -> None:
    query = profile("alpha beta", "gamma")
    other = profile("alpha", "delta")
    f = features_of(query, other, {"alpha": 2.0, "beta": 1.0, "gamma": 1.0})
    assert f.overlap == pytest.approx(2.0 / 4.0)


def test_trace_and_log_signature_jaccard() -> None:
    query = build_profile("x", TRACE, NOW, log_signatures=["L1", "L2"])
    other = build_profile("y", "java.lang.IllegalStateException: boom", NOW, log_signatures=["L2"])
    f = features_of(query, other, unit_idf(query))
    assert f.trace == pytest.approx(1 / 2)
    assert f.log_signature == pytest.approx(1 / 2)


def test_context_features_only_count_fields_both_cases_have() -> None:
    query = profile("x", service="billing", component="", priority="high", alert_fingerprint="a")
    same = profile(
        "y", service="Billing", component="worker", priority="high", alert_fingerprint="a"
    )
    other = profile("z", service="search", priority="low", alert_fingerprint="b")
    f_same = features_of(query, same, {})
    f_other = features_of(query, other, {})
    assert (f_same.service, f_same.alert, f_same.priority) == (1.0, 1.0, 1.0)
    assert (f_other.service, f_other.alert, f_other.priority) == (0.0, 0.0, 0.0)


def test_version_and_age_features() -> None:
    query = profile("x", versions=["3.3.1", "3.4.0"])
    older = profile("y", days_ago=9.0, versions=["3.4.0"])
    f = features_of(query, older, {})
    assert f.version == 1.0
    assert f.age == pytest.approx(math.log1p(9.0))


def test_empty_profiles_give_zero_features_not_errors() -> None:
    f = compute_features(
        prepare_query(profile(""), {}), Candidate(1, profile(""), 0.0), best_scores([])
    )
    assert all(value == 0.0 for value in f)


def test_best_scores() -> None:
    p = profile("x")
    assert best_scores([Candidate(1, p, 3.0, 0.0), Candidate(2, p, 1.0, 2.0)]) == (3.0, 2.0)


def test_weights_score_is_the_dot_product_in_feature_order() -> None:
    weights = SimilarityWeights(**dict.fromkeys(FEATURE_NAMES, 0.0) | {"title": 2.0, "age": -1.0})
    values = Features(*([0.5] * len(FEATURE_NAMES)))
    assert weights.vector()[FEATURE_NAMES.index("title")] == 2.0
    assert weights.score(values) == pytest.approx(0.5 * 2.0 - 0.5)


def test_prior_features_are_features_and_default_weights_are_sane() -> None:
    assert PRIOR_FEATURES.issubset(FEATURE_NAMES)
    assert DEFAULT_WEIGHTS.age < 0
    assert all(getattr(DEFAULT_WEIGHTS, n) >= 0 for n in FEATURE_NAMES if n != "age")


def test_rank_puts_the_near_duplicate_first_and_limits() -> None:
    query = profile("Kafka consumer lag alert on orders topic", TRACE, service="orders")
    duplicate = profile("Consumer lag on orders topic", TRACE, days_ago=3, service="orders")
    unrelated = profile("Password reset email not sent", "smtp timeout", days_ago=1)
    other_lag = profile("Disk latency alert", "lag on disks", days_ago=2)
    idf = unit_idf(query)
    candidates = [
        Candidate(10, unrelated, 1.0),
        Candidate(11, duplicate, 5.0),
        Candidate(12, other_lag, 2.0),
    ]
    hits = rank(query, candidates, idf, limit=2)
    assert [h.case_id for h in hits] == [11, 12]
    assert hits[0].score > hits[1].score
    assert hits[0].reasons.same_service
    assert hits[0].reasons.shared_traces == ("at:queueworker.poll", "exc:illegalstateexception")


def test_rank_prefers_the_recent_case_when_all_else_is_equal() -> None:
    query = profile("cache eviction storm")
    old = profile("cache eviction storm", days_ago=400)
    recent = profile("cache eviction storm", days_ago=2)
    candidates = [Candidate(1, old, 1.0), Candidate(2, recent, 0.9)]
    assert [h.case_id for h in rank(query, candidates, unit_idf(query))] == [2, 1]
    no_age = replace(DEFAULT_WEIGHTS, age=0.0)
    assert [h.case_id for h in rank(query, candidates, unit_idf(query), no_age)] == [1, 2]


def test_rank_ties_go_to_the_newer_case() -> None:
    query = profile("a")
    weights = SimilarityWeights(**dict.fromkeys(FEATURE_NAMES, 0.0))
    first = profile("b", days_ago=5)
    second = profile("c", days_ago=1)
    hits = rank(query, [Candidate(1, first, 1.0), Candidate(2, second, 1.0)], {}, weights)
    assert [h.case_id for h in hits] == [2, 1]


def test_shared_terms_title_first_by_idf_without_repeating_parts() -> None:
    query = profile("JavaKeyStoreProvider rename fails", "keystore on hdfs")
    other = profile("JavaKeyStoreProvider cannot rename", "hdfs keystore")
    idf = unit_idf(query) | {"javakeystoreprovider": 5.0, "hdfs": 4.0, "keystore": 3.0}
    terms = shared_terms(query, other, idf)
    assert terms[0] == "javakeystoreprovider"
    assert "java" not in terms  # contained in the whole identifier
    assert terms.index("rename") < terms.index("hdfs")  # title terms first
    assert len(shared_terms(query, other, idf, limit=2)) == 2


def test_explain_reports_facts_only_when_they_hold() -> None:
    query = profile(
        "x", service="billing", component="api", versions=["1.0"], alert_fingerprint="f"
    )
    other = replace(query, created_at=NOW - timedelta(days=1))
    stranger = profile("y", service="search", versions=["2.0"])
    reasons = explain(query, other, {})
    assert (reasons.same_service, reasons.same_component) == (True, True)
    assert (reasons.same_alert, reasons.same_version) == (True, True)
    assert explain(query, stranger, {}) == explain(profile("z"), profile("w"), {})
