"""Benchmark: similar cases (``similar_for_case`` and ``similar_for_draft``) at 1M cases.

    .venv/bin/python benchmarks/similar_cases.py [--cases 1000000] [--queries 300] [--json]
        [--database-url postgres://postgres@127.0.0.1:5432] [--rebuild] [--verify]
        [--settings max_postings=12000,title_max_postings=5000]

Issue 5 target: the similar-cases query p95 <= 50 ms with 1M cases on SQLite.

Data. Cases are generated from the public Hadoop bug reports (read from
``/work/shared/data/gitbugs_hadoop``, never copied): each case resamples a real report's title
and description lines, replaces some words with words drawn from the whole corpus (by frequency),
splices in lines of other reports, drops some lines, and inserts rare synthetic identifiers with a
Zipf-like distribution, so that posting lists and the vocabulary grow as in a large tracker.
Service, component and version vary. Texts are analysed in worker processes by the product's own
``occurrences.index.profiles.analyse`` (as ``occurrence_index_case`` calls it); the case rows, the
``Document`` rows, the FTS5 rows (the same column texts ``search.write`` inserts) and the term
statistics (the counts ``occurrences_refresh_stats`` would add) are bulk-inserted. The build
checks a sample of documents against ``occurrence_index_case`` (and, with ``--verify``, the term
statistics against ``occurrences_refresh_stats``) in a rolled-back transaction. Audit events and
outbox rows of ``case_create`` are not written: the measured path never reads them.

SQLite databases are cached under ``--cache-dir`` keyed by N, the generator version and a
fingerprint of the analyser's output, so reruns skip the build. A PostgreSQL run creates a scratch
database on the server given by ``--database-url`` and drops it afterwards.

Measures (warm cache: the database file is read once, then a warm-up on other queries):
``similar_for_case(viewer, case, k=5)`` for random cases across the id range and
``similar_for_draft`` for unseen generated drafts, end to end; the same queries again with the
selector's stages timed (term statistics, candidate full-text queries, document fetch and
re-ranking, loading the shown objects); and the floor, in the same run: the raw full-text
candidate queries alone (the statements ``search.candidates`` runs, with the same terms, on the
bare DB-API cursor). ``--settings`` overrides fields of the selector's ``CandidateSettings`` for
the run, to measure what a smaller candidate budget buys.

Quality at scale, a proxy: every generated case comes from one public report, so the cases
generated from the query's own report are the ones most like it. ``same_source_at_5`` is the
share of the shown case hits (k=5) generated from the same report as the query, over the
measured queries; it moves when candidate settings drop useful candidates (the public labels
of ``casebridge eval duplicates`` cannot: at 2.5k reports the posting budgets never bind).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import hashlib
import json
import multiprocessing
import os
import pickle
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import ROOT, emit, machine, percentiles, setup_django

sys.path.insert(0, str(ROOT / "src"))

from casebridge.occurrences.evaluation.dupdata import load_reports
from casebridge.occurrences.index import postings as pg_postings
from casebridge.occurrences.index.profiles import analyse, profile_to_json

GENERATOR_VERSION = 1
DATA = Path("/work/shared/data/gitbugs_hadoop/hadoop_bugs.csv")
CACHE_DIR = Path("/tmp/casebridge-bench-similar")
CHUNK = 2000
TITLE_MAX = 200
TEXT_MAX = 50_000
START = datetime(2020, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=6 * 365)
SERVICES: dict[str, tuple[str, ...]] = {
    "HDFS": ("NameNode", "DataNode", "Balancer"),
    "YARN": ("ResourceManager", "NodeManager", "Timeline Service"),
    "MapReduce": ("JobHistory", "Shuffle", "Client"),
    "Common": ("IPC", "Security", "Configuration"),
    "Tools": ("DistCp", "Streaming"),
    "Build": ("Maven", "Docker"),
    "Storage connectors": ("S3A", "ABFS", "GCS"),
    "KMS": ("Key provider",),
}
SERVICE_NAMES = list(SERVICES)
STATES = ["new"] * 2 + ["investigating"] * 3 + ["resolved"] * 5 + ["closed"] * 30
SOURCES = ["l1_agent", "portal", "partner", "api", "staff"]
P_DROP_LINE = 0.15
P_SPLICE_LINE = 0.06
P_REPLACE_WORD = 0.08
P_RARE_WORD = 0.02
P_REPLACE_TITLE_WORD = 0.12
P_RARE_TITLE_WORD = 0.04
P_COMPONENT = 0.6
_SPACE = re.compile(r"(\s+)")


# --------------------------------------------------------------------------- generation


@dataclass
class Corpus:
    """The public reports, cut into what the generator resamples."""

    titles: list[list[str]] = field(default_factory=list)
    bodies: list[list[str]] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)
    title_words: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


CORPUS = Corpus()
REPORTS = 0  # reports in the corpus, kept when the corpus is dropped (``source_of``)


def load_corpus() -> Corpus:
    corpus = Corpus()
    for report in load_reports(DATA):
        title = report.title.split()
        lines = report.description.split("\n")
        corpus.titles.append(title)
        corpus.bodies.append(lines)
        corpus.versions.append(report.versions[0][:64] if report.versions else "")
        corpus.title_words.extend(title)
        corpus.lines.extend(line for line in lines if line.strip())
        corpus.words.extend(report.description.split())
    return corpus


def _rare(rng: random.Random) -> str:
    """A synthetic identifier, Zipf-like: a few are common, most are rare (vocabulary growth)."""
    number = min(int(rng.paretovariate(0.35)), 26**6)
    letters = []
    while True:
        number, digit = divmod(number, 26)
        letters.append(chr(97 + digit))
        if not number:
            break
    return "zq" + "".join(letters)


def _vary(
    words: list[str], rng: random.Random, pool: list[str], p_rep: float, p_rare: float
) -> str:
    out: list[str] = []
    for word in words:
        roll = rng.random()
        if roll < p_rep:
            out.append(rng.choice(pool))
        elif roll < p_rep + p_rare:
            out.extend((word, _rare(rng)))
        else:
            out.append(word)
    return " ".join(out)


def _vary_line(line: str, rng: random.Random) -> str:
    """Word-level variation keeping the line's own spacing (stack traces stay readable)."""
    parts = _SPACE.split(line)
    for i in range(0, len(parts), 2):
        if parts[i]:
            roll = rng.random()
            if roll < P_REPLACE_WORD:
                parts[i] = rng.choice(CORPUS.words)
            elif roll < P_REPLACE_WORD + P_RARE_WORD:
                parts[i] = f"{parts[i]} {_rare(rng)}"
    return "".join(parts)


