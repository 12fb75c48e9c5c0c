"""A parent of ``casebridge relay`` processes, for the chaos run: it sets Django up once, then
forks a relay for each ``start`` line it reads, so a relay killed with SIGKILL is replaced in
milliseconds instead of the seconds a fresh interpreter needs on a busy machine.

    python tests/integrations/relay_zygote.py [relay options]   # reads "start" lines on stdin

It prints ``started <pid>`` for each relay, the relay itself prints ``relay <pid> ready`` once
its signal handlers are set, and the parent prints ``exited <pid> <code>`` when one ends (a
negative code is the signal that ended it). The parent is single-threaded, so forking is safe;
it opens no database connection before forking.
"""

from __future__ import annotations

import os
import select
import sys
from typing import Any


def _reap() -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        code = os.waitstatus_to_exitcode(status)
        sys.stdout.write(f"exited {pid} {code}\n")
        sys.stdout.flush()


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casebridge.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from casebridge.integrations.management.commands import relay  # noqa: F401 - warm up

    options = sys.argv[1:]
    pending = b""
    while True:
        readable, _, _ = select.select([0], [], [], 0.05)
        _reap()
        if not readable:
            continue
        chunk = os.read(0, 1024)
        if not chunk:  # the caller is done
            return
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            if line.strip() == b"start":
                _fork(options, call_command)


def _fork(options: list[str], call_command: Any) -> None:
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            call_command("relay", *options)
            code = 0
        finally:
            sys.stdout.flush()
            os._exit(code)
    sys.stdout.write(f"started {pid}\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
