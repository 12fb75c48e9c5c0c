"""PgBouncer in transaction mode: nothing outlives a transaction (issue 17)."""

from __future__ import annotations

from casebridge.core.databases import database_config

URL = "postgres://casebridge@db.internal:6432/casebridge"


def test_transaction_pooling_turns_off_what_outlives_a_transaction(monkeypatch):
    monkeypatch.setenv("CASEBRIDGE_DB_POOLER", "transaction")
    config = database_config(URL)
    assert config["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert config["OPTIONS"] == {"prepare_threshold": None}


def test_a_direct_connection_keeps_the_defaults(monkeypatch):
    monkeypatch.delenv("CASEBRIDGE_DB_POOLER", raising=False)
    config = database_config(URL)
    assert "DISABLE_SERVER_SIDE_CURSORS" not in config
    assert "prepare_threshold" not in dict(config.get("OPTIONS") or {})