def source_of(number: int) -> int:
    """The public report case ``number`` was generated from (the first draw of ``generate``)."""
    return random.Random(number * 7919 + GENERATOR_VERSION).randrange(REPORTS)


@dataclass(frozen=True)
class Draft:
    title: str
    description: str
    service: int
    component: int  # -1: none
    version: str


def generate(number: int) -> Draft:
    """Case ``number`` (1-based), deterministic."""
    rng = random.Random(number * 7919 + GENERATOR_VERSION)
    base = rng.randrange(len(CORPUS.titles))  # keep first: ``source_of`` repeats this draw
    title = _vary(
        CORPUS.titles[base], rng, CORPUS.title_words, P_REPLACE_TITLE_WORD, P_RARE_TITLE_WORD
    )
    if rng.random() < 0.2:
        title = f"{title} {rng.choice(CORPUS.title_words)}"
    title = " ".join(title.split())[:TITLE_MAX].strip()
    if len(title) < 3:
        title = f"Report {number}: {title}"
    lines: list[str] = []
    for line in CORPUS.bodies[base]:
        if rng.random() >= P_DROP_LINE:
            lines.append(_vary_line(line, rng))
        if rng.random() < P_SPLICE_LINE:
            lines.append(_vary_line(rng.choice(CORPUS.lines), rng))
    service = rng.randrange(len(SERVICE_NAMES))
    components = SERVICES[SERVICE_NAMES[service]]
    component = rng.randrange(len(components)) if rng.random() < P_COMPONENT else -1
    version = CORPUS.versions[base] if rng.random() < 0.7 else rng.choice(CORPUS.versions)
    return Draft(title, "\n".join(lines)[:TEXT_MAX].strip(), service, component, version)


def created_at(number: int, total: int) -> datetime:
    return START + SPAN * (number / total)


@dataclass
class Chunk:
    start: int
    rows: list[tuple[Any, ...]]
    all_terms: Counter[str]
    title_terms: Counter[str]


def build_chunk(job: tuple[int, int, int, bool]) -> Chunk:
    """Generate and analyse cases ``start..end-1`` as ``occurrence_index_case`` would."""
    start, end, total, postgres = job
    rows: list[tuple[Any, ...]] = []
    all_terms: Counter[str] = Counter()
    title_terms: Counter[str] = Counter()
    for number in range(start, end):
        draft = generate(number)
        service = SERVICE_NAMES[draft.service]
        component = SERVICES[service][draft.component] if draft.component >= 0 else ""
        analysed, profile = analyse(
            draft.title,
            draft.description,
            created_at(number, total),
            service=service,
            component=component,
            version=draft.version,
        )
        stored = profile_to_json(profile)
        all_terms.update(stored["terms"])
        title_terms.update(set(stored["title_terms"]))
        postings = pg_postings.rows(analysed, is_case=True) if postgres else []
        rows.append((number, draft, json.dumps(stored), analysed.fts_columns(), postings))
    return Chunk(start, rows, all_terms, title_terms)


# --------------------------------------------------------------------------- database


def analyser_fingerprint() -> str:
    """Changes whenever the analysed text or profile of the generated cases would change.

    Migrations are not part of it: a cached database is migrated like a deployed one.
    """
    digest = hashlib.sha256(f"v{GENERATOR_VERSION}".encode())
    for row in build_chunk((1, 60, 1000, False)).rows:
        # ("", "") stood for the PostgreSQL vectors a SQLite build left empty: kept, so that
        # the caches built before the postings table stay valid.
        digest.update(repr((*row[2:4], ("", ""))).encode())
    return digest.hexdigest()[:12]


def seed_world() -> dict[str, Any]:
    from casebridge.accounts.services import organisation_create, user_create
    from casebridge.catalog.models import Component, Service

    org = organisation_create(actor=None, name="Hadoop Users", slug="hadoop")
    services: list[tuple[Any, list[Any]]] = []
    for name, components in SERVICES.items():
        service = Service.objects.create(name=name, slug=name.lower().replace(" ", "-"))
        services.append(
            (
                service,
                [
                    Component.objects.create(
                        service=service, name=c, slug=c.lower().replace(" ", "-")
                    )
                    for c in components
                ],
            )
        )
    l2 = user_create(actor=None, username="l2", email="l2@x.test", roles=["l2_engineer"])
    reporter = user_create(
        actor=None, username="cust", email="c@x.test", roles=["reporter"], organisation=org
    )
    return {"org": org, "l2": l2, "reporter": reporter, "services": services}


