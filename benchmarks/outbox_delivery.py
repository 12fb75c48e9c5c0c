"""Benchmark: outbox deliveries to a local HTTP receiver, through ``casebridge relay``.

    .venv/bin/python benchmarks/outbox_delivery.py [--messages 10000] [--rate 1000]
        [--seconds 10] [--concurrency 8] [--chaos 2000] [--database-url URL] [--json]

A receiver of signed webhooks runs in its own process (the test suite's, from
``tests/integrations/receivers.py``: HTTP/1.1 keep-alive, it verifies each HMAC signature and
applies each ``Idempotency-Key`` once, noting when it first saw it). Phases, in one run:

* **floor**: the same signed POSTs sent directly, with the relay's own HTTP client
  (``integrations.http.post``, one pool of keep-alive connections) from as many threads as the
  relay has: what the receiver and the client can do without the outbox.
* **drain**: ``--messages`` webhook deliveries committed at once while a relay waits; deliveries
  per second from the commit to the last one applied.
* **steady**: a producer commits ``--rate`` deliveries a second for ``--seconds`` (a transaction
  every 10 ms) while the relay delivers; commit-to-delivery latency is the receiver's clock
  minus the message's ``created_at`` (taken just before its commit), so it slightly overstates.
* **chaos** (``--chaos N``): the test suite's chaos run (``tests/integrations/chaos.py``): N
  deliveries, a receiver failing 30% of requests, relays killed with SIGKILL five times.

Targets: >= 1,000 deliveries/s, commit-to-delivery p99 <= 1 s. Each phase records the 1-minute
load average after it: other work on the machine shows there. PostgreSQL: ``--database-url
postgres://postgres@127.0.0.1:5432/casebridge_bench`` (a database whose name contains ``bench``;
it is dropped and created again).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

from _common import ROOT, emit, machine, percentiles, setup_django

sys.path.insert(0, str(ROOT))


# --- the receiver, in its own process -----------------------------------------------------------


def serve_receiver(secret: str) -> None:
    """Run the receiver; print its port; answer ``POST /stats`` with what it applied."""
    from tests.integrations.receivers import Generic, Receiver, Reply, Request

    class Timed(Generic):
        def __init__(self) -> None:
            super().__init__(secret)
            self.seen: dict[str, float] = {}

        def __call__(self, request: Request) -> Reply:
            if request.path == "/count":
                with self.lock:
                    return Reply(200, json.dumps([len(self.applied)]).encode())
            if request.path == "/stats":
                with self.lock:
                    body = {
                        "applied": len(self.applied),
                        "duplicates": self.duplicates,
                        "latencies_ms": [
                            round((self.seen[k] - _epoch(v["occurred_at"])) * 1000, 2)
                            for k, v in self.applied.items()
                        ],
                        "first": min(self.seen.values(), default=None),
                        "last": max(self.seen.values(), default=None),
                    }
                return Reply(200, json.dumps(body).encode())
            if request.path == "/reset":
                with self.lock:
                    self.applied.clear()
                    self.seen.clear()
                    self.duplicates = 0
                return Reply(200, b"{}")
            reply = super().__call__(request)
            key = request.headers.get("idempotency-key", "")
            with self.lock:
                self.seen.setdefault(key, time.time())
            return reply

    with Receiver(Timed()) as receiver:
        print(receiver.server.server_address[1], flush=True)
        signal.sigwait({signal.SIGTERM, signal.SIGINT})


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


class ReceiverProcess:
    def __init__(self, secret: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve-receiver", secret],
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert self.process.stdout is not None
        self.port = int(self.process.stdout.readline())
        import urllib3

        self.http = urllib3.PoolManager()

    def url(self, path: str = "/in") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stats(self) -> dict[str, Any]:
        return json.loads(self.http.request("POST", self.url("/stats")).data)

    def reset(self) -> None:
        self.http.request("POST", self.url("/reset"))

    def wait_for(self, count: int, timeout: float) -> dict[str, Any]:
        """The stats once ``count`` keys were applied (asking only for the count meanwhile)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            applied = json.loads(self.http.request("POST", self.url("/count")).data)[0]
            if applied >= count:
                break
            time.sleep(0.05)
        return self.stats()

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


# --- phases -------------------------------------------------------------------------------------


def load() -> float:
    return round(os.getloadavg()[0], 2)


