"""Benchmark: 10,000 transitions through ``work_item_transition`` (issue 3).

    .venv/bin/python benchmarks/work_item_transitions.py [--bugs 1000] [--clients 4] [--json]
    .venv/bin/python benchmarks/work_item_transitions.py \\
        --database-url postgres://postgres@127.0.0.1:5432/casebridge_bench  # named *bench*: reset

1,000 bugs (after 20 for warm-up) are each walked through the whole bug workflow, one call of
the service per step, with raw input as the API and the CLI pass it (usernames, a sprint id):

    triage -> schedule -> assign -> start -> submit_review -> approve_review -> test_pass
           -> release -> deploy -> validate

that is 10 transitions per bug, 10,000 in all. Each call resolves its input, locks the row,
evaluates every rule (roles, required input, ladder policies, review independence), applies the
effect, writes the transition's audit events and its outbox row and runs the ``after`` hooks, in
one transaction. Measured, in the same run:

  service   each ``work_item_transition`` call (ms per transition: p50, p95, p99, mean), and per
            action;
  floor     for the same 10,000 steps on other bugs, the least a transition can cost: one
            transaction with a bare UPDATE of the status and an INSERT of one audit row;
  clients   with ``--clients N``: the same walk over ``--bugs`` other bugs from N threads at
            once (a connection each): transitions per second of the whole, and latency.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import defaultdict
from datetime import timedelta
from typing import Any

from sprint_common import database_option, emit, machine, setup_django

WARMUP_BUGS = 20
DOCS = {"description": "Checkout fails", "steps_to_reproduce": "Pay", "actual_result": "502"}


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 3)

    return {
        "n": len(ordered),
        "p50_ms": pick(0.50),
        "p95_ms": pick(0.95),
        "p99_ms": pick(0.99),
        "mean_ms": round(statistics.fmean(ordered), 3),
    }


def seed() -> dict[str, Any]:
    """People of every part the walk needs, a development team and its current sprint."""
    from casebridge.accounts.models import User
    from casebridge.accounts.services import team_create, user_create
    from casebridge.sprints.selectors.sprints import today
    from casebridge.sprints.services import sprint_create

    roles = {
        "rte": (["rte"], ""),
        "l2": (["l2_engineer"], ""),
        "dev": (["developer"], "L3"),
        "reviewer": (["developer"], "L3"),
        "qa": (["qa"], ""),
        "devops": (["devops"], ""),
    }
    for name, (granted, level) in roles.items():
        user_create(actor=None, username=name, email=f"{name}@x.test", roles=granted, level=level)
    people = {u.username: u for u in User.objects.prefetch_related("role_grants")}
    team = team_create(actor=None, name="Core", members=[people["dev"], people["reviewer"]])
    day = today()
    sprint = sprint_create(
        actor=None, team=team, name="Now", start=day - timedelta(days=3), end=day + timedelta(10)
    )
    return {"people": people, "sprint": sprint}


def walk(world: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(who, action, raw input) for the ten steps of a bug's delivery."""
    return [
        ("rte", "triage", {"priority": "major", "impact": "3% of EU card payments fail"}),
        ("rte", "schedule", {"sprint": world["sprint"].pk}),
        ("rte", "assign", {"assignees": ["dev"]}),
        ("dev", "start", {}),
        ("dev", "submit_review", {"reviewer": "reviewer"}),
        ("reviewer", "approve_review", {}),
        ("qa", "test_pass", {"evidence": "Checkout suite green"}),
        ("devops", "release", {"version": "4.2.2"}),
        ("devops", "deploy", {"environment": "production"}),
        ("l2", "validate", {}),
    ]


def bugs(n: int, creator: Any) -> list[Any]:
    from casebridge.workitems.services import work_item_create

    return [
        work_item_create(actor=creator, category="bug", title=f"Checkout 502 #{i}", docs=DOCS)
        for i in range(n)
    ]


def run_service(world: dict[str, Any], n: int) -> dict[str, Any]:
    from django.db import connection

    from casebridge.workitems.services import work_item_transition

    people, steps = world["people"], walk(world)
    queries = 0

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    for bug in bugs(WARMUP_BUGS, people["l2"]):
        item = bug
        for who, action, data in steps:
            item = work_item_transition(actor=people[who], item=item, action=action, data=data)
    items = bugs(n, people["l2"])
    samples: list[float] = []
    per_action: dict[str, list[float]] = defaultdict(list)
    started = time.perf_counter()
    with connection.execute_wrapper(count):
        for bug in items:
            item = bug
            for who, action, data in steps:
                t0 = time.perf_counter()
                item = work_item_transition(actor=people[who], item=item, action=action, data=data)
                elapsed = (time.perf_counter() - t0) * 1000
                samples.append(elapsed)
                per_action[action].append(elapsed)
            assert item.status == "closed", item.status
    wall = time.perf_counter() - started
    return {
        **percentiles(samples),
        "per_second": round(len(samples) / wall),
        "queries_per_transition": round(queries / len(samples), 1),
        "per_action": {a: percentiles(s) for a, s in per_action.items()},
    }


