"""casebridge serve: the production HTTP server (gunicorn, WSGI, static files by whitenoise)."""

from __future__ import annotations

import gc
import subprocess
import sys

from django.core.management.base import BaseCommand, CommandParser

from casebridge.core.cli import Options


class Command(BaseCommand):
    help = "Serve Casebridge over HTTP with gunicorn."
    requires_system_checks: list[str] = []  # start fast; `casebridge check` runs them

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2, help="Worker processes.")
        parser.add_argument("--threads", type=int, default=4, help="Threads per worker.")
        parser.add_argument("--timeout", type=int, default=60)
        parser.add_argument(
            "--with-worker",
            action="store_true",
            help="Also run one `casebridge worker` beside the server (single-host setups).",
        )

    def handle(self, *args: object, **raw: object) -> None:
        options = Options(raw)
        from gunicorn.app.base import BaseApplication  # noqa: PLC0415 - the server loads only when serving

        from casebridge.wsgi import application  # noqa: PLC0415 - the WSGI application is built only when serving

        # The application's objects (modules, URL patterns, templates, settings) live as long as
        # the process: left out of every later collection, a full collection no longer walks
        # them (a sprint board's p95 229 -> 83 ms in-process, docs/performance.md), and the
        # workers forked from here share their pages instead of copying them on each sweep.
        gc.collect()
        gc.freeze()

        config = {
            "bind": f"{options.text('host')}:{options.number('port')}",
            "workers": options.number("workers"),
            "threads": options.number("threads"),
            "worker_class": "gthread" if options.number("threads") > 1 else "sync",
            "timeout": options.number("timeout"),
            "graceful_timeout": 20,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "warning",
            "limit_request_line": 8190,
        }

        class Server(BaseApplication):  # type: ignore[misc]
            def load_config(self) -> None:
                for key, value in config.items():
                    self.cfg.set(key, value)

            def load(self) -> object:
                return application

        self.stdout.write(f"Casebridge on http://{config['bind']} ({config['workers']} workers)")
        worker = _start_worker() if options.flag("with_worker") else None
        try:
            Server().run()
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=30)


def _start_worker() -> subprocess.Popen[bytes]:
    """The background worker as a child process, stopped when the server stops."""
    return subprocess.Popen([sys.executable, "-m", "casebridge.cli", "worker"])
