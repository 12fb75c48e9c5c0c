"""Benchmark: the periodic SLA tick over open cases with clocks (issue 15: p95 <= 1 s at 100,000),
and the support dashboard over the cases' history (issue 15: p95 <= 500 ms at 1M cases and 5M
audit events).

    .venv/bin/python benchmarks/sla.py [--open 100000] [--cases 1000000] [--events 5000000] [--json]
    .venv/bin/python benchmarks/sla.py --database-url postgres://postgres@127.0.0.1:5432/casebridge_bench_sla
    .venv/bin/python benchmarks/sla.py --cache-dir DIR [--build-only] [--database-url URL]

``--cache-dir`` keeps the seeded history and its rollup (a SQLite file there; on PostgreSQL the
template database ``<name>_cache``) and measures a copy, with the clock set back to the moment
the cache was ready; the rollup is rebuilt when its code or migrations change. ``--build-only``
builds the cache's next stage (the seed, then the rollup) and stops: one short lock holding each.

Seeding is raw (COPY on PostgreSQL, ``executemany`` on SQLite, big transactions) and never
measured; the rollup is then built by the product's own ``rollup_rebuild`` (timed, not part of
the measures). The history: ``--cases`` cases; the closed ones created over the year up to 9 days
ago, each with five audit events (created, taken, a public reply by staff, resolved, closed) and
a sixth (an internal note) for as many as ``--events`` allows; the newest ``--open`` cases are
open (created over the last 7 days, two events), each with a 24x7 policy's first-response (1 h)
and resolution (7 d) clocks stored as ``compute_clock`` gives them.
Measured, in the same run:
  tick_floor    a bare SELECT of the clocks whose warning or breach is due (the tick's index read);
  tick          ``sla_tick`` passes 15 s apart: each recomputes and acts on the clocks that came
                due in those 15 s (about 10 at 100k open cases spread over a week);
  tick_burst    one pass with thousands of clocks due (a worker outage): bounded to 100
                clocks and 0.5 s per pass;
  report_floor  a bare SELECT of the keys of the cases opened in the window (28 days);
  report        ``support_report_for``: every table of the dashboard (28 days, per week);
  page          GET /reports/support/ (the page: every chart and table), as an administrator.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import time_machine

from sprint_common import emit, machine, setup_django, timed

FIRST_RESPONSE = timedelta(hours=1)
RESOLUTION = timedelta(days=7)
BATCH = 20_000


def _loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().strip()
    except OSError:
        return ""


def seed_world() -> dict[str, Any]:
    from casebridge.accounts.services import organisation_create, user_create
    from casebridge.catalog.models import Component, Service
    from casebridge.sla.calendars import calendar_create
    from casebridge.sla.policies import policy_create

    org = organisation_create(actor=None, name="Acme Retail", slug="acme")
    services = []
    for slug in ("payments", "identity", "search", "notifications", "reporting"):
        service = Service.objects.create(name=slug.title(), slug=slug)
        Component.objects.create(service=service, name="Core", slug="core")
        services.append(service)
    l2 = user_create(actor=None, username="l2", email="l2@x.test", roles=["l2_engineer"])
    admin = user_create(actor=None, username="admin", email="a@x.test", roles=["admin"])
    reporter = user_create(
        actor=None, username="cust", email="c@x.test", roles=["reporter"], organisation=org
    )
    always = calendar_create(actor=None, name="24x7", always_open=True)
    policy = policy_create(
        actor=None,
        name="Every case",
        calendar=always,
        first_response_minutes=int(FIRST_RESPONSE.total_seconds() // 60),
        resolution_minutes=int(RESOLUTION.total_seconds() // 60),
    )
    return {"org": org, "services": services, "l2": l2, "admin": admin, "reporter": reporter,
            "policy": policy}  # fmt: skip


def _clock_rows(case_id: int, created: datetime, now: datetime, policy_id: int) -> list[tuple]:
    """The two clocks of an open case with no reply yet, as compute_clock gives them (24x7)."""
    rows = []
    for kind, target in (("first_response", FIRST_RESPONSE), ("resolution", RESOLUTION)):
        due, warn = created + target, created + target * 0.75
        breached = due <= now
        elapsed = min(target, now - created) if not breached else now - created
        rows.append((
            case_id, kind, policy_id, "breached" if breached else "running",
            int(target.total_seconds()), created, due, warn, None, due if breached else None,
            int(elapsed.total_seconds()),
            0 if breached else int((target - (now - created)).total_seconds()),
            0, now, warn if warn <= now else None, due if breached else None,
        ))  # fmt: skip
    return rows


CASE_DEFAULTS = {"description": "Customers see an error.", "source": "portal",
                 "environment": "production", "version": "", "action_taken": "",
                 "resolution_note": "", "fixed_version": "", "reopen_count": 0,
                 "sla_paused": False}  # fmt: skip
AUDIT_COLUMNS = ("at", "actor_id", "subject_type", "subject_key", "action", "field", "old", "new",
                 "reason", "data", "public")  # fmt: skip


def _insert(table: str, columns: list[str] | tuple[str, ...], rows: list[tuple]) -> None:
    """Raw bulk insert: COPY on PostgreSQL, ``executemany`` on SQLite (one transaction)."""
    from django.db import connection

    if not rows:
        return
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        raw = connection.connection
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def seed_history(world: dict[str, Any], cases: int, events: int, open_cases: int) -> None:
    from django.db import connection, transaction

    from casebridge.audit.models import AuditEvent
    from casebridge.cases.models import Case, Resolution
    from casebridge.core import clock
    from casebridge.sla.models import TickCursor

    rng = random.Random(15)
    now = clock.now()
    span = timedelta(days=365)
    closed_cases = cases - open_cases
    base = closed_cases * 5 + open_cases * 2
    extra = max(0, min(closed_cases, events - base))  # a sixth event (an internal note) each
    fields = [f for f in Case._meta.concrete_fields if not f.primary_key]
    case_columns = [f.column for f in fields]
    l2, services = world["l2"].pk, world["services"]
    org, reporter = world["org"].pk, world["reporter"].pk
    first_open = cases - open_cases + 1
    for start in range(1, cases + 1, BATCH):
        numbers = range(start, min(cases, start + BATCH - 1) + 1)
        batch, audit = [], []
        for number in numbers:
            is_open = number >= first_open
            if is_open:
                created = now - RESOLUTION * ((cases - number + rng.random()) / max(1, open_cases))
            else:
                # closed cases over the year up to 9 days ago (resolved and closed by now)
                created = (
                    now
                    - timedelta(days=9)
                    - (span - timedelta(days=9))
                    * ((closed_cases - number + rng.random()) / max(1, closed_cases))
                )
            resolved = None if is_open else created + timedelta(hours=rng.uniform(1, 120))
            closed = None if is_open else resolved + timedelta(days=3)  # type: ignore[operator]
            key = f"CB-{number}"
            values = CASE_DEFAULTS | {
                "key": key, "number": number, "title": f"Checkout fails ({number})",
                "state": "investigating" if is_open else "closed",
                "resolution": "" if is_open else Resolution.NO_FAULT.value,
                "reporter_id": reporter, "organisation_id": org, "owner_id": l2,
                "service_id": services[number % len(services)].pk,
                "impact": rng.choice(["low", "medium", "high", "critical"]),
                "created_at": created, "updated_at": created, "resolved_at": resolved,
                "closed_at": closed,
            }  # fmt: skip
            batch.append(tuple(values.get(f.attname) for f in fields))
            steps = [(created, None, "created", "", "", "new", True),
                     (created + timedelta(minutes=5), l2, "take", "state", "new", "investigating",
                      False)]  # fmt: skip
            if not is_open:
                reply = created + timedelta(minutes=rng.uniform(6, 600))
                steps += [
                    (reply, l2, "commented", "", "", "", True),
                    (resolved, l2, "resolve", "state", "investigating", "resolved", True),
                    (closed, None, "close", "state", "resolved", "closed", False),
                ]
                if number <= extra:
                    steps.append((reply + timedelta(minutes=1), l2, "noted", "", "", "", False))
            for at, actor, action, fld, old, new, public in steps:
                audit.append((at, actor, "case", key, action, fld, old, new, "", "{}", public))
        with transaction.atomic():
            _insert("cases_case", case_columns, batch)
            _insert("audit_auditevent", AUDIT_COLUMNS, audit)
    ids = dict(Case.objects.filter(number__gte=first_open).values_list("number", "id"))
    created_at = dict(Case.objects.filter(number__gte=first_open).values_list("id", "created_at"))
    rows: list[tuple] = []
    with transaction.atomic():
        for case_id in ids.values():
            rows += _clock_rows(case_id, created_at[case_id], now, world["policy"].pk)
        _insert("sla_clock", CLOCK_COLUMNS, rows)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_sequence SET value = %s WHERE name = 'CB'", [cases])
        if cursor.rowcount == 0:
            cursor.execute("INSERT INTO core_sequence (name, value) VALUES ('CB', %s)", [cases])
        cursor.execute("ANALYZE")
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    for name in ("audit", "items"):
        TickCursor.objects.update_or_create(name=name, defaults={"last_id": last})
    TickCursor.objects.filter(name="policies").delete()  # the policy's recompute is done above


CLOCK_COLUMNS = ("case_id", "kind", "policy_id", "state", "target_seconds", "started_at",
                 "due_at", "warn_at", "stopped_at", "breached_at", "elapsed_seconds",
                 "remaining_seconds", "paused_seconds", "computed_at", "warned_at",
                 "breach_acted_at")  # fmt: skip


def build_rollup() -> float:
    """The rollup of the seeded history, through the product's own rebuild."""
    from django.db import connection

    from casebridge.reporting.rollup import rollup_rebuild

    began = time.perf_counter()
    rollup_rebuild()
    seconds = round(time.perf_counter() - began, 1)
    with connection.cursor() as cursor:
        # as autovacuum leaves a table: statistics, and on PostgreSQL the visibility map that
        # index-only scans need
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return seconds


