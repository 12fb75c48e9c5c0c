"""casebridge relay: deliver the outbox, continuously, with a small pool of threads."""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType

import structlog
from django.core.management.base import BaseCommand, CommandParser

from casebridge.core.cli import Options
from casebridge.integrations.relay import Relay

log = structlog.get_logger("casebridge.relay")


class Command(BaseCommand):
    help = (
        "Deliver outbox messages (webhooks, notifications) as soon as they are committed. "
        "Run one or more beside `casebridge worker --no-outbox`, or let the worker deliver."
    )
    requires_system_checks: list[str] = []  # start fast; `casebridge check` runs them

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--concurrency", type=int, default=8, help="Deliveries in flight at once (threads)."
        )
        parser.add_argument(
            "--batch", type=int, default=200, help="Messages held at most (claimed at once)."
        )
        parser.add_argument(
            "--lease",
            type=float,
            default=None,
            help="Seconds a claim lasts (default: CASEBRIDGE_OUTBOX_LEASE_SECONDS).",
        )
        parser.add_argument(
            "--poll", type=float, default=0.2, help="Seconds between looks when idle."
        )

    def handle(self, *args: object, **options: object) -> None:
        opts = Options(options)
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            log.info("relay_stopping", signal=signal.strsignal(signum))
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        concurrency, batch = opts.number("concurrency"), opts.number("batch")
        relay = Relay(
            concurrency=max(1, concurrency),
            batch=batch,
            lease_seconds=opts.real_or_none("lease"),
            poll_seconds=opts.real("poll"),
        )
        log.info("relay_started", concurrency=concurrency, batch=batch)
        self.stdout.write(f"relay {os.getpid()} ready: {concurrency} threads")
        self.stdout.flush()
        try:
            handled = relay.run(stop)
        finally:
            relay.close()
        log.info("relay_stopped", handled=handled)