def run_floor(world: dict[str, Any], n: int) -> dict[str, Any]:
    """A bare UPDATE of the status and an INSERT of one audit row, one transaction per step."""
    import json

    from django.db import connection, transaction

    from casebridge.core import clock

    statuses = ["new", "triaged", "scheduled", "in_progress", "in_progress", "in_review"]
    statuses += ["in_testing", "in_release", "in_release", "awaiting_validation", "closed"]
    actions = [action for _, action, _ in walk(world)]
    actor = world["people"]["rte"].pk
    items = [(b.pk, b.key) for b in bugs(n + WARMUP_BUGS, world["people"]["l2"])]
    update = "UPDATE workitems_workitem SET status = %s, updated_at = %s WHERE id = %s"
    insert = (
        "INSERT INTO audit_auditevent (at, actor_id, subject_type, subject_key, action, field,"
        " old, new, reason, data, public) VALUES (%s, %s, 'work_item', %s, %s, 'status',"
        " %s, %s, '', %s, %s)"
    )
    flag = json.dumps({"transition": True})
    samples: list[float] = []
    for number, (pk, key) in enumerate(items):
        for step, action in enumerate(actions):
            old, new = statuses[step], statuses[step + 1]
            t0 = time.perf_counter()
            with transaction.atomic(), connection.cursor() as cursor:
                now = clock.now()
                cursor.execute(update, [new, now, pk])
                cursor.execute(insert, [now, actor, key, action, old, new, flag, False])
            if number >= WARMUP_BUGS:
                samples.append((time.perf_counter() - t0) * 1000)
    return percentiles(samples)


def run_concurrent(world: dict[str, Any], n: int, clients: int) -> dict[str, Any]:
    """The same walk over ``n`` other bugs from ``clients`` threads (a connection each) at once:
    transitions per second of the whole, as concurrent API or CLI callers see it."""
    import threading

    from django.db import connection

    from casebridge.workitems.services import work_item_transition

    people, steps = world["people"], walk(world)
    items = bugs(n, people["l2"])
    samples: list[float] = []
    lock = threading.Lock()

    def client(share: list[Any]) -> None:
        mine: list[float] = []
        try:
            for bug in share:
                item = bug
                for who, action, data in steps:
                    t0 = time.perf_counter()
                    item = work_item_transition(
                        actor=people[who], item=item, action=action, data=data
                    )
                    mine.append((time.perf_counter() - t0) * 1000)
                assert item.status == "closed", item.status
        finally:
            connection.close()
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=client, args=(items[c::clients],)) for c in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    assert len(samples) == n * len(steps), "a client failed"
    return {"clients": clients, **percentiles(samples), "per_second": round(len(samples) / wall)}


def render(result: dict[str, Any]) -> str:
    service, floor = result["service"], result["floor"]
    lines = [
        f"work_item_transition: {service['n']} transitions on {result['database']}",
        f"  service  p50 {service['p50_ms']} ms  p95 {service['p95_ms']} ms  "
        f"p99 {service['p99_ms']} ms  mean {service['mean_ms']} ms  "
        f"({service['per_second']}/s, {service['queries_per_transition']} queries each)",
        f"  floor    p50 {floor['p50_ms']} ms  p95 {floor['p95_ms']} ms  "
        f"p99 {floor['p99_ms']} ms  mean {floor['mean_ms']} ms",
        f"  service / floor (mean): {result['ratio_mean']}x",
        "  per action (p50 / p95 / mean ms):",
    ]
    lines += [
        f"    {action:<15} {s['p50_ms']:>7} {s['p95_ms']:>7} {s['mean_ms']:>7}"
        for action, s in service["per_action"].items()
    ]
    if "concurrent" in result:
        c = result["concurrent"]
        lines.append(
            f"  {c['clients']} clients at once: {c['per_second']} transitions/s "
            f"(p50 {c['p50_ms']} ms, p95 {c['p95_ms']} ms)"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bugs", type=int, default=1000, help="Bugs walked (10 steps each).")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--clients",
        type=int,
        default=0,
        help="Also walk --bugs other bugs from this many threads at once (0: not).",
    )
    database_option(parser)
    args = parser.parse_args()
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    setup_django()
    from django.db import connection

    world = seed()
    service = run_service(world, args.bugs)
    floor = run_floor(world, args.bugs)
    result = {
        "benchmark": "work_item_transitions",
        "database": connection.vendor,
        "bugs": args.bugs,
        "machine": machine(),
        "service": service,
        "floor": floor,
        "ratio_mean": round(service["mean_ms"] / floor["mean_ms"], 1),
    }
    if args.clients:
        result["concurrent"] = run_concurrent(world, args.bugs, args.clients)
    emit(result, args.json, render)


if __name__ == "__main__":
    main()