def measure_tick(repeat: int) -> dict[str, Any]:
    from casebridge.core import clock
    from casebridge.sla.models import Clock
    from casebridge.sla.services import sla_tick

    start = clock.now()
    step = {"i": 0}

    def floor() -> None:
        now = start + timedelta(seconds=15 * step["i"])
        list(Clock.objects.filter(state="running", warned_at__isnull=True, warn_at__lte=now)
             .values_list("id", flat=True)[:500])  # fmt: skip
        list(Clock.objects.filter(state__in=["running", "breached"], breach_acted_at__isnull=True,
                                  due_at__lte=now).values_list("id", flat=True)[:500])  # fmt: skip

    acted: list[int] = []

    def tick() -> None:
        step["i"] += 1
        acted.append(sla_tick(now=start + timedelta(seconds=15 * step["i"])))

    result = {"tick_floor": timed(floor, repeat), "tick": timed(tick, repeat, warmup=2)}
    result["tick"]["acted_per_pass_mean"] = round(sum(acted) / max(1, len(acted)), 1)
    # A burst: every clock due in the next hours at once (the tick's batch caps the pass).
    burst_at = start + timedelta(seconds=15 * step["i"]) + timedelta(hours=3)
    began = time.perf_counter()
    n = sla_tick(now=burst_at)
    result["tick_burst"] = {"acted": n, "ms": round((time.perf_counter() - began) * 1000, 1)}
    return result