def world_from_db() -> dict[str, Any]:
    from casebridge.accounts.models import Organisation, User
    from casebridge.catalog.models import Service

    services = []
    for name, components in SERVICES.items():
        service = Service.objects.get(name=name)
        by_name = {c.name: c for c in service.components.all()}
        services.append((service, [by_name[c] for c in components]))
    return {
        "org": Organisation.objects.get(slug="hadoop"),
        "l2": User.objects.get(username="l2"),
        "reporter": User.objects.get(username="cust"),
        "services": services,
    }


def _insert_chunk(chunk: Chunk, world: dict[str, Any], total: int, rng: random.Random) -> None:
    from django.db import connection, transaction

    from casebridge.cases.models import Case, Resolution
    from casebridge.occurrences.models import DocumentKind

    cases: list[Case] = []
    docs: list[tuple[Any, ...]] = []
    fts: list[tuple[Any, ...]] = []
    titles: list[tuple[Any, ...]] = []
    postings: list[tuple[Any, ...]] = []
    for number, draft, profile, columns, rows in chunk.rows:
        service, components = world["services"][draft.service]
        state = rng.choice(STATES)
        done = state in ("resolved", "closed")
        moment = created_at(number, total)
        cases.append(
            Case(
                id=number,
                key=f"CB-{number}",
                number=number,
                title=draft.title,
                description=draft.description,
                source=rng.choice(SOURCES),
                state=state,
                resolution=Resolution.NO_FAULT if done else "",
                reporter=world["reporter"],
                organisation=world["org"],
                owner=world["l2"] if state != "new" else None,
                service=service,
                component=components[draft.component] if draft.component >= 0 else None,
                environment="production",
                version=draft.version,
                impact=rng.choice(["low", "medium", "high"]),
                created_at=moment,
                resolved_at=moment if done else None,
            )
        )
        stamp = connection.ops.adapt_datetimefield_value(moment)
        docs.append(
            (number, DocumentKind.CASE.value, number, f"CB-{number}", stamp, profile, *columns)
        )
        fts.append((number, *columns))
        titles.append((number, columns[0]))
        postings.extend((scope, term, number, weight) for scope, term, weight in rows)
    with transaction.atomic(), connection.cursor() as cursor:
        Case.objects.bulk_create(cases)
        json_cast = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
        cursor.executemany(
            "INSERT INTO occurrences_document (id, kind, object_id, key, created_at, profile, "
            f"fts_title, fts_body, fts_extra) VALUES (%s, %s, %s, %s, %s, {json_cast}, %s, %s, %s)",
            docs,
        )
        if connection.vendor == "sqlite":
            cursor.executemany(
                "INSERT INTO occ_case(rowid, title, body, extra) VALUES (%s, %s, %s, %s)", fts
            )
            cursor.executemany("INSERT INTO occ_case_title(rowid, title) VALUES (%s, %s)", titles)
        else:
            with cursor.cursor.copy(
                f"COPY {pg_postings.TABLE} (scope, term, doc_id, weight) FROM STDIN"
            ) as copy:
                for row in postings:
                    copy.write_row(row)


KEPT_STATE = "bench_similar_build"  # a kept PostgreSQL build's progress (``--keep``)