def floor(receiver: ReceiverProcess, secret: str, n: int, concurrency: int) -> dict[str, Any]:
    """The same signed POSTs, sent directly with the relay's HTTP client."""
    from casebridge.core import clock
    from casebridge.integrations import http
    from casebridge.integrations.models import OutboxMessage
    from casebridge.integrations.notices import Notice
    from casebridge.integrations.webhooks.delivery import Target, request_of

    target = Target("generic", receiver.url(), secret)
    notice = Notice(topic="incident.updated", title="Error rate back under 1%", key="INC-1")
    now = clock.now()
    requests = [
        request_of(
            target,
            OutboxMessage(idempotency_key=uuid.uuid4(), created_at=now, available_at=now),
            notice,
        )
        for _ in range(n)
    ]
    receiver.reset()
    samples: list[float] = []

    def send(request: tuple[bytes, dict[str, str]]) -> None:
        started = time.perf_counter()
        answer = http.post(target.url, *request)
        samples.append((time.perf_counter() - started) * 1000)
        assert answer.status == 200, answer.status

    started = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(send, requests))
    seconds = time.monotonic() - started
    return {
        "posts": n,
        "seconds": round(seconds, 2),
        "posts_per_s": round(n / seconds),
        "latency_ms": percentiles(samples),
        "load_1min_after": load(),
    }


def start_relay(workdir: Path, concurrency: int) -> subprocess.Popen[bytes]:
    log = (workdir / "relay.log").open("ab")
    relay = subprocess.Popen(
        [sys.executable, "-m", "casebridge.cli", "relay", "--concurrency", str(concurrency),
         "--batch", str(concurrency * 32), "--poll", "0.05"],
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        stdout=subprocess.PIPE,
        stderr=log,
    )  # fmt: skip
    assert relay.stdout is not None
    line = relay.stdout.readline().decode()
    assert "ready" in line, line
    return relay


def enqueue(count: int, destination_id: int) -> None:
    """``count`` deliveries in one transaction, the rows ``webhooks_fan_out`` writes, inserted
    with one prepared statement (the producer's cost is not what is measured)."""
    from django.db import transaction

    from casebridge.core import clock
    from casebridge.core.prepared import rows_insert
    from casebridge.integrations.models import OutboxMessage

    with transaction.atomic():
        now = clock.now()
        rows_insert(
            OutboxMessage,
            [
                OutboxMessage(
                    topic="webhook.deliver",
                    key=f"INC-{n}",
                    destination=f"webhook:{destination_id}",
                    payload={
                        "destination": destination_id,
                        "notice": {
                            "topic": "incident.updated",
                            "title": f"Update {n}",
                            "key": f"INC-{n}",
                        },
                    },
                    created_at=now,
                    available_at=now,
                )
                for n in range(count)
            ],
        )


def delivered_count() -> int:
    from casebridge.integrations.models import OutboxMessage

    return OutboxMessage.objects.filter(state="delivered").count()


def drain(receiver: ReceiverProcess, destination_id: int, n: int) -> dict[str, Any]:
    receiver.reset()
    before = delivered_count()
    enqueue(n, destination_id)
    committed = time.time()
    stats = receiver.wait_for(n, timeout=600)
    seconds = stats["last"] - committed
    recorded_by = time.monotonic() + 60
    while delivered_count() - before < n and time.monotonic() < recorded_by:
        time.sleep(0.05)
    return {
        "messages": n,
        "seconds": round(seconds, 2),
        "deliveries_per_s": round(n / seconds),
        "applied": stats["applied"],
        "duplicates": stats["duplicates"],
        "recorded_delivered": delivered_count() - before,
        "load_1min_after": load(),
    }


def steady(
    receiver: ReceiverProcess, destination_id: int, rate: int, seconds: float
) -> dict[str, Any]:
    """A producer commits ``rate`` deliveries a second, a transaction every 10 ms."""
    receiver.reset()
    tick = 0.01
    per_tick = max(1, round(rate * tick))
    ticks = round(seconds / tick)
    started = time.monotonic()
    for n in range(ticks):
        enqueue(per_tick, destination_id)
        pause = started + (n + 1) * tick - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    produced_s = time.monotonic() - started
    total = per_tick * ticks
    stats = receiver.wait_for(total, timeout=600)
    span = stats["last"] - stats["first"]
    return {
        "messages": total,
        "target_rate": rate,
        "produced_per_s": round(total / produced_s),
        "delivered_per_s": round(total / span) if span else None,
        "applied": stats["applied"],
        "duplicates": stats["duplicates"],
        "commit_to_delivery_ms": percentiles(stats["latencies_ms"]),
        "load_1min_after": load(),
    }


