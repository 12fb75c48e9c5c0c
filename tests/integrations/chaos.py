"""The chaos run shared by the test suite and ``benchmarks/outbox_delivery.py --chaos``.

A receiver of signed webhooks that fails a share of requests (5xx, and 429 with ``Retry-After:
0``) while two ``casebridge relay`` processes deliver ``messages`` notices to it; the older relay is
killed with SIGKILL when another sixth of the messages has been applied, a new one started at
once, until it was killed ``kills`` times; then the receiver recovers and the relays are
stopped with SIGTERM once everything is delivered. Two relays run at any time, as in production.
They are forked from one warm parent (``relay_zygote.py``), so that a replacement delivers within
milliseconds rather than after an interpreter's start. The caller checks the result.
"""

from __future__ import annotations

import contextlib
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from tests.integrations.receivers import Generic, Receiver, Reply, Request

ROOT = Path(__file__).resolve().parents[2]


class Chaotic(Generic):
    """A verifying, idempotent receiver that fails ``fail_rate`` of the requests it gets."""

    def __init__(self, secret: str = "", *, fail_rate: float = 0.3, seed: int = 13) -> None:
        super().__init__(secret)
        self.fail_rate = fail_rate
        self.rng = random.Random(seed)
        self.failed = 0
        self.received = 0

    def __call__(self, request: Request) -> Reply:
        with self.lock:
            self.received += 1
            roll = self.rng.random()
            if roll < self.fail_rate:
                self.failed += 1
                if roll < self.fail_rate / 2:
                    return Reply(429, b'{"error": "slow down"}', {"Retry-After": "0"})
                return Reply(self.rng.choice((500, 502, 503)), b'{"error": "busy"}')
        return super().__call__(request)


class Zygote:
    """``relay_zygote.py``: relays forked from one warm parent, killed and stopped by pid."""

    def __init__(self, options: list[str], env: dict[str, str], log: Any) -> None:
        script = Path(__file__).with_name("relay_zygote.py")
        self.process = subprocess.Popen(
            [sys.executable, str(script), *options],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
        )
        self.started: queue.Queue[int] = queue.Queue()
        self.readied: set[int] = set()
        self.exited: dict[int, int] = {}
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            words = raw.decode().split()
            if words[:1] == ["started"]:
                self.started.put(int(words[1]))
            elif words[:1] == ["relay"] and "ready:" in words:
                self.readied.add(int(words[1]))
            elif words[:1] == ["exited"]:
                self.exited[int(words[1])] = int(words[2])

    def start(self) -> int:
        assert self.process.stdin is not None
        self.process.stdin.write(b"start\n")
        self.process.stdin.flush()
        return self.started.get(timeout=60)

    def ready(self, pid: int) -> bool:
        return pid in self.readied

    def _gone(self, pid: int, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while pid not in self.exited and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.exited.get(pid, 999)

    def kill(self, pid: int) -> int:
        os.kill(pid, signal.SIGKILL)
        return self._gone(pid, 10)

    def stop(self, pid: int) -> int:
        os.kill(pid, signal.SIGTERM)
        return self._gone(pid, 30)

    def __enter__(self) -> Zygote:
        return self

    def __exit__(self, *exc: object) -> None:
        for pid in self.readied | set(self.exited):
            if pid not in self.exited:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


def database_url() -> str:
    """The URL of the database the tests (or the benchmark) use, for a child process."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def relay_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CASEBRIDGE_WEBHOOK_ALLOW_LOOPBACK_HTTP": "true",
        "CASEBRIDGE_LOG_LEVEL": "WARNING",
        "CASEBRIDGE_SECRET_KEY": settings.SECRET_KEY,
        "PYTHONPATH": str(ROOT / "src"),
        **(extra or {}),
    }


@dataclass
class ChaosResult:
    messages: int
    kills: int
    seconds: float
    received: int
    failed: int
    duplicates: int
    applied: set[str]
    keys: set[str]
    sigterm_exits: list[int]
    sigterm_seconds: float
    log: str = field(repr=False, default="")


def run_chaos(
    *,
    messages: int,
    kills: int = 5,
    fail_rate: float = 0.3,
    timeout: float = 120.0,
    concurrency: int = 4,
    workdir: Path,
) -> ChaosResult:
    from casebridge.integrations.models import OutboxMessage
    from casebridge.integrations.notices import Notice
    from casebridge.integrations.webhooks.services import (
        webhook_destination_create,
        webhook_route_add,
        webhooks_fan_out,
    )

    receiver_app = Chaotic(fail_rate=fail_rate)
    with Receiver(receiver_app) as receiver:
        hook, secret = webhook_destination_create(
            actor=None, kind="generic", name="Chaos", url=receiver.url("/in")
        )
        receiver_app.secret = secret
        webhook_route_add(actor=None, destination=hook, topic="incident.*")
        with transaction.atomic():
            for n in range(messages):
                notice = Notice(topic="incident.updated", title=f"Update {n}", key=f"INC-{n}")
                webhooks_fan_out(notice)
        mine = OutboxMessage.objects.filter(destination=hook.address)
        keys = {str(k) for k in mine.values_list("idempotency_key", flat=True)}

        def pending() -> bool:
            return mine.filter(state="pending").exists()

        env = relay_env(
            {
                "CASEBRIDGE_OUTBOX_BACKOFF_BASE_SECONDS": "0.05",
                "CASEBRIDGE_OUTBOX_BACKOFF_CAP_SECONDS": "1",
                "CASEBRIDGE_OUTBOX_CIRCUIT_COOLDOWN_SECONDS": "1",
            }
        )
        options = [
            "--concurrency", str(concurrency), "--batch", "64", "--lease", "2", "--poll", "0.05",
        ]  # fmt: skip
        log_path = workdir / "relays.log"
        started = time.monotonic()
        with log_path.open("wb") as log, Zygote(options, env, log) as zygote:
            relays, killed = [zygote.start(), zygote.start()], 0
            while time.monotonic() - started < timeout:
                applied = len(receiver_app.applied)
                due = applied >= messages * (killed + 1) / (kills + 1)
                # Kill a relay that is delivering, and only while another one is up.
                if killed < kills and due and zygote.ready(relays[0]) and zygote.ready(relays[1]):
                    zygote.kill(relays.pop(0))
                    killed += 1
                    relays.append(zygote.start())
                    if killed == kills:
                        receiver_app.fail_rate = 0.0  # the receiver recovers
                if applied >= messages and killed == kills and not pending():
                    break
                time.sleep(0.02)
            while not all(map(zygote.ready, relays)) and time.monotonic() - started < timeout:
                time.sleep(0.02)
            stopping = time.monotonic()
            codes = [zygote.stop(pid) for pid in relays]
            stopped = time.monotonic() - stopping
        seconds = time.monotonic() - started
    return ChaosResult(
        messages=messages,
        kills=killed,
        seconds=round(seconds, 2),
        received=receiver_app.received,
        failed=receiver_app.failed,
        duplicates=receiver_app.duplicates,
        applied=set(receiver_app.applied),
        keys=keys,
        sigterm_exits=codes,
        sigterm_seconds=round(stopped, 2),
        log=log_path.read_text(errors="replace")[-3000:],
    )


def summary(result: ChaosResult) -> dict[str, Any]:
    return {
        "messages": result.messages,
        "kills": result.kills,
        "seconds": result.seconds,
        "requests": result.received,
        "failed_requests": result.failed,
        "duplicate_requests": result.duplicates,
        "applied": len(result.applied),
        "sigterm_exits": result.sigterm_exits,
    }
