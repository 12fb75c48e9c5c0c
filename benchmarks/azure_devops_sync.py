"""Benchmark: the Azure DevOps sync against the test suite's fake Azure DevOps (HTTPS on loopback).

    .venv/bin/python benchmarks/azure_devops_sync.py [--items 10000] [--workers 8]
        [--changes 200] [--latency 0.05] [--database-url URL] [--json]

Phases, in one run:

* **mirror**: ``--items`` open bugs exist in Casebridge when the project is connected; one
  reconcile pass (``--workers`` items at once, as ``casebridge azure-devops sync --workers``)
  creates them all in Azure DevOps. Mirrored items per second, and requests per item (the floor
  is one: the create).
* **steady**: with ``--latency`` seconds added to every answer of the fake (50 ms: Azure DevOps
  is far away), a worker processes stored hooks and a relay delivers the outbox, as
  ``casebridge worker`` and ``casebridge relay`` do, while ``--changes`` changes are made one
  after another, alternating sides: the RTE re-triages a bug in Casebridge (it must reach Azure
  DevOps), a developer renames one in Azure DevOps (its service hook must reach Casebridge). Lag is
  the time from the change to the other side having it (Azure DevOps' store committing the PATCH;
  Casebridge's row changing), p50/p95 per direction and overall (target p95 <= 2 s). Requests per
  change counts the REST calls Casebridge made to Azure DevOps (the floor: one per change made in
  Casebridge; none for a change arriving by hook, whose revision the hook carries), besides the
  hook posts.

PostgreSQL: ``--database-url postgres://postgres@127.0.0.1:5432/casebridge_bench``.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from typing import Any

from _common import ROOT, emit, machine, percentiles, setup_django

sys.path.insert(0, str(ROOT))

PAT = "q7w3mbx2lkd5e4nq6yfa9c3ir8tvz2hjk4s6u1p0xo7gd5wemrna"


def _people() -> dict[str, Any]:
    from casebridge.accounts.models import User
    from casebridge.accounts.services import user_create

    people = {}
    for username, roles, level in (
        ("l2", ["l2_engineer"], ""),
        ("rte", ["rte"], ""),
        ("dev3", ["developer"], "L3"),
    ):
        user_create(
            actor=None,
            username=username,
            email=f"{username}@example.com",
            roles=roles,
            level=level,
            password="correct-horse-battery",
        )
        people[username] = User.objects.prefetch_related("role_grants").get(username=username)
    return people


def _items(count: int, l2: Any) -> list[Any]:
    from django.db import transaction

    from casebridge.integrations.models import OutboxMessage
    from casebridge.workitems.services import work_item_create

    made = []
    for start in range(0, count, 500):
        with transaction.atomic():
            for n in range(start, min(count, start + 500)):
                made.append(
                    work_item_create(
                        actor=l2,
                        category="bug",
                        title=f"Checkout fails for card {n}",
                        docs={"description": "Fails at the last step", "steps_to_reproduce": "Pay"},
                        environment="production",
                        version="4.2.1",
                    )
                )
    OutboxMessage.objects.all().delete()  # made before the connection: the mirror creates them
    return made


def _loop(stop: threading.Event, step: Any) -> None:
    from django import db

    try:
        while not stop.is_set():
            if not step():
                time.sleep(0.005)
    finally:
        db.connection.close()


def run(args: argparse.Namespace) -> dict[str, Any]:
    from tests.fakes.azure_devops import FakeAzureDevOps

    fake = FakeAzureDevOps().start()
    os.environ["CASEBRIDGE_AZURE_DEVOPS_CA_BUNDLE"] = str(fake.ca_bundle)
    os.environ["CASEBRIDGE_BASE_URL"] = "https://casebridge.example"
    setup_django(args.database_url)
    from django.test import Client

    from casebridge.integrations.azure_devops.models import WorkItemLink
    from casebridge.integrations.azure_devops.reconcile import reconcile
    from casebridge.integrations.azure_devops.services import connection_connect
    from casebridge.integrations.delivery.processing import process_pending
    from casebridge.integrations.relay import outbox_deliver_due
    from casebridge.workitems.models import WorkItem
    from casebridge.workitems.services import work_item_transition

    fake.add_project("Shop", process="Agile")
    fake.add_pat(PAT, "Casebridge Sync", "casebridge@fabrikam.example")
    dev = fake.developer("Dana Three", "dev3@example.com")
    people = _people()
    started = time.perf_counter()
    _items(args.items, people["l2"])
    made_s = time.perf_counter() - started
    connection, secret = connection_connect(
        actor=None, name="Shop", organization_url=fake.url, project="Shop", pat=PAT
    )

    # --- mirror -----------------------------------------------------------------------------
    from django.urls import reverse

    reverse("workitems:detail", args=["BUG-1"])  # load the URL configuration before timing
    before = len(fake.requests)
    started = time.perf_counter()
    result = reconcile(connection, workers=args.workers)
    mirror_s = time.perf_counter() - started
    mirrored = WorkItemLink.objects.filter(ado_id__isnull=False).count()
    mirror = {
        "items": args.items,
        "mirrored": mirrored,
        "seconds": round(mirror_s, 2),
        "items_per_s": round(mirrored / mirror_s, 1) if mirror_s else None,
        "requests_per_item": round((len(fake.requests) - before) / max(1, mirrored), 3),
        "errors": result.errors[:5],
        "workers": args.workers,
    }

    # --- steady state -----------------------------------------------------------------------
    fake.faults.latency = args.latency
    landed: dict[int, float] = {}

    def on_change(event: str, item: Any, update: Any, comment: Any) -> None:
        landed[item.id] = time.perf_counter()

    fake.store.listeners.append(on_change)
    door = Client()

    def transport(url: str, headers: dict[str, str], body: bytes) -> int:
        meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        meta.pop("HTTP_CONTENT_TYPE")
        return int(door.post(url, body, content_type=headers["Content-Type"], **meta).status_code)

    fake.hooks.transport = transport
    fake.hooks.subscribe(connection.hook_source.door, username="ado", password=secret)
    fake.hooks.start()
    stop = threading.Event()
    workers = [
        threading.Thread(target=_loop, args=(stop, lambda: process_pending(limit=50)), daemon=True),
        threading.Thread(
            target=_loop, args=(stop, lambda: outbox_deliver_due(limit=50)), daemon=True
        ),
    ]
    for worker in workers:
        worker.start()
    links = list(WorkItemLink.objects.select_related("work_item").order_by("id")[: args.changes])
    lags: dict[str, list[float]] = {"to_azure_devops": [], "to_casebridge": []}
    requests_before = len(fake.requests)
    hooks_before = len(fake.hooks.delivered)
    timeouts = 0
    for n in range(args.changes):
        link = links[n % len(links)]
        item = WorkItem.objects.get(pk=link.work_item_id)
        if n % 2 == 0:
            priority = "minor" if item.priority != "minor" else "major"
            landed.pop(link.ado_id, None)
            t0 = time.perf_counter()
            work_item_transition(
                actor=people["rte"],
                item=item,
                action="triage",
                data={"priority": priority, "impact": "Card payments"},
            )
            while link.ado_id not in landed and time.perf_counter() - t0 < 10:
                time.sleep(0.002)
            if link.ado_id not in landed:
                timeouts += 1
                continue
            lags["to_azure_devops"].append((landed[link.ado_id] - t0) * 1000)
        else:
            title = f"Checkout fails for card {n} (renamed)"
            t0 = time.perf_counter()
            fake.edit(link.ado_id, {"System.Title": title}, by=dev)
            while (
                not WorkItem.objects.filter(pk=item.pk, title=title).exists()
                and time.perf_counter() - t0 < 10
            ):
                time.sleep(0.002)
            if not WorkItem.objects.filter(pk=item.pk, title=title).exists():
                timeouts += 1
                continue
            lags["to_casebridge"].append((time.perf_counter() - t0) * 1000)
    time.sleep(0.5)  # let echoes settle before counting
    stop.set()
    for worker in workers:
        worker.join(timeout=10)
    fake.hooks.stop()
    api_requests = len(fake.requests) - requests_before
    fake.stop()
    everything = lags["to_azure_devops"] + lags["to_casebridge"]
    return {
        "benchmark": "azure_devops_sync",
        "machine": machine(),
        "database": "postgresql" if (args.database_url or "").startswith("postgres") else "sqlite",
        "setup": {"items_created_s": round(made_s, 1)},
        "mirror": mirror,
        "steady": {
            "latency_ms": round(args.latency * 1000),
            "changes": args.changes,
            "timeouts": timeouts,
            "lag_ms": percentiles(everything) if everything else {},
            "lag_to_azure_devops_ms": percentiles(lags["to_azure_devops"])
            if lags["to_azure_devops"]
            else {},
            "lag_to_casebridge_ms": percentiles(lags["to_casebridge"])
            if lags["to_casebridge"]
            else {},
            "api_requests": api_requests,
            "api_requests_per_change": round(api_requests / max(1, args.changes), 3),
            "api_requests_per_casebridge_change": round(
                api_requests / max(1, len(lags["to_azure_devops"])), 3
            ),
            "hook_posts": len(fake.hooks.delivered) - hooks_before,
            "target_p95_ms": 2000,
        },
    }


def render(result: dict[str, Any]) -> str:
    m, s = result["mirror"], result["steady"]
    lag = s["lag_ms"]
    return "\n".join(
        [
            f"mirror: {m['mirrored']}/{m['items']} items in {m['seconds']} s "
            f"({m['items_per_s']} items/s, {m['workers']} workers), "
            f"{m['requests_per_item']} requests per item",
            f"steady ({s['latency_ms']} ms added latency, {s['changes']} changes, "
            f"{s['timeouts']} timeouts): lag p50 {lag.get('p50_ms')} ms, "
            f"p95 {lag.get('p95_ms')} ms "
            f"(target p95 <= {s['target_p95_ms']} ms)",
            f"  to Azure DevOps p95 {s['lag_to_azure_devops_ms'].get('p95_ms')} ms, "
            f"to Casebridge p95 {s['lag_to_casebridge_ms'].get('p95_ms')} ms",
            f"  {s['api_requests_per_change']} REST requests per change "
            f"({s['api_requests_per_casebridge_change']} per Casebridge change; floor 1), "
            f"{s['hook_posts']} hook posts",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=10_000, help="Bugs mirrored at first.")
    parser.add_argument("--workers", type=int, default=8, help="Items pushed at once (mirror).")
    parser.add_argument("--changes", type=int, default=200, help="Steady phase: changes made.")
    parser.add_argument("--latency", type=float, default=0.05, help="Added to every answer (s).")
    parser.add_argument("--database-url", default=None, help="Default: a fresh SQLite file.")
    parser.add_argument("--json", action="store_true", help="Print JSON.")
    args = parser.parse_args()
    emit(run(args), args.json, render)


if __name__ == "__main__":
    main()