def _kept_state() -> tuple[int, float, Counter[str], Counter[str]] | None:
    """(cases built, seconds spent, term counters) of a kept, unfinished build, if any."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {KEPT_STATE} (total integer NOT NULL, "
            "through integer NOT NULL, seconds float8 NOT NULL, counters bytea NOT NULL, "
            "complete boolean NOT NULL)"
        )
        cursor.execute(f"SELECT through, seconds, counters FROM {KEPT_STATE}")
        row = cursor.fetchone()
    if row is None:
        return None
    all_terms, title_terms = pickle.loads(bytes(row[2]))
    return int(row[0]), float(row[1]), all_terms, title_terms


def _save_kept_state(
    total: int,
    through: int,
    seconds: float,
    counters: tuple[Counter[str], Counter[str]],
    *,
    complete: bool,
) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {KEPT_STATE}")
        cursor.execute(
            f"INSERT INTO {KEPT_STATE} VALUES (%s, %s, %s, %s, %s)",
            [total, through, seconds, pickle.dumps(counters), complete],
        )


def build(total: int, world: dict[str, Any], workers: int, *, until: int = 0) -> float:
    """Generate ``total`` cases into the (migrated, empty) database; returns seconds.

    ``until`` (a kept PostgreSQL build, ``--keep``): stop after the chunk holding case
    ``until`` and record the progress; the next run resumes there (the same cases as an
    uninterrupted build). Returns the seconds spent so far, over all runs."""
    from django.db import connection

    from casebridge.occurrences.models import IndexState
    from casebridge.occurrences.services import STATS

    started = time.perf_counter()
    postgres = connection.vendor == "postgresql"
    kept = _kept_state() if postgres else None
    first, spent = 1, 0.0
    all_terms: Counter[str] = Counter()
    title_terms: Counter[str] = Counter()
    rng = random.Random(11)
    if kept is not None:
        through, spent, all_terms, title_terms = kept
        first = through + 1
        for _ in range(3 * through):  # the draws of _insert_chunk for the cases built already
            rng.random()
        print(f"  resuming after case {through:,} ({spent:.0f}s so far)", file=sys.stderr)
    with connection.cursor() as cursor:
        if postgres:  # a bulk load: the postings' primary key is built once, at the end
            cursor.execute(
                f"ALTER TABLE {pg_postings.TABLE} DROP CONSTRAINT IF EXISTS occ_posting_pk"
            )
        else:
            cursor.execute("PRAGMA synchronous=OFF")
    last = min(total, until) if until else total
    jobs = [(s, min(s + CHUNK, total + 1), total, postgres) for s in range(first, last + 1, CHUNK)]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for done, chunk in enumerate(pool.imap(build_chunk, jobs), start=1):
            _insert_chunk(chunk, world, total, rng)
            all_terms.update(chunk.all_terms)
            title_terms.update(chunk.title_terms)
            if done % 50 == 0 or done == len(jobs):
                elapsed = time.perf_counter() - started
                print(f"  built {chunk.rows[-1][0]:,} cases in {elapsed:.0f}s", file=sys.stderr)
    through = jobs[-1][1] - 1 if jobs else first - 1
    if postgres and through < total:
        seconds = spent + time.perf_counter() - started
        _save_kept_state(total, through, seconds, (all_terms, title_terms), complete=False)
        print(f"  stopped after case {through:,}; run again to resume", file=sys.stderr)
        return seconds
    rows = sorted(
        [("all", t, n) for t, n in all_terms.items()]
        + [("title", t, n) for t, n in title_terms.items()]
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 10_000):
            cursor.executemany(
                "INSERT INTO occurrences_termstat (scope, term, docs) VALUES (%s, %s, %s)",
                rows[start : start + 10_000],
            )
        IndexState.objects.update_or_create(
            name=STATS, defaults={"counted_through": total, "documents": total}
        )
        if postgres:
            cursor.execute("UPDATE core_sequence SET value = %s WHERE name = 'CB'", [total])
            if cursor.rowcount == 0:
                cursor.execute("INSERT INTO core_sequence (name, value) VALUES ('CB', %s)", [total])
            cursor.execute("SELECT setval(pg_get_serial_sequence('cases_case', 'id'), %s)", [total])
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('occurrences_document', 'id'), %s)", [total]
            )
            cursor.execute(
                f"ALTER TABLE {pg_postings.TABLE} ADD CONSTRAINT occ_posting_pk "
                "PRIMARY KEY (scope, term, doc_id) INCLUDE (weight)"
            )
            cursor.execute("VACUUM ANALYZE")  # as autovacuum would: the visibility map too
            seconds = spent + time.perf_counter() - started
            _save_kept_state(total, total, seconds, (Counter(), Counter()), complete=True)
        else:
            cursor.execute("INSERT INTO core_sequence (name, value) VALUES ('CB', %s)", [total])
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cursor.execute("PRAGMA synchronous=NORMAL")
    print(f"  {len(all_terms):,} distinct terms", file=sys.stderr)
    return spent + time.perf_counter() - started


def load_from_sqlite(path: Path, total: int, world: dict[str, Any]) -> float:
    """Copy a cached SQLite build of ``total`` cases into the (migrated, empty) PostgreSQL
    database instead of generating it again: the cases, their documents and term statistics as
    they are, the postings computed from each document's stored analysed columns (as migration
    0006 indexes existing documents); returns seconds. ``check_documents`` then re-indexes a
    sample through the product and compares."""
    import sqlite3

    from django.db import connection, transaction

    from casebridge.cases.models import Case
    from casebridge.occurrences.index.text import AnalysedText
    from casebridge.occurrences.models import IndexState
    from casebridge.occurrences.services import STATS

    started = time.perf_counter()
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    services = dict(source.execute("SELECT id, name FROM catalog_service"))
    components = dict(source.execute("SELECT id, name FROM catalog_component"))
    pg_services = {s.name: (s, {c.name: c for c in cs}) for s, cs in world["services"]}
    users = dict(source.execute("SELECT id, username FROM accounts_user"))
    pg_users = {"l2": world["l2"], "cust": world["reporter"]}
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {pg_postings.TABLE} DROP CONSTRAINT occ_posting_pk")
    case_columns = (
        "id, key, number, title, description, source, state, resolution, environment, version, "
        "impact, created_at, resolved_at, service_id, component_id, owner_id"
    )
    cases_read = source.execute(f"SELECT {case_columns} FROM cases_case ORDER BY id")
    docs_read = source.execute(
        "SELECT id, kind, object_id, key, created_at, profile, fts_title, fts_body, fts_extra "
        "FROM occurrences_document ORDER BY id"
    )
    parse = connection.ops.adapt_datetimefield_value
    done = 0
    while rows := cases_read.fetchmany(5000):
        cases = []
        for row in rows:
            service, by_name = pg_services[services[row[13]]]
            cases.append(
                Case(
                    id=row[0],
                    key=row[1],
                    number=row[2],
                    title=row[3],
                    description=row[4],
                    source=row[5],
                    state=row[6],
                    resolution=row[7],
                    environment=row[8],
                    version=row[9],
                    impact=row[10],
                    created_at=datetime.fromisoformat(row[11]).replace(tzinfo=UTC),
                    resolved_at=(
                        datetime.fromisoformat(row[12]).replace(tzinfo=UTC) if row[12] else None
                    ),
                    service=service,
                    component=by_name[components[row[14]]] if row[14] else None,
                    owner=pg_users[users[row[15]]] if row[15] else None,
                    reporter=world["reporter"],
                    organisation=world["org"],
                )
            )
        docs = docs_read.fetchmany(len(rows))
        assert [d[2] for d in docs] == [c.id for c in cases], "documents out of step with cases"
        with transaction.atomic(), connection.cursor() as cursor:
            Case.objects.bulk_create(cases)
            raw = cursor.cursor
            with raw.copy(
                "COPY occurrences_document (id, kind, object_id, key, created_at, profile, "
                "fts_title, fts_body, fts_extra) FROM STDIN"
            ) as copy:
                for d in docs:
                    stamp = parse(datetime.fromisoformat(d[4]).replace(tzinfo=UTC))
                    copy.write_row((*d[:4], stamp, *d[5:]))
            with raw.copy(
                f"COPY {pg_postings.TABLE} (scope, term, doc_id, weight) FROM STDIN"
            ) as copy:
                for d in docs:
                    analysed = AnalysedText(
                        tuple(d[6].split()), tuple(d[7].split()), tuple(d[8].split())
                    )
                    for scope, term, weight in pg_postings.rows(analysed, d[1] == "case"):
                        copy.write_row((scope, term, d[0], weight))
        done += len(rows)
        if done % 100_000 == 0:
            elapsed = time.perf_counter() - started
            print(f"  loaded {done:,} cases in {elapsed:.0f}s", file=sys.stderr)
    stats = source.execute("SELECT scope, term, docs FROM occurrences_termstat").fetchall()
    source.close()
    with connection.cursor() as cursor:
        for start in range(0, len(stats), 10_000):
            cursor.executemany(
                "INSERT INTO occurrences_termstat (scope, term, docs) VALUES (%s, %s, %s)",
                stats[start : start + 10_000],
            )
        IndexState.objects.update_or_create(
            name=STATS, defaults={"counted_through": total, "documents": total}
        )
        cursor.execute("UPDATE core_sequence SET value = %s WHERE name = 'CB'", [total])
        if cursor.rowcount == 0:
            cursor.execute("INSERT INTO core_sequence (name, value) VALUES ('CB', %s)", [total])
        cursor.execute("SELECT setval(pg_get_serial_sequence('cases_case', 'id'), %s)", [total])
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('occurrences_document', 'id'), %s)", [total]
        )
        print(f"  loaded in {time.perf_counter() - started:.0f}s; key, vacuum", file=sys.stderr)
        cursor.execute(
            f"ALTER TABLE {pg_postings.TABLE} ADD CONSTRAINT occ_posting_pk "
            "PRIMARY KEY (scope, term, doc_id) INCLUDE (weight)"
        )
        cursor.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def check_documents(sample: list[int], verify_stats: bool) -> dict[str, Any]:
    """The bulk-built index equals what the product writes (checked, then rolled back)."""
    from django.db import connection, transaction

    from casebridge.cases.models import Case
    from casebridge.occurrences.models import Document, IndexState, TermStat
    from casebridge.occurrences.services import occurrence_index_case, occurrences_refresh_stats

    fields = ("id", "profile", "fts_title", "fts_body", "fts_extra", "key", "created_at")
    checked: dict[str, Any] = {"documents": len(sample)}

    class Rollback(Exception):
        pass

    def posting_rows() -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT scope, term, doc_id, weight FROM {pg_postings.TABLE} "
                "WHERE doc_id = ANY(%s) ORDER BY 1, 2, 3",
                [sample],
            )
            return cursor.fetchall()

    try:
        with transaction.atomic():
            mine = Document.objects.filter(object_id__in=sample)
            before = {d["object_id"]: d for d in mine.values("object_id", *fields)}
            posted = posting_rows() if connection.vendor == "postgresql" else []
            cases = Case.objects.select_related("service", "component").in_bulk(sample)
            for number in sample:
                # The generated cases have no logs, hence no log signatures.
                occurrence_index_case(cases[number], log_signatures=frozenset())
            after = {d["object_id"]: d for d in mine.values("object_id", *fields)}
            for number in sample:
                assert before[number] == after[number], f"document of case {number} differs"
            if connection.vendor == "postgresql":
                assert posted and posted == posting_rows(), "postings differ from the product's"
                checked["postings"] = len(posted)
            if connection.vendor == "sqlite":
                with connection.cursor() as cursor:
                    for number in sample[:20]:
                        term = before[number]["fts_title"].split()[:1]
                        if term:
                            cursor.execute(
                                "SELECT count(*) FROM occ_case_title WHERE occ_case_title "
                                "MATCH %s AND rowid = %s",
                                [f'"{term[0]}"', number],
                            )
                            assert cursor.fetchone()[0] == 1, f"case {number} not in title index"
            if verify_stats:
                ours = set(TermStat.objects.values_list("scope", "term", "docs"))
                TermStat.objects.all().delete()
                IndexState.objects.all().delete()
                occurrences_refresh_stats()
                theirs = set(TermStat.objects.values_list("scope", "term", "docs"))
                assert ours == theirs, f"term statistics differ ({len(ours ^ theirs)} rows)"
                checked["term_stats"] = len(ours)
            raise Rollback
    except Rollback:
        pass
    return checked


def cache_path(cache_dir: Path, total: int) -> Path:
    return cache_dir / f"similar-{total}-{analyser_fingerprint()}.sqlite3"


# --------------------------------------------------------------------------- measuring


class Stages:
    """Times named functions of the selector while installed; records the FTS calls."""

    NAMES = ("term stats", "candidate FTS", "fetch + rank", "object loading")

    def __init__(self) -> None:
        self.spent = dict.fromkeys(self.NAMES, 0.0)
        self.fts_calls: list[tuple[tuple[str, ...], dict[str, Any]]] = []
        self.candidates: set[int] = set()
        self._undo: list[tuple[Any, str, Any]] = []

    def _wrap(self, owner: Any, name: str, stage: str, record: bool = False) -> None:
        if not hasattr(owner, name):
            return
        original = getattr(owner, name)

        def timed_call(*args: Any, **kwargs: Any) -> Any:
            if record:
                self.fts_calls.append((tuple(args[0]), kwargs))
            started = time.process_time()
            try:
                result = original(*args, **kwargs)
            finally:
                self.spent[stage] += time.process_time() - started
            if record:
                self.candidates.update(result)
            return result

        setattr(owner, name, timed_call)
        self._undo.append((owner, name, original))

    def __enter__(self) -> Stages:
        from casebridge.occurrences import selectors
        from casebridge.occurrences.index import search

        self._wrap(selectors, "_n_docs", "term stats")
        self._wrap(selectors, "_doc_freqs", "term stats")
        self._wrap(selectors, "_doc_freq", "term stats")  # before the change
        self._wrap(search, "candidates", "candidate FTS", record=True)
        self._wrap(selectors, "_documents", "fetch + rank")
        self._wrap(selectors, "_ranked", "fetch + rank")
        self._wrap(selectors, "_occurrences", "object loading")
        return self

    def __exit__(self, *exc: object) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)

    def reset(self) -> None:
        self.spent = dict.fromkeys(self.NAMES, 0.0)
        self.fts_calls = []
        self.candidates = set()


def postings(calls: list[tuple[tuple[str, ...], dict[str, Any]]]) -> tuple[int, int]:
    """Postings the main and title case queries merge (sum of the terms' document counts)."""
    from casebridge.occurrences.models import TermStat

    merged = {"all": 0, "title": 0}
    for terms, kw in calls:
        if kw["cases"] and terms:
            scope = "title" if kw.get("title_only") else "all"
            found = TermStat.objects.filter(scope=scope, term__in=terms)
            merged[scope] += sum(found.values_list("docs", flat=True))
    return merged["all"], merged["title"]


def raw_fts(calls: list[tuple[tuple[str, ...], dict[str, Any]]]) -> Callable[[], None]:
    """The candidate statements of ``search.candidates`` alone, on the bare DB-API cursor."""
    from django.db import connection

    from casebridge.occurrences.index.text import fts5_match_expression

    statements: list[tuple[str, list[Any]]] = []
    for terms, kw in calls:
        if not terms:
            continue
        s = kw["settings"]
        title_only = kw.get("title_only", False)
        limit = s.title_limit if title_only else s.limit
        bound = kw["before"] if kw["before"] is not None else 2**62
        if connection.vendor == "sqlite":
            table = "occ_case_title" if title_only else ("occ_case" if kw["cases"] else "occ_other")
            weights = [] if title_only else [s.title_weight, s.body_weight, s.extra_weight]
            rank = f"bm25({table})" if title_only else f"bm25({table}, ?, ?, ?)"
            statements.append(
                (
                    f"SELECT rowid, {rank} AS score FROM {table} WHERE {table} MATCH ? "
                    "AND rowid < ? ORDER BY score LIMIT ?",
                    [*weights, fts5_match_expression(terms), bound, limit],
                )
            )
        else:
            scope = pg_postings.SCOPE_CASE_TITLE if title_only else pg_postings.SCOPE_CASE
            statements.append(
                pg_postings.statement(
                    terms,
                    kw.get("idf") or {},
                    scope=scope if kw["cases"] else pg_postings.SCOPE_OTHER,
                    before=bound,
                    limit=limit,
                )
            )
    connection.ensure_connection()
    raw = connection.connection

    def run() -> None:
        cursor = raw.cursor()
        for sql, params in statements:
            cursor.execute(sql, params)
            cursor.fetchall()
        cursor.close()

    return run


def _time(fn: Callable[[], Any]) -> tuple[float, float]:
    """Wall-clock and CPU milliseconds of ``fn()`` (this process: Python and SQLite alike)."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def measure_kind(
    queries: list[Callable[[], Any]], warmups: list[Callable[[], Any]]
) -> dict[str, Any]:
    """End to end, then by stage, then the floor, for the same queries.

    Wall-clock and CPU time are both kept: on a shared machine the wall clock includes waiting
    for a core, while the CPU time of this process (Python and SQLite alike) does not. Stages
    are CPU time.
    """
    for fn in warmups:
        fn()
    total = [_time(fn) for fn in queries]
    stages: dict[str, list[float]] = {name: [] for name in (*Stages.NAMES, "rest")}
    floors: list[Callable[[], None]] = []
    calls: list[list[tuple[tuple[str, ...], dict[str, Any]]]] = []
    candidates: list[int] = []
    with Stages() as probe:
        for fn in queries:
            probe.reset()
            _, spent = _time(fn)
            for name in Stages.NAMES:
                stages[name].append(probe.spent[name] * 1000)
            stages["rest"].append(spent - sum(probe.spent.values()) * 1000)
            floors.append(raw_fts(probe.fts_calls))
            calls.append(probe.fts_calls)
            candidates.append(len(probe.candidates))
    floor = [_time(fn) for fn in floors]
    merged = [postings(c) for c in calls]
    return {
        "end_to_end": percentiles([wall for wall, _ in total]),
        "end_to_end_cpu": percentiles([cpu for _, cpu in total]),
        "stages_cpu": {name: percentiles(values) for name, values in stages.items()},
        "floor_fts": percentiles([wall for wall, _ in floor]),
        "floor_fts_cpu": percentiles([cpu for _, cpu in floor]),
        "main_postings_mean": round(sum(m for m, _ in merged) / len(merged)),
        "title_postings_mean": round(sum(t for _, t in merged) / len(merged)),
        "candidates_mean": round(sum(candidates) / len(candidates), 1),
    }


def measure(total: int, n_queries: int, world: dict[str, Any], *, freeze: bool) -> dict[str, Any]:
    from casebridge.cases.models import Case
    from casebridge.occurrences.selectors import similar_for_case, similar_for_draft

    viewer = world["l2"]
    rng = random.Random(5)
    picked = rng.sample(range(1, total + 1), n_queries + 30)
    cases = Case.objects.select_related("service", "component").in_bulk(picked)

    def for_case(number: int) -> Callable[[], Any]:
        case = cases[number]
        return lambda: similar_for_case(viewer, case, k=5)

    def for_draft(number: int) -> Callable[[], Any]:
        draft = generate(number)
        service = SERVICE_NAMES[draft.service]
        component = SERVICES[service][draft.component] if draft.component >= 0 else ""

        def run() -> Any:
            return similar_for_draft(
                viewer,
                title=draft.title,
                description=draft.description,
                service=service,
                component=component,
                version=draft.version,
                k=5,
            )

        return run

    found = [len(for_case(n)().cases) for n in picked[30:60]]
    case_queries = [for_case(n) for n in picked[30:]]
    drafts = [for_draft(total + 1 + i) for i in range(n_queries + 30)]
    # The generator's corpus is not part of a server's heap: drop it before measuring (a full
    # garbage collection walks every live container, so it would slow the measured queries).
    global CORPUS  # noqa: PLW0603
    CORPUS = Corpus()
    gc.collect()
    if freeze:
        gc.freeze()  # as a server would after start-up: full collections skip that heap
    result: dict[str, Any] = {
        "case": measure_kind(case_queries, [for_case(n) for n in picked[:30]]),
        "draft": measure_kind(drafts[30:], drafts[:30]),
        "hits_per_query_mean": round(sum(found) / len(found), 2),
    }
    result["case"]["same_source_at_5"] = same_source(picked[30:], case_queries)
    result["draft"]["same_source_at_5"] = same_source(
        [total + 1 + i for i in range(30, n_queries + 30)], drafts[30:]
    )
    return result


def same_source(numbers: list[int], queries: list[Callable[[], Any]]) -> float:
    """Share of the shown case hits generated from the same public report as the query."""
    same = shown = 0
    for number, query in zip(numbers, queries, strict=True):
        for hit in query().cases:
            same += source_of(hit.object.pk) == source_of(number)
            shown += 1
    return round(same / max(shown, 1), 3)


# --------------------------------------------------------------------------- main


def prepare(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any], Callable[[], None]]:
    """A database with ``args.cases`` cases; returns the world, build facts and a cleanup."""
    global CORPUS, REPORTS  # noqa: PLW0603 - the fork()ed workers read it
    CORPUS = load_corpus()
    REPORTS = len(CORPUS.titles)
    facts: dict[str, Any] = {}
    if args.database_url:
        import psycopg

        server = args.database_url.rstrip("/")
        if args.keep:
            if "bench" not in args.keep:
                raise SystemExit("--keep: the database's name must contain 'bench'")
            name = args.keep
            with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
                if not admin.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", [name]
                ).fetchone():
                    admin.execute(f'CREATE DATABASE "{name}"')
            setup_django(f"{server}/{name}", fresh=False)
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("SELECT to_regclass(%s)", [KEPT_STATE])
                if cursor.fetchone()[0] is not None:
                    cursor.execute(f"SELECT total, complete, seconds FROM {KEPT_STATE}")
                    state = cursor.fetchone()
                else:
                    state = None
            if state is not None and state[0] != args.cases:
                raise SystemExit(f"--keep {name}: holds a build of {state[0]:,} cases")
            world = world_from_db() if state is not None else seed_world()
            if state is not None and state[1]:
                facts.update(build_s=round(state[2], 1), cached=True, kept=name)
            else:
                facts["build_s"] = round(
                    build(args.cases, world, args.workers, until=args.build_until), 1
                )
                facts.update(cached=False, kept=name)
            if not (args.build_until and args.build_until < args.cases):
                facts["sizes_mb"] = postgres_sizes()
            return world, facts, lambda: None
        name = f"casebridge_bench_similar_{os.getpid()}"
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        setup_django(f"{server}/{name}")
        world = seed_world()
        cached = cache_path(Path(args.cache_dir), args.cases)
        if args.from_cache and cached.with_suffix(".complete").exists():
            facts["build_s"] = round(load_from_sqlite(cached, args.cases, world), 1)
            facts["loaded_from"] = str(cached)
        else:
            facts["build_s"] = round(build(args.cases, world, args.workers), 1)
        facts["cached"] = False
        facts["sizes_mb"] = postgres_sizes()

        def drop() -> None:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        return world, facts, drop
    path = cache_path(Path(args.cache_dir), args.cases)
    done = path.with_suffix(".complete")
    if args.rebuild or not done.exists():
        for stale in path.parent.glob(path.name + "*"):
            stale.unlink()
        done.unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        setup_django(f"sqlite:///{path}")
        world = seed_world()
        facts["build_s"] = round(build(args.cases, world, args.workers), 1)
        done.write_text(json.dumps({"build_s": facts["build_s"], "date": time.ctime()}))
        facts["cached"] = False
    else:
        setup_django(f"sqlite:///{path}")
        world = world_from_db()
        facts["build_s"] = json.loads(done.read_text())["build_s"]
        facts["cached"] = True
    facts["path"] = str(path)
    facts["size_gb"] = round(path.stat().st_size / 1e9, 2)
    return world, facts, lambda: None


def postgres_sizes() -> dict[str, float]:
    """MB on disk of the tables (with TOAST and indexes) the similar-cases query reads, and
    the number of postings (millions)."""
    from django.db import connection

    sizes: dict[str, float] = {}
    with connection.cursor() as cursor:
        for name, expression in (
            ("postings_table", f"pg_total_relation_size('{pg_postings.TABLE}')"),
            ("postings_key", "pg_relation_size('occ_posting_pk')"),
            ("documents_table", "pg_total_relation_size('occurrences_document')"),
            ("cases_table", "pg_total_relation_size('cases_case')"),
        ):
            cursor.execute(f"SELECT {expression}")
            sizes[name] = round(float(cursor.fetchone()[0]) / 1e6, 1)
        cursor.execute(f"SELECT count(*) FROM {pg_postings.TABLE}")
        sizes["postings_rows_millions"] = round(cursor.fetchone()[0] / 1e6, 2)
    return sizes


def warm_file(path: str) -> float:
    """Read the database file once so that the measurement starts from a warm OS cache."""
    started = time.perf_counter()
    with Path(path).open("rb") as handle:
        while handle.read(1 << 24):
            pass
    return round(time.perf_counter() - started, 1)


def candidate_settings(overrides: str) -> Any:
    """The selector's candidate settings with ``field=value,...`` overrides applied."""
    from casebridge.occurrences.index.search import DEFAULT_CANDIDATE_SETTINGS

    types = {f.name: f.type for f in dataclasses.fields(DEFAULT_CANDIDATE_SETTINGS)}
    changes: dict[str, Any] = {}
    for item in filter(None, overrides.split(",")):
        name, _, value = item.partition("=")
        if name.strip() not in types:
            raise SystemExit(f"--settings: unknown field {name!r}; known: {', '.join(types)}")
        number = float(value)
        changes[name.strip()] = int(number) if types[name.strip()] in (int, "int") else number
    return dataclasses.replace(DEFAULT_CANDIDATE_SETTINGS, **changes)


def run(args: argparse.Namespace) -> dict[str, Any]:
    world, facts, cleanup = prepare(args)
    if args.keep and args.build_until and args.build_until < args.cases:
        return {"build": facts}  # a partial build: measured once complete
    try:
        from django.db import connection

        from casebridge.occurrences import selectors

        # The selector reads its module's DEFAULT_CANDIDATE_SETTINGS at each call.
        settings = candidate_settings(args.settings)
        setattr(selectors, "DEFAULT_CANDIDATE_SETTINGS", settings)  # noqa: B010

        rng = random.Random(3)
        sample = rng.sample(range(1, args.cases + 1), min(200, args.cases))
        facts["checked"] = check_documents(sample, args.verify)
        if "path" in facts:
            facts["warm_read_s"] = warm_file(facts["path"])
        load_before = [round(x, 2) for x in os.getloadavg()]
        result = measure(args.cases, args.queries, world, freeze=args.gc_freeze)
        vendor = connection.vendor
    finally:
        cleanup()
    load = {"before": load_before, "after": [round(x, 2) for x in os.getloadavg()]}
    return {
        "machine": machine() | {"load_average": load},
        "database": vendor,
        "cases": args.cases,
        "queries": args.queries,
        "build": facts,
        "settings": repr(settings),
        "gc_freeze": args.gc_freeze,
        **result,
    }


def _line(label: str, figures: dict[str, float]) -> str:
    return f"  {label:<34} {figures['p50_ms']:>8} {figures['p95_ms']:>8} {figures['p99_ms']:>8}"


def render(result: dict[str, Any]) -> str:
    build_ = result["build"]
    lines = [
        f"database: {result['database']}  cases: {result['cases']:,}  "
        f"queries: {result['queries']}  machine: {result['machine']}",
        f"build: {build_['build_s']}s{' (cached)' if build_['cached'] else ''}"
        + (f", {build_['size_gb']} GB at {build_['path']}" if "path" in build_ else "")
        + f"; checked {build_['checked']}",
        f"settings: {result['settings']}  gc.freeze(): {result['gc_freeze']}",
    ]
    for kind, title in (("case", "similar_for_case(k=5)"), ("draft", "similar_for_draft(k=5)")):
        figures = result[kind]
        lines.append(f"\n{title}")
        lines.append(f"  {'measure':<34} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
        lines.append(_line("end to end, wall clock", figures["end_to_end"]))
        lines.append(_line("end to end, CPU", figures["end_to_end_cpu"]))
        lines.append(_line("floor: raw FTS queries, wall", figures["floor_fts"]))
        lines.append(_line("floor: raw FTS queries, CPU", figures["floor_fts_cpu"]))
        ratio = figures["end_to_end_cpu"]["p50_ms"] / max(figures["floor_fts_cpu"]["p50_ms"], 1e-9)
        lines.append(f"  {'(p50 CPU end to end / floor)':<34} {ratio:>8.2f}x")
        for name, values in figures["stages_cpu"].items():
            lines.append(_line(f"  stage (CPU): {name}", values))
        lines.append(
            f"  postings merged (mean): main {figures['main_postings_mean']:,}, title "
            f"{figures['title_postings_mean']:,}; candidates re-ranked (mean) "
            f"{figures['candidates_mean']}; same source in the top 5: "
            f"{figures['same_source_at_5']}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--database-url", default="", help="PostgreSQL server (scratch database)")
    parser.add_argument("--cache-dir", default=str(CACHE_DIR))
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument(
        "--from-cache",
        action="store_true",
        help="PostgreSQL: copy the complete cached SQLite build of --cases instead of building",
    )
    parser.add_argument(
        "--keep",
        metavar="NAME",
        default="",
        help="PostgreSQL: build into database NAME (containing 'bench') on --database-url and "
        "keep it; a later run resumes an unfinished build or measures a finished one",
    )
    parser.add_argument(
        "--build-until",
        type=int,
        default=0,
        metavar="N",
        help="with --keep: stop the build after case N and exit (a later run resumes)",
    )
    parser.add_argument("--verify", action="store_true", help="also recount the term statistics")
    parser.add_argument("--workers", type=int, default=max(1, os.cpu_count() or 1))
    parser.add_argument(
        "--gc-freeze", action="store_true", help="gc.freeze() the heap before measuring"
    )
    parser.add_argument(
        "--settings", default="", help="CandidateSettings overrides, e.g. max_postings=12000"
    )
    args = parser.parse_args()
    result = run(args)
    if "case" not in result:
        print(json.dumps(result["build"]))
        return
    emit(result, args.json, render)


if __name__ == "__main__":
    main()
