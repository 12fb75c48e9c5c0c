"""Benchmark: planning a sprint from a 10k-item backlog (issue 4: <= 300 ms).

    .venv/bin/python benchmarks/sprint_plan.py [--items 10000] [--repeat 30] [--json]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/casebridge_bench \
        .venv/bin/python benchmarks/sprint_plan.py   # a database named *bench* (reset)

Measured, in the same run:
  floor      a bare SELECT of the backlog's rows (the same filter, no counts, no ranking);
  planner    the pure planner alone: rank the 10k candidates and propose (data in memory);
  proposal   ``proposal_for``: load the backlog (items, case counts and impact, pins),
             rank, plan: what the page, the API and the CLI call;
  api        GET /api/v1/backlog/{team}/proposal, JSON included.
"""

from __future__ import annotations

import argparse
import os
import random
from datetime import timedelta
from typing import Any

from sprint_common import (
    analyze,
    bulk_items,
    database_option,
    emit,
    machine,
    seed_people,
    setup_django,
    timed,
)

BUG_PRIORITIES = ["critical"] * 1 + ["major"] * 25 + ["minor"] * 74


def seed(n: int, rng: random.Random) -> dict[str, Any]:
    from casebridge.accounts.services import organisation_create, token_create
    from casebridge.cases.models import Case
    from casebridge.catalog.models import Service
    from casebridge.core import clock
    from casebridge.sprints.models import BacklogPin
    from casebridge.sprints.services import sprint_create

    people = seed_people()
    team, now = people["team"], clock.now()
    service = Service.objects.get(slug="payments")
    rows: list[dict[str, Any]] = []
    for i in range(n):
        kind = rng.random()
        estimate = None if rng.random() < 0.05 else rng.choice([1, 2, 3, 5, 8, 13])
        if kind < 0.4:
            rows.append(
                {
                    "key": f"BUG-{i}",
                    "category": "bug",
                    "status": "triaged",
                    "priority": rng.choice(BUG_PRIORITIES),
                    "service": service,
                    "estimate": estimate,
                }
            )
        elif kind < 0.8:
            rows.append(
                {
                    "key": f"FR-{i}",
                    "category": "feature",
                    "status": "approved",
                    "service": service,
                    "business_value": rng.randint(1, 20),
                    "time_criticality": rng.randint(1, 20),
                    "risk_reduction": rng.randint(1, 20),
                    "job_size": rng.choice([1, 2, 3, 5, 8, 13, 20]),
                    "estimate": estimate,
                }
            )
        else:
            rows.append(
                {
                    "key": f"IMP-{i}",
                    "category": "improvement",
                    "status": "approved",
                    "team": team,
                    "estimate": estimate,
                }
            )
    ids = bulk_items(rows, people["l2"], now, rng)
    from casebridge.workitems.models import WorkItem

    bug_ids = list(WorkItem.objects.filter(category="bug").values_list("pk", flat=True))
    org = organisation_create(actor=None, name="Acme", slug="acme")
    cases = [
        Case(
            key=f"CB-{c}",
            number=c,
            title="Checkout fails",
            description="502",
            source="l1_agent",
            state="escalated",
            reporter=people["l2"],
            organisation=org,
            service=service,
            environment="production",
            impact=rng.choice(["low", "medium", "high", "critical"]),
            work_item_id=rng.choice(bug_ids),
            created_at=now,
        )
        for c in range(1, n // 3 + 1)
    ]
    Case.objects.bulk_create(cases, batch_size=2000)
    for position, item_id in enumerate(rng.sample(ids, 20), start=1):
        BacklogPin.objects.create(
            team=team,
            item_id=item_id,
            position=position * 7,
            pinned_by=people["rte"],
            pinned_at=now,
        )
    today = clock.now().date()
    start = today - timedelta(days=today.weekday())
    sprint_create(
        actor=None, team=team, name="Now", start=start, end=start + timedelta(13), capacity=40
    )
    nxt = sprint_create(
        actor=None,
        team=team,
        name="Next",
        start=start + timedelta(14),
        end=start + timedelta(27),
        capacity=60,
    )
    _, token = token_create(actor=None, user=people["rte"], name="bench", scope="read")
    analyze()
    return {**people, "next": nxt, "token": token}


def run(n: int, repeat: int) -> dict[str, Any]:
    workdir = setup_django()
    from django.db import connection
    from django.test import Client

    from casebridge.core import clock
    from casebridge.sprints import planner
    from casebridge.sprints.ranking import rank_backlog
    from casebridge.sprints.selectors.backlog import backlog_items, candidates, proposal_for

    world = seed(n, random.Random(4))
    team, rte = world["team"], world["rte"]
    loaded = candidates(team)
    assert len(loaded) == n, len(loaded)

    def floor() -> None:
        list(
            backlog_items(team).values_list(
                "pk", "key", "category", "title", "created_at", "priority", "estimate"
            )
        )

    def pure() -> None:
        planner.propose(
            rank_backlog(loaded, now=clock.now()),
            sprint=planner.Slot(2, "Next", 60),
            current=planner.Slot(1, "Now", 40),
        )

    def proposal() -> None:
        proposal_for(rte, team)

    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {world['token']}"}

    def api() -> None:
        response = client.get(f"/api/v1/backlog/{team.slug}/proposal", **auth)
        assert response.status_code == 200, response.content[:300]

    shown = proposal_for(rte, team)
    return {
        "machine": machine(),
        "database": connection.vendor,
        "dir": str(workdir),
        "items": n,
        "chosen": len(shown.chosen),
        "floor": timed(floor, repeat),
        "planner": timed(pure, repeat),
        "proposal": timed(proposal, repeat),
        "api": timed(api, repeat),
    }


def render(r: dict[str, Any]) -> str:
    floor = r["floor"]["p95_ms"]
    lines = [
        f"database: {r['database']}  machine: {r['machine']}",
        f"{r['items']:,} backlog items, {r['chosen']} chosen",
        f"  {'measure':<58} {'p50 ms':>8} {'p95 ms':>8}",
    ]
    for label, key in (
        ("bare SELECT of the backlog rows (floor)", "floor"),
        ("pure planner: rank + propose (in memory)", "planner"),
        ("proposal_for: load, rank, plan (target <= 300 ms)", "proposal"),
        ("GET /api/v1/backlog/{team}/proposal", "api"),
    ):
        f = r[key]
        ratio = f"   ({f['p95_ms'] / floor:.1f}x floor)" if key != "floor" and floor else ""
        lines.append(f"  {label:<58} {f['p50_ms']:>8} {f['p95_ms']:>8}{ratio}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    database_option(parser)
    args = parser.parse_args()
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    emit(run(args.items, args.repeat), args.json, render)


if __name__ == "__main__":
    main()
