"""Start and stop times of the test servers: ``.venv/bin/python -m tests.servers.measure
[smtp|smtps|imap|oidc|replica ...] [--runs N]``. The replica needs the PostgreSQL cluster at
127.0.0.1:5432 (it copies its ``postgres`` database's cluster). Prints medians and the load."""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.servers._support import private_dir
from tests.servers.imap import DIR_PREFIX, ImapServer
from tests.servers.oidc import OidcProvider
from tests.servers.pg_replica import PgReplica
from tests.servers.smtp import SmtpServer


class _Imap:
    def __init__(self) -> None:
        self._folder = private_dir(DIR_PREFIX)
        self.server = ImapServer(self._folder.__enter__()).start()

    def stop(self) -> None:
        self.server.stop()
        self._folder.__exit__(None, None, None)


MAKERS: dict[str, Callable[[], Any]] = {
    "smtp": lambda: SmtpServer().start(),
    "smtps": lambda: SmtpServer(
        auth={"user": "password"}, starttls=True, cert_dir=Path(tempfile.mkdtemp())
    ).start(),
    "imap": _Imap,
    "oidc": lambda: OidcProvider(Path(tempfile.mkdtemp())).start(),
    "replica": lambda: PgReplica(dbname="postgres").start(),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("servers", nargs="*", help=f"some of {', '.join(MAKERS)} (default: all)")
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    unknown = set(options.servers) - set(MAKERS)
    if unknown:
        parser.error(f"unknown server(s): {', '.join(sorted(unknown))}")
    for name in options.servers or list(MAKERS):
        starts, stops = [], []
        for _ in range(options.runs):
            began = time.monotonic()
            server = MAKERS[name]()
            starts.append(time.monotonic() - began)
            began = time.monotonic()
            server.stop()
            stops.append(time.monotonic() - began)
        print(
            f"{name:8} start median {statistics.median(starts):.2f} s "
            f"(min {min(starts):.2f}, max {max(starts):.2f}), "
            f"stop median {statistics.median(stops):.2f} s"
        )
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