def chaos(n: int, workdir: Path) -> dict[str, Any]:
    from tests.integrations.chaos import run_chaos, summary

    result = run_chaos(messages=n, kills=5, fail_rate=0.3, timeout=600, workdir=workdir)
    out = summary(result)
    out["lost"] = len(result.keys - result.applied)
    out["load_1min_after"] = load()
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    os.environ["CASEBRIDGE_WEBHOOK_ALLOW_LOOPBACK_HTTP"] = "true"
    workdir = setup_django(args.database_url)
    from casebridge.integrations.webhooks.services import webhook_destination_create

    secret_holder = webhook_destination_create(
        actor=None, kind="generic", name="Bench", url="http://127.0.0.1:9/placeholder"
    )
    destination, secret = secret_holder
    receiver = ReceiverProcess(secret)
    type(destination).objects.filter(pk=destination.pk).update(url=receiver.url())
    result: dict[str, Any] = {
        "machine": machine(),
        "database": "sqlite" if "sqlite" in os.environ["DATABASE_URL"] else "postgresql",
        "concurrency": args.concurrency,
        "load_1min_before": load(),
    }
    relay = None
    try:
        result["floor_direct_posts"] = floor(receiver, secret, args.messages, args.concurrency)
        relay = start_relay(workdir, args.concurrency)
        result["drain"] = drain(receiver, destination.pk, args.messages)
        result["steady"] = steady(receiver, destination.pk, args.rate, args.seconds)
    finally:
        if relay is not None:
            relay.send_signal(signal.SIGTERM)
            relay.wait(timeout=60)
        receiver.stop()
    if args.chaos:
        result["chaos"] = chaos(args.chaos, workdir)
    floor_rate = result["floor_direct_posts"]["posts_per_s"]
    result["drain"]["share_of_floor"] = round(result["drain"]["deliveries_per_s"] / floor_rate, 2)
    return result


def render(r: dict[str, Any]) -> str:
    f, d, s = r["floor_direct_posts"], r["drain"], r["steady"]
    lat = s["commit_to_delivery_ms"]
    lines = [
        f"outbox delivery on {r['database']} ({r['machine']['cpus']} CPUs, {r['machine']['date']}, "
        f"relay threads {r['concurrency']}, load before {r['load_1min_before']})",
        f"  floor, direct POSTs: {f['posts']} in {f['seconds']} s = {f['posts_per_s']}/s, "
        f"p50 {f['latency_ms']['p50_ms']} ms, p99 {f['latency_ms']['p99_ms']} ms, "
        f"load {f['load_1min_after']}",
        f"  drain: {d['messages']} committed at once, delivered in {d['seconds']} s = "
        f"{d['deliveries_per_s']}/s ({d['share_of_floor']} of the floor), duplicates "
        f"{d['duplicates']}, load {d['load_1min_after']}",
        f"  steady: {s['messages']} at {s['produced_per_s']}/s produced, {s['delivered_per_s']}/s "
        f"delivered; commit to delivery p50 {lat['p50_ms']} ms, p95 {lat['p95_ms']} ms, "
        f"p99 {lat['p99_ms']} ms; load {s['load_1min_after']}",
    ]
    if "chaos" in r:
        c = r["chaos"]
        lines.append(
            f"  chaos: {c['messages']} messages, {c['kills']} SIGKILLs, {c['requests']} requests "
            f"({c['failed_requests']} failed), {c['applied']} applied, lost {c['lost']}, "
            f"duplicates {c['duplicate_requests']}, {c['seconds']} s, load {c['load_1min_after']}"
        )
    return "\n".join(lines)


def main() -> None:
    if sys.argv[1:2] == ["--serve-receiver"]:
        serve_receiver(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=10_000, help="Floor and drain size.")
    parser.add_argument("--rate", type=int, default=1000, help="Steady phase: commits a second.")
    parser.add_argument("--seconds", type=float, default=10, help="Steady phase: how long.")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=4,
        help="Relay threads (and the floor's); 4 suits 2 CPUs.",
    )
    parser.add_argument("--chaos", type=int, default=0, help="Also the chaos run, N messages.")
    parser.add_argument("--database-url", default=None, help="Default: a fresh SQLite file.")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    emit(run(args), args.json, render)


if __name__ == "__main__":
    main()