def measure_report(world: dict[str, Any], repeat: int) -> dict[str, Any]:
    from django.test import Client

    from casebridge.cases.models import Case
    from casebridge.core import clock
    from casebridge.reporting.support import BUILDERS, filters_for, support_report_for

    end = clock.now()
    f = filters_for(start=end - timedelta(days=28), end=end, period="week")
    admin = world["admin"]

    def floor() -> None:
        list(Case.objects.filter(created_at__gte=f.start, created_at__lt=f.end)
             .values_list("key", flat=True))  # fmt: skip

    out: dict[str, Any] = {
        "window_cases": Case.objects.filter(created_at__gte=f.start, created_at__lt=f.end).count(),
        "report_floor": timed(floor, repeat, warmup=1),
    }
    out["report"] = timed(lambda: support_report_for(admin, f), repeat, warmup=1)
    out["tables_ms"] = {}
    for name in BUILDERS:
        began = time.perf_counter()
        support_report_for(admin, f, [name])
        out["tables_ms"][name] = round((time.perf_counter() - began) * 1000, 1)
    client = Client()
    client.force_login(admin)

    def page() -> None:
        response = client.get("/reports/support/")
        assert response.status_code == 200, response.status_code

    out["page"] = timed(page, repeat, warmup=1)
    return out


