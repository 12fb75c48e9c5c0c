"""Tests of the shared text analysis (no Django, no database)."""

from __future__ import annotations

import sqlite3

import pytest

from casebridge.occurrences.index.text import (
    FTS5_TOKENIZE,
    analyse,
    analyse_case,
    extract_signatures,
    fts5_match_expression,
    idf,
    select_query_terms,
    stem,
    tsquery_expression,
    tsvector_literal,
)


def test_camel_case_identifier_keeps_whole_and_parts() -> None:
    assert analyse("JavaKeyStoreProvider") == [
        "javakeystoreprovider",
        "java",
        "key",
        "store",
        "provider",
    ]


def test_acronym_boundaries_are_split() -> None:
    assert analyse("HTTPServerError") == ["httpservererror", "http", "server", "error"]


def test_snake_case_identifier_keeps_whole_and_parts() -> None:
    assert analyse("max_retry_count") == ["max_retry_count", "max", "retry", "count"]


def test_dotted_name_keeps_whole_name_and_members() -> None:
    terms = analyse("org.apache.fs.FileSystem#renameOrFail")
    assert terms[0] == "org.apache.fs.filesystem.renameorfail"
    assert {"filesystem", "file", "system", "renameorfail", "rename", "fail"} <= set(terms)


def test_hyphenated_key_keeps_whole_form() -> None:
    assert analyse("CVE-2019-20444")[:1] == ["cve-2019-20444"]
    assert "dfs.namenode.rpc-address" in analyse("set dfs.namenode.rpc-address")


def test_path_is_split_into_segments_without_whole_path() -> None:
    assert analyse("/var/log/service/worker.log") == ["var", "log", "service", "worker", "log"]


def test_version_is_one_term_with_release_suffix_dropped() -> None:
    assert analyse("netty 4.1.46.Final and v3.3.5") == ["netty", "4.1.46", "3.3.5"]


def test_line_numbers_after_colon_are_not_glued_to_the_file() -> None:
    assert analyse("Client.java:1234") == ["client.java", "client", "java", "1234"]


@pytest.mark.parametrize("noise", ["deadbeefcafe1234", "20201231235959", "7", "42"])
def test_ids_hashes_and_short_numbers_are_dropped(noise: str) -> None:
    assert analyse(noise) == []


def test_stop_words_are_dropped_and_words_lowercased() -> None:
    assert analyse("The Server is DOWN, out of memory") == ["server", "down", "out", "memory"]


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("failures", "failure"),
        ("retries", "retry"),
        ("running", "run"),
        ("crashed", "crash"),
        ("status", "status"),
        ("class", "class"),
        ("queues", "queue"),
        ("jobs", "jobs"),
    ],
)
def test_light_stemmer(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_java_stack_trace_signatures() -> None:
    trace = """java.lang.NullPointerException: boom
        at org.example.web.WebServer.serviceStart(WebServer.java:72)
        at org.example.Outer$Inner.run(Outer.java:10)"""
    assert extract_signatures(trace) == [
        "exc:nullpointerexception",
        "at:webserver.servicestart",
        "at:outer.run",
    ]


def test_python_traceback_signatures() -> None:
    trace = 'File "/opt/app/loader.py", line 96, in transform\nKeyError: x'
    assert extract_signatures(trace) == ["exc:keyerror", "at:loader.py:transform"]


def test_signatures_are_deduplicated() -> None:
    assert extract_signatures("IOException then IOException") == ["exc:ioexception"]


def test_analyse_case_puts_signatures_and_fields_in_extra() -> None:
    case = analyse_case("Disk full", "java.io.IOException: no space", ("Payments API",))
    assert case.title == ("disk", "full")
    assert case.extra == ("ioexception", "payment", "api")
    assert case.fts_columns()[2] == "ioexception payment api"
    assert {"disk", "space", "ioexception", "payment"} <= case.all_terms()


def test_idf_is_bm25_idf_and_floored() -> None:
    assert idf(1, 1001) == pytest.approx(6.5028, abs=1e-3)
    assert idf(900, 1000) == pytest.approx(1e-6)


def test_select_query_terms_prefers_rare_title_terms_and_skips_useless_ones() -> None:
    doc_freq = {"zookeeper": 3, "timeout": 40, "session": 30, "error": 900, "unique": 1}
    terms = select_query_terms(
        ["zookeeper", "session", "unique"],
        ["timeout", "timeout", "error"],
        doc_freq,
        1000,
        max_terms=10,
        max_df_ratio=0.5,
    )
    assert terms == ["zookeeper", "session", "timeout"]


def test_select_query_terms_respects_max_terms() -> None:
    doc_freq = {f"t{i}": 2 + i for i in range(50)}
    terms = select_query_terms([], list(doc_freq), doc_freq, 10_000, max_terms=5)
    assert terms == ["t0", "t1", "t2", "t3", "t4"]


def test_select_query_terms_keeps_within_the_posting_budget() -> None:
    doc_freq = {"rare": 5, "common": 900, "medium": 60, "other": 30}
    terms = select_query_terms(
        ["common", "rare", "medium", "other"],
        [],
        doc_freq,
        10_000,
        max_df_ratio=1.0,
        max_postings=100,
    )
    assert terms == ["rare", "other", "medium"]  # common would overflow the budget
    assert sum(doc_freq[t] for t in terms) <= 100
    unbounded = select_query_terms(["common", "rare"], [], doc_freq, 10_000, max_df_ratio=1.0)
    assert unbounded == ["rare", "common"]


def test_query_expressions_quote_terms() -> None:
    assert fts5_match_expression(["a.b", 'x"y']) == '"a.b" OR "x""y"'
    assert tsquery_expression(["foo_bar", "it's"]) == "'foo_bar' | 'it''s'"


def test_tsvector_literal_weights_columns() -> None:
    case = analyse_case("Disk full", "no space", ())
    assert tsvector_literal(case) == "'disk':1A 'full':2A 'space':3B"


def test_terms_survive_the_fts5_tokenizer() -> None:
    db = sqlite3.connect(":memory:")
    db.execute(f'CREATE VIRTUAL TABLE t USING fts5(title, body, extra, tokenize="{FTS5_TOKENIZE}")')
    case = analyse_case("FooBar.baz-qux 3.3.5 max_retry", "", ())
    db.execute("INSERT INTO t VALUES (?, ?, ?)", case.fts_columns())
    db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'row')")
    indexed = {row[0] for row in db.execute("SELECT term FROM v")}
    assert indexed == set(case.title)
    match = fts5_match_expression(["foobar.baz-qux"])
    assert db.execute("SELECT count(*) FROM t WHERE t MATCH ?", (match,)).fetchone() == (1,)
