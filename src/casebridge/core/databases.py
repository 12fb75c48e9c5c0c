"""The ``DATABASES`` entry of a database URL (settings): SQLite tuned for a web server, and
PostgreSQL behind PgBouncer in transaction mode when ``CASEBRIDGE_DB_POOLER=transaction``."""

from __future__ import annotations

from pathlib import Path

import environ

env = environ.Env()


def database_config(url: str) -> dict[str, object]:
    """Parse DATABASE_URL; SQLite gets WAL, IMMEDIATE transactions and a busy timeout."""
    config: dict[str, object] = environ.Env.db_url_config(url)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        name = Path(str(config["NAME"]))
        name.parent.mkdir(parents=True, exist_ok=True)
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000; PRAGMA cache_size=-65536;"
            ),
        }
        config["TEST"] = {"NAME": str(name.with_suffix(".test.sqlite3"))}
    # Keep connections between requests on SQLite too: closing the last connection to a WAL
    # database checkpoints it, and reopening costs the PRAGMAs; together ~20 ms a request.
    config.setdefault("CONN_MAX_AGE", env.int("CASEBRIDGE_DB_CONN_MAX_AGE", default=60))
    config["CONN_HEALTH_CHECKS"] = True
    if (
        config["ENGINE"] == "django.db.backends.postgresql"
        and env.str("CASEBRIDGE_DB_POOLER", default="") == "transaction"
    ):
        # PgBouncer in transaction mode: a connection is the server's only for one transaction,
        # so nothing may outlive one: no server-side (WITH HOLD) cursors for .iterator(), no
        # prepared statements kept by psycopg. Casebridge sets no session state otherwise.
        config["DISABLE_SERVER_SIDE_CURSORS"] = True
        existing = config.get("OPTIONS")
        options: dict[str, object] = dict(existing) if isinstance(existing, dict) else {}
        options["prepare_threshold"] = None
        config["OPTIONS"] = options
    return config