SEED_VERSION = 1  # bump when seed_world or seed_history change: the caches are rebuilt
ROOT = Path(__file__).resolve().parent.parent


def rollup_fingerprint() -> str:
    """The rollup's code and schema: a cache whose rollup another version built rebuilds it."""
    digest = hashlib.sha256()
    reporting = ROOT / "src" / "casebridge" / "reporting"
    for path in [*sorted((reporting / "migrations").glob("0*.py")), reporting / "rollup.py"]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _fresh_build(args: argparse.Namespace) -> dict[str, Any]:
    setup_django(args.database_url or None)
    world = seed_world()
    began = time.perf_counter()
    seed_history(world, args.cases, args.events, args.open)
    return {"seed_seconds": round(time.perf_counter() - began, 1),
            "rollup_build_seconds": build_rollup()}  # fmt: skip


def _cached_build(args: argparse.Namespace) -> dict[str, Any] | None:
    """Build (or finish) the cache of ``args``'s seeded history and its rollup, one stage per
    call with ``--build-only`` (seed, then rollup: each fits one short lock holding); then copy
    it to the database measured (the measures change clocks and write audit events). Returns the
    cache's facts, or None after a ``--build-only`` stage."""
    cache_dir = Path(args.cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    key = f"sla-{args.cases}-{args.events}-{args.open}-v{SEED_VERSION}"
    server, _, name = args.database_url.rpartition("/")
    if args.database_url:
        cache_url, target = f"{server}/{name}_cache", f"{server}/{name}"
        meta_path = cache_dir / f"{key}-{name}.json"
    else:
        cache_url = f"sqlite:///{cache_dir / key}.sqlite3"
        target, meta_path = "", cache_dir / f"{key}.json"
    meta: dict[str, Any] = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    if meta.get("stage") is None:
        if not args.database_url:
            for stale in cache_dir.glob(f"{key}.sqlite3*"):
                stale.unlink()
        setup_django(cache_url)
        world = seed_world()
        began = time.perf_counter()
        seed_history(world, args.cases, args.events, args.open)
        meta = {"stage": "seeded", "seeded_at": datetime.now(UTC).isoformat(),
                "seed_seconds": round(time.perf_counter() - began, 1)}  # fmt: skip
        meta_path.write_text(json.dumps(meta))
        if args.build_only:
            return None
    else:
        setup_django(cache_url, fresh=False)
    # only now: setup_django puts this tree's src first on the path (an earlier import would
    # find the installed casebridge)
    from django.db import connections

    from casebridge.core import clock

    if meta.get("rollup") != rollup_fingerprint():
        seconds = build_rollup()
        meta |= {"stage": "rolled", "rollup": rollup_fingerprint(),
                 "rollup_build_seconds": seconds, "ready_at": clock.now().isoformat()}  # fmt: skip
        meta_path.write_text(json.dumps(meta))
        if args.build_only:
            return None
    elif args.build_only:
        return None
    connections.close_all()
    default = connections["default"]
    if args.database_url:
        import psycopg

        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{name}_cache"')
        default.settings_dict["NAME"] = target.rpartition("/")[2]
    else:
        copy = Path(tempfile.mkdtemp(prefix="casebridge-bench-sla-")) / "bench.sqlite3"
        shutil.copyfile(cache_url.removeprefix("sqlite:///"), copy)
        default.settings_dict["NAME"] = str(copy)
    # the measures run at the moment the cache was ready, as a fresh run would
    time_machine.travel(datetime.fromisoformat(meta["ready_at"]), tick=True).start()
    return {"cached": str(cache_url), "seed_seconds": meta["seed_seconds"],
            "rollup_build_seconds": meta["rollup_build_seconds"]}  # fmt: skip


def run(args: argparse.Namespace) -> dict[str, Any] | None:
    built = _cached_build(args) if args.cache_dir else _fresh_build(args)
    if built is None:
        return None
    import casebridge

    # the code measured is this tree's, not an installed copy's
    assert Path(casebridge.__file__).resolve().is_relative_to(ROOT), casebridge.__file__
    from django.contrib.auth import get_user_model
    from django.db import connection

    from casebridge.audit.models import AuditEvent
    from casebridge.sla.models import Clock

    world = {"admin": get_user_model().objects.get(username="admin")}
    result: dict[str, Any] = {
        "benchmark": "sla",
        "database": connection.vendor,
        "cases": args.cases,
        "open_cases": args.open,
        "audit_events": AuditEvent.objects.count(),
        "clocks": Clock.objects.count(),
        **built,
        "machine": machine(),
        "loadavg_before": _loadavg(),
    }
    result |= measure_tick(args.repeat)
    result |= measure_report(world, args.repeat)
    result["loadavg_after"] = _loadavg()
    result["targets"] = {
        "tick_p95_ms<=1000": result["tick"]["p95_ms"] <= 1000,
        "report_p95_ms<=500": result["report"]["p95_ms"] <= 500,
        "page_p95_ms<=500": result["page"]["p95_ms"] <= 500,
    }
    return result


def render(r: dict[str, Any]) -> str:
    lines = [
        f"SLA benchmark on {r['database']}: {r['cases']:,} cases ({r['open_cases']:,} open, "
        f"{r['clocks']:,} clocks), {r['audit_events']:,} audit events; seeded in "
        f"{r['seed_seconds']} s, rollup built in {r['rollup_build_seconds']} s; "
        f"load {r['loadavg_before']}",
        f"  tick floor   p95 {r['tick_floor']['p95_ms']} ms (bare SELECT of due clocks)",
        f"  tick         p95 {r['tick']['p95_ms']} ms, p50 {r['tick']['p50_ms']} ms, "
        f"{r['tick']['acted_per_pass_mean']} clocks acted on per pass",
        f"  tick burst   {r['tick_burst']['acted']} clocks in {r['tick_burst']['ms']} ms",
        f"  report floor p95 {r['report_floor']['p95_ms']} ms "
        f"({r['window_cases']:,} cases in 28 d)",
        f"  report       p95 {r['report']['p95_ms']} ms; per table {r['tables_ms']}",
        f"  page         p95 {r['page']['p95_ms']} ms",
        f"  targets      {r['targets']}",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--cache-dir",
        default="",
        help="keep the seeded history and its rollup (a SQLite file here; on PostgreSQL a "
        "template database <name>_cache) and measure a copy of it, at the moment it was built",
    )
    parser.add_argument(
        "--build-only",
        action="store_true",
        help="with --cache-dir: build the cache's next stage (seed, then rollup) and stop",
    )
    args = parser.parse_args()
    if args.open > args.cases:
        parser.error("--open must not exceed --cases")
    if args.build_only and not args.cache_dir:
        parser.error("--build-only needs --cache-dir")
    result = run(args)
    if result is not None:
        emit(result, args.json, render)


if __name__ == "__main__":
    main()
