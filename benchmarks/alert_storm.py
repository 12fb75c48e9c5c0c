"""Benchmark: an alert storm against the monitoring intake door, end to end.

    .venv/bin/python benchmarks/alert_storm.py [--alerts 20000] [--single 10000] [--json]

A client posts ``--alerts`` alerts in Alertmanager webhook payloads of 1-100 alerts (70% first
firings, 20% repeats of them, 10% resolves of them, shuffled, so a resolve may come before its
firing) over 32 keep-alive connections to ``casebridge serve --workers 2`` on loopback, while
``casebridge worker`` processes; then ``--single`` one-alert payloads the same way. Before the
storm, 64 unmeasured one-alert payloads (one repeated alert) warm every server thread up. The
worker is timed until every payload is folded into groups and until every group's case has
caught up (within ``--drain-timeout``); then the benchmark checks that every alert is reflected
in a group (lost alerts) and that no fingerprint has two open groups (duplicates). Each phase
reports the 1-minute load average after it: other work on the machine shows there. The floor, in
the same run: a bare
bulk INSERT of the same payload rows into the same table schema (one transaction,
``executemany``) — what storing them costs without HTTP, authentication, checks or rate limits.

The alerts are those of a handful of services (5) and tens of rules (30 alertnames) on
many instances (14,000 fingerprints): grouped by ``alertname``, ``service``, ``environment``
(issue 17) they are 150 groups per integration, and the new groups of a service beyond the storm
threshold fold into one storm case. The benchmark reports, per phase, the cases opened, the time
from each alert's first arrival at the door to its case existing (its group's case, opened ahead
of the fold since the worker looks ahead for new grouping keys; 0 if the case was there first),
to its fold (the alert counted), and to both (the later of the two), and from each group's first
alert to its case. Then the fold alone: the storm's payloads stored again for another
integration with the worker stopped, looked ahead at (groups and cases) and folded in-process,
timed (the fold's throughput). On PostgreSQL the floor is the same bulk INSERT into a copy of
the table made with ``CREATE TABLE ... (LIKE monitoring_payload INCLUDING DEFAULTS INCLUDING
INDEXES)``.

Targets (SQLite and PostgreSQL): >= 5,000 alerts/s batched, >= 500 payloads/s single, p99 <=
250 ms, 0 lost and 0 duplicates; issue 17: at most a few dozen cases for the 20,000-alert storm,
first alert to its case p50/p95 <= 2 s.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import random
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import ROOT, emit, machine, percentiles, setup_django

CONNECTIONS = 32
#: Tens of alerting rules (a real Prometheus rule set) on a handful of services, firing on many
#: instances: the storm of one bad deploy or a network partition, not 14,000 unrelated problems.
NAMES = [
    "HighErrorRate",
    "HighLatency",
    "PodCrashLooping",
    "PodNotReady",
    "DiskFull",
    "DiskWillFillIn4Hours",
    "QueueBacklog",
    "CertificateExpiry",
    "ReplicaLag",
    "MemoryPressure",
    "CPUThrottlingHigh",
    "NodeNotReady",
    "TargetDown",
    "InstanceDown",
    "HTTP5xxRatio",
    "SLOBurnRateFast",
    "SLOBurnRateSlow",
    "ConnectionPoolExhausted",
    "DatabaseDeadlocks",
    "CacheHitRatioLow",
    "KafkaConsumerLag",
    "JobFailed",
    "CronJobMissed",
    "TooManyRestarts",
    "OOMKilled",
    "DNSFailures",
    "TLSHandshakeErrors",
    "UpstreamTimeouts",
    "RateLimited",
    "HeapUsageHigh",
]
SERVICES = ["payments", "identity", "search", "notifications", "reporting"]


def seed() -> dict[str, str]:
    from casebridge.catalog.services import service_create
    from casebridge.monitoring.services import integration_create

    for slug in SERVICES:
        service_create(actor=None, name=slug.title(), slug=slug, components=[("Core", False)])
    from casebridge.catalog.models import Service

    secrets = {}
    for slug in ("warmup", "storm", "single", "fold"):
        _, secrets[slug] = integration_create(
            actor=None,
            kind="alertmanager",
            name=f"Bench {slug}",
            slug=slug,
            service=Service.objects.get(slug="payments"),
            rate_limit_per_minute=1_000_000,
            max_body_bytes=1024 * 1024,
        )
    return secrets


def _alert(rng: random.Random, n: int, now: datetime) -> dict[str, Any]:
    labels = {
        "alertname": rng.choice(NAMES),
        "service": rng.choice(SERVICES),
        "severity": rng.choice(["critical", "warning", "info"]),
        "environment": "production",
        "instance": f"host-{n}",
        "job": "node",
    }
    text = json.dumps(sorted(labels.items()), separators=(",", ":"))
    starts = now - timedelta(minutes=rng.randrange(5, 600))
    return {
        "status": "firing",
        "labels": labels,
        "annotations": {"summary": f"{labels['alertname']} on {labels['instance']}"},
        "startsAt": starts.isoformat(),
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.bench:9090/graph?g0.expr=up",
        "fingerprint": hashlib.sha256(text.encode()).hexdigest()[:16],
    }


def storm(total: int, rng: random.Random, *, prefix: int) -> list[dict[str, Any]]:
    """``total`` notifications: 70% first firings, 20% repeats, 10% resolves; shuffled."""
    now = datetime.now(UTC)
    unique = [_alert(rng, prefix + n, now) for n in range(total * 7 // 10)]
    repeats = [dict(rng.choice(unique)) for _ in range(total * 2 // 10)]
    resolves = []
    for alert in rng.sample(unique, total - len(unique) - len(repeats)):
        ends = datetime.fromisoformat(alert["startsAt"]) + timedelta(minutes=3)
        resolves.append(alert | {"status": "resolved", "endsAt": ends.isoformat()})
    notes = unique + repeats + resolves
    rng.shuffle(notes)
    return notes


def payloads(
    notes: list[dict[str, Any]], rng: random.Random, *, sizes: tuple[int, int]
) -> list[bytes]:
    bodies, at = [], 0
    while at < len(notes):
        size = rng.randint(*sizes)
        alerts = notes[at : at + size]
        at += size
        status = "firing" if any(a["status"] == "firing" for a in alerts) else "resolved"
        bodies.append(
            json.dumps(
                {
                    "version": "4",
                    "groupKey": '{}:{alertname="storm"}',
                    "truncatedAlerts": 0,
                    "status": status,
                    "receiver": "casebridge",
                    "groupLabels": {},
                    "commonLabels": {},
                    "commonAnnotations": {},
                    "externalURL": "http://alertmanager.bench:9093",
                    "alerts": alerts,
                }
            ).encode()
        )
    return bodies


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def post_all(port: int, path: str, secret: str, bodies: list[bytes]) -> dict[str, Any]:
    """POST every body over ``CONNECTIONS`` keep-alive connections; latency per request."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    cursor = iter(range(len(bodies)))

    def work() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, bad = [], []
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {secret}"}
        while True:
            with lock:
                n = next(cursor, None)
            if n is None:
                break
            started = time.perf_counter()
            try:
                conn.request("POST", path, bodies[n], headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                bad.append(f"{type(exc).__name__}: {exc}")
                continue
            mine.append((time.perf_counter() - started) * 1000)
            if status != 202:
                bad.append(str(status))
        conn.close()
        with lock:
            latencies.extend(mine)
            failures.extend(bad)

    threads = [threading.Thread(target=work) for _ in range(CONNECTIONS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "latency": percentiles(latencies),
        "failures": failures,
        "load_1min": round(os.getloadavg()[0], 2),
    }


def warmup(port: int, secret: str) -> None:
    """Two requests per connection, one repeated alert, not measured: every server thread has
    opened its database connection and every code path has been imported before the storm."""
    alert = _alert(random.Random(0), -1, datetime.now(UTC))
    bodies = payloads([alert] * (2 * CONNECTIONS), random.Random(0), sizes=(1, 1))
    result = post_all(port, "/api/v1/intake/alertmanager/warmup", secret, bodies)
    if result["failures"]:
        raise SystemExit(f"warm-up failed: {result['failures'][:3]}")


def wait_ready(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("casebridge serve did not start")


def drain(timeout: float) -> dict[str, float | int | None]:
    """Seconds until the worker has folded every payload (every alert is in a group), and until
    it has caught every group's case up (``None`` if not within ``timeout``)."""
    from django.db import connection

    from casebridge.monitoring.models import AlertGroup, Payload

    started = time.perf_counter()
    folded: float | None = None
    cases: float | None = None
    unsynced = -1
    while time.perf_counter() - started < timeout:
        connection.close()
        if folded is None and not Payload.objects.exclude(state="done").exists():
            folded = round(time.perf_counter() - started, 1)
        unsynced = AlertGroup.objects.filter(sync_pending=True).count()
        if folded is not None and not unsynced:
            cases = round(time.perf_counter() - started, 1)
            break
        time.sleep(0.5)
    return {"folded_s": folded, "cases_s": cases, "unsynced": unsynced}


def check(slug: str, notes: list[dict[str, Any]]) -> dict[str, Any]:
    """Lost alerts (every alert sent counted on an alert and its group, every fingerprint
    present), duplicates (a fingerprint or a grouping key open twice), groups, cases, and the
    time from each alert's first arrival at the door to its case existing."""
    from django.db.models import Count, Sum

    from casebridge.monitoring.models import Alert, AlertGroup

    groups = AlertGroup.objects.filter(integration__slug=slug)
    alerts = Alert.objects.filter(integration__slug=slug)
    counted = alerts.aggregate(f=Sum("firing_count"), r=Sum("resolved_count"))
    reflected = (counted["f"] or 0) + (counted["r"] or 0)
    in_groups = groups.aggregate(f=Sum("firing_count"), r=Sum("resolved_count"))
    grouped_count = (in_groups["f"] or 0) + (in_groups["r"] or 0)
    fingerprints = {n["fingerprint"] for n in notes}
    present = set(alerts.values_list("fingerprint", flat=True))

    def twice(query: Any) -> int:
        open_ = query.filter(status__in=["firing", "acknowledged"])
        return int(open_.values("fingerprint").annotate(n=Count("id")).filter(n__gt=1).count())

    group_waits = [
        (at - first).total_seconds() * 1000
        for first, at in groups.exclude(case_at=None).values_list("first_seen", "case_at")
    ]
    waits, no_case, case_waits, fold_waits = [], 0, [], []
    case_at = dict(groups.values_list("id", "case_at"))
    for group_id, first_seen, created_at in alerts.values_list(
        "group_id", "first_seen", "created_at"
    ):
        fold_waits.append((created_at - first_seen).total_seconds() * 1000)
        at = case_at.get(group_id)
        if at is None:
            no_case += 1
            continue
        waits.append((max(at, created_at) - first_seen).total_seconds() * 1000)
        case_waits.append(max(0.0, (at - first_seen).total_seconds() * 1000))
    return {
        "sent": len(notes),
        "reflected": reflected,
        "lost": len(notes) - reflected + len(fingerprints - present),
        "lost_in_groups": len(notes) - grouped_count,
        "alerts": alerts.count(),
        "groups": groups.count(),
        "groups_in_storms": groups.exclude(storm=None).count(),
        "cases": groups.exclude(case=None).values("case").distinct().count(),
        "duplicate_open_groups": twice(groups),
        "duplicate_open_alerts": twice(alerts),
        "alerts_without_case": no_case,
        "first_case_ms": percentiles(waits) if waits else {},
        "case_exists_ms": percentiles(case_waits) if case_waits else {},
        "folded_ms": percentiles(fold_waits) if fold_waits else {},
        "group_first_case_ms": percentiles(group_waits) if group_waits else {},
    }


def floor_pg(bodies: list[bytes], alerts: list[int]) -> dict[str, float]:
    """PostgreSQL: a bare bulk INSERT of the same payload rows, one transaction, into a
    temporary copy of the table (same columns, defaults and indexes)."""
    from django.db import connection, transaction

    now = datetime.now(UTC)
    rows = [
        (1, now, body.decode(), n, "", "pending", 0, now, None, "")
        for body, n in zip(bodies, alerts, strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS floor_payload")
        cursor.execute(
            "CREATE TABLE floor_payload (LIKE monitoring_payload INCLUDING DEFAULTS "
            "INCLUDING IDENTITY INCLUDING INDEXES)"
        )
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO floor_payload (integration_id, received_at, body, alerts, dedup_key,"
            " state, attempts, available_at, processed_at, error)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE floor_payload")
    return {
        "seconds": round(seconds, 4),
        "payloads_per_s": round(len(bodies) / seconds),
        "alerts_per_s": round(sum(alerts) / seconds),
    }


def fold_alone(notes: list[dict[str, Any]], bodies: list[bytes]) -> dict[str, Any]:
    """The fold's own throughput: the storm's payloads stored for one more integration with
    the worker stopped, then folded in this process (``payloads_fold``, the worker's batches)
    until none is due; then their groups' cases caught up (``groups_sync``)."""
    from django.db import connection

    from casebridge.core import clock
    from casebridge.monitoring.ahead import AHEAD_PAYLOADS, groups_ahead
    from casebridge.monitoring.intake import PAYLOAD_INSERT
    from casebridge.monitoring.models import Integration
    from casebridge.monitoring.worker import (
        WORKER_FOLD_ALERTS,
        groups_sync,
        payloads_fold,
    )

    integration = Integration.objects.get(slug="fold")
    counts = _counts(bodies)
    now = connection.ops.adapt_datetimefield_value(clock.now())
    with connection.cursor() as cursor:
        for body, n in zip(bodies, counts, strict=True):
            cursor.execute(PAYLOAD_INSERT, [integration.pk, now, body.decode(), n, "", now])
    connection.close()
    batch = WORKER_FOLD_ALERTS
    started = time.perf_counter()
    ahead: list[int] = []
    while True:
        looked = groups_ahead()
        ahead += looked.created
        if looked.read < AHEAD_PAYLOADS:
            break
    ahead_s = time.perf_counter() - started
    started = time.perf_counter()
    while groups_sync(only=ahead, budget_seconds=0.5, limit=500):
        pass
    ahead_sync_s = time.perf_counter() - started
    started = time.perf_counter()
    folded = 0
    while True:
        done = payloads_fold(max_alerts=batch)
        if not done:
            break
        folded += done
    fold_s = time.perf_counter() - started
    started = time.perf_counter()
    synced = 0
    while True:
        done = groups_sync(budget_seconds=0.5, limit=500)
        if not done:
            break
        synced += done
    sync_s = time.perf_counter() - started
    found = check("fold", notes)
    return {
        "groups_ahead": len(ahead),
        "ahead_s": round(ahead_s, 2),
        "ahead_sync_s": round(ahead_sync_s, 2),
        "alerts": folded,
        "batch_alerts": batch,
        "fold_s": round(fold_s, 2),
        "alerts_per_s": round(folded / fold_s),
        "groups_synced": synced,
        "sync_s": round(sync_s, 2),
        "lost": found["lost"],
        "duplicate_open_groups": found["duplicate_open_groups"],
        "groups": found["groups"],
        "cases": found["cases"],
        "load_1min_after": round(os.getloadavg()[0], 2),
    }


def floor(db: Path, bodies: list[bytes], alerts: list[int], name: str) -> dict[str, float]:
    """A bare bulk INSERT of the same payload rows into a copy of the table (same indexes)."""
    source = sqlite3.connect(db)
    ddl = [
        row[0]
        for row in source.execute(
            "SELECT sql FROM sqlite_master"
            " WHERE tbl_name = 'monitoring_payload' AND sql IS NOT NULL"
        )
    ]
    source.close()
    target = sqlite3.connect(db.with_name(f"floor-{name}.sqlite3"), isolation_level=None)
    target.execute("PRAGMA journal_mode=WAL")
    target.execute("PRAGMA synchronous=NORMAL")
    for statement in ddl:
        target.execute(
            statement.replace(
                'REFERENCES "monitoring_integration" ("id") DEFERRABLE INITIALLY DEFERRED', ""
            )
        )
    now = datetime.now(UTC).isoformat()
    rows = [
        (1, now, body.decode(), n, "", "pending", 0, now, None, "")
        for body, n in zip(bodies, alerts, strict=True)
    ]
    started = time.perf_counter()
    target.execute("BEGIN IMMEDIATE")
    target.executemany(
        "INSERT INTO monitoring_payload (integration_id, received_at, body, alerts, dedup_key,"
        " state, attempts, available_at, processed_at, error)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    target.execute("COMMIT")
    seconds = time.perf_counter() - started
    target.close()
    return {
        "seconds": round(seconds, 4),
        "payloads_per_s": round(len(bodies) / seconds),
        "alerts_per_s": round(sum(alerts) / seconds),
    }


def _storms() -> list[dict[str, Any]]:
    from casebridge.monitoring.models import AlertStorm

    return [
        {"service": s.service.slug, "groups": s.group_count, "case": s.case.key if s.case else None}
        for s in AlertStorm.objects.select_related("service", "case").order_by("id")
    ]


def _cases_total() -> int:
    from casebridge.cases.models import Case

    return Case.objects.count()


def run(args: argparse.Namespace) -> dict[str, Any]:
    load_before = Path("/proc/loadavg").read_text().strip()
    workdir = setup_django(args.database_url)
    db = Path(os.environ["DATABASE_URL"].removeprefix("sqlite:///"))
    secrets = seed()
    rng = random.Random(6)
    storm_notes = storm(args.alerts, rng, prefix=0)
    storm_bodies = payloads(storm_notes, rng, sizes=(1, 100))
    single_notes = storm(args.single, rng, prefix=10_000_000)
    single_bodies = payloads(single_notes, rng, sizes=(1, 1))

    port = _free_port()
    env = {**os.environ, "CASEBRIDGE_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}
    cli = [sys.executable, "-m", "casebridge.cli"]
    log = (workdir / "processes.log").open("wb")
    server = subprocess.Popen(
        [*cli, "serve", "--workers", "2", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    worker_cmd = (
        ["nice", "-n", str(args.worker_nice), *cli, "worker"]
        if args.nice_whole_worker
        else [*cli, "worker", "--nice", str(args.worker_nice)]
    )
    worker = (
        None if args.worker_after else subprocess.Popen(worker_cmd, env=env, stdout=log, stderr=log)
    )
    try:
        wait_ready(port)
        warmup(port, secrets["warmup"])
        batched = post_all(
            port, "/api/v1/intake/alertmanager/storm", secrets["storm"], storm_bodies
        )
        single = post_all(
            port, "/api/v1/intake/alertmanager/single", secrets["single"], single_bodies
        )
        if worker is None:
            worker = subprocess.Popen(worker_cmd, env=env, stdout=log, stderr=log)
        drained = drain(args.drain_timeout)
    finally:
        server.terminate()
        server.wait(timeout=30)
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=60)
        log.close()
    fold_notes = storm(args.alerts, random.Random(7), prefix=20_000_000)
    folded_alone = fold_alone(fold_notes, payloads(fold_notes, random.Random(7), sizes=(1, 100)))
    sqlite = "sqlite" in os.environ["DATABASE_URL"]
    storm_counts, single_counts = _counts(storm_bodies), [1] * len(single_bodies)
    if sqlite:
        floors = {
            "batched": floor(db, storm_bodies, storm_counts, "batched"),
            "single": floor(db, single_bodies, single_counts, "single"),
        }
    else:
        floors = {
            "batched": floor_pg(storm_bodies, storm_counts),
            "single": floor_pg(single_bodies, single_counts),
        }
    result = {
        "machine": machine(),
        "load_before": load_before,
        "worker": " ".join(worker_cmd[worker_cmd.index("worker") :]),
        "worker_nice_whole": args.nice_whole_worker,
        "database": "sqlite" if sqlite else "postgresql",
        "batched": {
            "payloads": len(storm_bodies),
            "alerts": len(storm_notes),
            "seconds": round(batched["seconds"], 2),
            "alerts_per_s": round(len(storm_notes) / batched["seconds"]),
            "payloads_per_s": round(len(storm_bodies) / batched["seconds"]),
            "latency_ms": batched["latency"],
            "failed_requests": len(batched["failures"]),
            "load_1min_after": batched["load_1min"],
            **check("storm", storm_notes),
        },
        "single": {
            "payloads": len(single_bodies),
            "seconds": round(single["seconds"], 2),
            "payloads_per_s": round(len(single_bodies) / single["seconds"]),
            "latency_ms": single["latency"],
            "failed_requests": len(single["failures"]),
            "load_1min_after": single["load_1min"],
            **check("single", single_notes),
        },
        "drain_after_posting": drained,
        "storms": _storms(),
        "cases_total": _cases_total(),
        "fold_alone": folded_alone,
        "floor_bulk_insert": floors,
        "load_after": Path("/proc/loadavg").read_text().strip(),
        "failures_sample": (batched["failures"] + single["failures"])[:5],
    }
    return result


def _counts(bodies: list[bytes]) -> list[int]:
    return [len(json.loads(body)["alerts"]) for body in bodies]


def _line(name: str, c: dict[str, Any]) -> str:
    first, group = c["first_case_ms"], c["group_first_case_ms"]
    exists, folded = c["case_exists_ms"], c["folded_ms"]
    return (
        f"           {name}: lost {c['lost']}, duplicate open groups "
        f"{c['duplicate_open_groups']} (alerts {c['duplicate_open_alerts']}), alerts "
        f"{c['alerts']}, groups {c['groups']} ({c['groups_in_storms']} in storms), cases "
        f"{c['cases']}; an alert's first arrival to its case existing p50 "
        f"{exists.get('p50_ms')} ms, p95 {exists.get('p95_ms')} ms, p99 {exists.get('p99_ms')} "
        f"ms; to its fold p50 {folded.get('p50_ms')} ms, p95 {folded.get('p95_ms')} ms; to both "
        f"p50 {first.get('p50_ms')} ms, p95 {first.get('p95_ms')} ms, p99 {first.get('p99_ms')} "
        f"ms; a group's first alert to its case p50 {group.get('p50_ms')} ms, p95 "
        f"{group.get('p95_ms')} ms"
    )


def render(r: dict[str, Any]) -> str:
    b, s, f = r["batched"], r["single"], r["floor_bulk_insert"]
    d, a = r["drain_after_posting"], r["fold_alone"]
    lines = [
        f"alert storm on {r['database']} ({r['machine']['cpus']} CPUs, {r['machine']['date']}), "
        f"load before {r['load_before']}",
        f"  batched: {b['alerts']} alerts in {b['payloads']} payloads, {b['seconds']} s: "
        f"{b['alerts_per_s']} alerts/s, p50 {b['latency_ms']['p50_ms']} ms, "
        f"p99 {b['latency_ms']['p99_ms']} ms, failed {b['failed_requests']}, "
        f"load {b['load_1min_after']}",
        _line("batched", b),
        f"  single:  {s['payloads']} payloads, {s['seconds']} s: {s['payloads_per_s']} payloads/s, "
        f"p50 {s['latency_ms']['p50_ms']} ms, p99 {s['latency_ms']['p99_ms']} ms, "
        f"failed {s['failed_requests']}, load {s['load_1min_after']}",
        _line("single", s),
        f"  worker, after the last post: every alert in a group in {d['folded_s']} s, every "
        f"group's case caught up in {d['cases_s']} s ({d['unsynced']} groups still pending)",
        f"  storms: {r['storms']}; cases in the database: {r['cases_total']}",
        f"  look ahead (in-process): {a['groups_ahead']} groups in {a['ahead_s']} s, their "
        f"cases in {a['ahead_sync_s']} s",
        f"  fold alone (in-process, {a['batch_alerts']}-alert batches): {a['alerts']} alerts in "
        f"{a['fold_s']} s = {a['alerts_per_s']} alerts/s; {a['groups_synced']} groups synced in "
        f"{a['sync_s']} s; lost {a['lost']}, duplicates {a['duplicate_open_groups']}, groups "
        f"{a['groups']}, cases {a['cases']}",
        f"  floor (bare bulk insert of the same rows): batched {f['batched']['alerts_per_s']} "
        f"alerts/s, single {f['single']['payloads_per_s']} payloads/s",
        f"  load after {r['load_after']}",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--alerts", type=int, default=20_000)
    parser.add_argument("--single", type=int, default=10_000)
    parser.add_argument("--database-url", default=None, help="Default: a fresh SQLite file.")
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=1800,
        help="How long to wait for the worker to open every case after the last post.",
    )
    parser.add_argument(
        "--worker-nice", type=int, default=10, help="The worker's niceness: the door comes first."
    )
    parser.add_argument(
        "--nice-whole-worker",
        action="store_true",
        help="`nice -n N casebridge worker` (the look ahead nice too), not `worker --nice N`.",
    )
    parser.add_argument(
        "--worker-after",
        action="store_true",
        help="Start the worker only once everything is posted (the door alone, for comparison).",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "benchmarks"))
    emit(run(args), args.json, render)


if __name__ == "__main__":
    main()
