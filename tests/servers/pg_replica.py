"""A PostgreSQL streaming replica of the test cluster, on loopback.

``pg_basebackup -R`` of the primary (the cluster the test database lives in) into a temporary
folder, with a replication slot named after this process so WAL is kept while it streams; then
the server binaries of the primary's major version start it on a free port (as the ``postgres``
OS user when we are root: PostgreSQL refuses to run as root). ``stop()`` stops it, drops the slot
and removes the folder; a replica or slot left by a process that died (SIGKILL) is cleaned up by
the next start on the machine.

The primary must accept replication connections from 127.0.0.1 (a ``host replication ...`` line in
pg_hba.conf; ``.ci/run`` adds one) with ``wal_level`` replica or logical and ``max_wal_senders``
above 0 (both defaults). The copy is physical: the whole cluster, every database on it.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Self

import psycopg

from tests.servers._support import (
    LOOPBACK,
    Server,
    ServerUnavailable,
    free_port,
    pid_alive,
    private_dir,
    runs_in,
    stale_dirs,
    wait_until,
)

SLOT_PREFIX = "cb_test_replica_"
DIR_PREFIX = "cb-pg-replica-"
# Settings a hot standby must have at least as high as its primary.
MATCH_PRIMARY = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)


def _as_server_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _run(args: list[str], *, env: dict[str, str] | None = None, timeout: float = 120) -> str:
    done = subprocess.run(
        _as_server_user(args),
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, args, done.stdout, done.stderr)
    return done.stdout


class PgReplica(Server):
    def __init__(
        self,
        *,
        dbname: str,
        host: str = LOOPBACK,
        port: int = 5432,
        user: str = "postgres",
        password: str = "",
    ) -> None:
        self.dbname = dbname
        self.primary_host = host or LOOPBACK
        self.primary_port = int(port)
        self.user = user
        self.password = password
        self.host = LOOPBACK
        self.port = 0
        self.slot = f"{SLOT_PREFIX}{os.getpid()}_{secrets.token_hex(3)}"
        self.folder: Path | None = None
        self.bindir: Path | None = None
        self.start_seconds = 0.0
        self._match: dict[str, str] = {}
        self._folder_context: contextlib.AbstractContextManager[Path] | None = None

    # -- connections --------------------------------------------------------------------------

    @property
    def dsn(self) -> str:
        """The replica's copy of the test database."""
        return self._dsn(self.host, self.port, self.dbname)

    @property
    def primary_dsn(self) -> str:
        return self._dsn(self.primary_host, self.primary_port, self.dbname)

    def _dsn(self, host: str, port: int, dbname: str) -> str:
        secret = f":{self.password}" if self.password else ""
        return f"postgresql://{self.user}{secret}@{host}:{port}/{dbname}"

    def database_settings(self, default: dict[str, Any]) -> dict[str, Any]:
        """A Django ``DATABASES`` entry for the replica, from the primary's (test) entry: a test
        mirror of ``default``, so Django neither creates nor flushes a database through it."""
        test = {**default.get("TEST", {}), "MIRROR": "default"}
        return {
            **default,
            "HOST": self.host,
            "PORT": str(self.port),
            "NAME": self.dbname,
            "TEST": test,
        }

    @contextlib.contextmanager
    def _connect(self, dsn: str) -> Iterator[psycopg.Connection[Any]]:
        with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as connection:
            yield connection

    def query(self, sql: str, *params: Any, primary: bool = False) -> Any:
        """The first column of the first row of ``sql`` on the replica (or the primary)."""
        with self._connect(self.primary_dsn if primary else self.dsn) as connection:
            row = connection.execute(sql, params or None).fetchone()
        return None if row is None else row[0]

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        started = time.monotonic()
        self._check_primary()
        reap_stale(self.primary_dsn)
        owner = "postgres" if os.geteuid() == 0 else None
        self._folder_context = private_dir(DIR_PREFIX, owner=owner)
        self.folder = self._folder_context.__enter__()
        try:
            self._base_backup()
            self._write_config()
            self._start_server()
            wait_until(self._streaming, "the replica to stream", timeout=30, detail=self._log)
            wait_until(self._commit_replayed, "a commit to replay", timeout=30, interval=0.05)
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - started
        return self

    def stop(self) -> None:
        if self.folder is not None and (self.folder / "data" / "postmaster.pid").exists():
            _stop_server(self.bindir or Path("/usr/bin"), self.folder / "data")
        with contextlib.suppress(psycopg.Error):
            _drop_slot(self.primary_dsn, self.slot)
        if self._folder_context is not None:
            self._folder_context.__exit__(None, None, None)
            self._folder_context = None
        self.folder = None

    def _check_primary(self) -> None:
        try:
            admin = self._dsn(self.primary_host, self.primary_port, "postgres")
            with self._connect(admin) as connection:
                version = int(connection.execute("show server_version_num").fetchone()[0])  # type: ignore[index]
                wal_level = connection.execute("show wal_level").fetchone()[0]  # type: ignore[index]
                senders = int(connection.execute("show max_wal_senders").fetchone()[0])  # type: ignore[index]
                self._match = {
                    name: connection.execute(f"show {name}").fetchone()[0]  # type: ignore[index]
                    for name in MATCH_PRIMARY
                }
        except psycopg.OperationalError as error:
            raise ServerUnavailable(f"the primary does not answer: {error}") from error
        major = version // 10000
        self.bindir = Path(f"/usr/lib/postgresql/{major}/bin")
        for binary in ("postgres", "pg_ctl", "pg_basebackup"):
            if not (self.bindir / binary).exists():
                raise ServerUnavailable(
                    f"{self.bindir / binary} is missing: apt-get install postgresql-{major}"
                )
        if wal_level == "minimal" or senders == 0:
            raise ServerUnavailable(
                f"the primary cannot stream (wal_level={wal_level}, max_wal_senders={senders}): "
                "set wal_level=replica and max_wal_senders=10 and restart it (.ci/run does)"
            )

    def _base_backup(self) -> None:
        assert self.folder is not None and self.bindir is not None
        env = {**os.environ, "PGPASSWORD": self.password} if self.password else None
        try:
            _run(
                [
                    str(self.bindir / "pg_basebackup"),
                    f"--host={self.primary_host}",
                    f"--port={self.primary_port}",
                    f"--username={self.user}",
                    f"--pgdata={self.folder / 'data'}",
                    "--write-recovery-conf",
                    "--wal-method=stream",
                    "--create-slot",
                    f"--slot={self.slot}",
                    "--checkpoint=fast",
                    "--no-sync",
                    "--no-password",
                ],
                env=env,
                timeout=600,  # the whole cluster: every database on it
            )
        except subprocess.CalledProcessError as error:
            if "pg_hba.conf" in error.stderr:
                raise ServerUnavailable(
                    "the primary refuses replication connections from 127.0.0.1: add "
                    "'host replication all 127.0.0.1/32 trust' to its pg_hba.conf and reload "
                    f"(.ci/run does). pg_basebackup said: {error.stderr.strip()}"
                ) from error
            raise AssertionError(f"pg_basebackup failed: {error.stderr}") from error

    def _write_config(self) -> None:
        assert self.folder is not None
        data = self.folder / "data"
        settings = {
            "hot_standby": "on",
            "fsync": "off",  # a disposable copy
            "shared_buffers": "16MB",
            "hba_file": f"'{data / 'pg_hba.conf'}'",
            "ident_file": f"'{data / 'pg_ident.conf'}'",
            "logging_collector": "off",
            "log_min_messages": "warning",
            **self._match,
        }
        (data / "postgresql.conf").write_text(
            "".join(f"{name} = {value}\n" for name, value in settings.items())
        )
        (data / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
        (data / "pg_ident.conf").write_text("")
        if os.geteuid() == 0:
            for name in ("postgresql.conf", "pg_hba.conf", "pg_ident.conf"):
                shutil.chown(data / name, "postgres", "postgres")

    def _start_server(self) -> None:
        assert self.folder is not None and self.bindir is not None
        for attempt in range(3):  # another process may take the free port first
            self.port = free_port()
            options = (
                f"-c port={self.port} -c listen_addresses={LOOPBACK} "
                f"-c unix_socket_directories={self.folder}"
            )
            try:
                _run(
                    [
                        str(self.bindir / "pg_ctl"),
                        "start",
                        "--wait",
                        "--timeout=180",  # a loaded CI machine replays the base backup slowly
                        f"--pgdata={self.folder / 'data'}",
                        f"--log={self.folder / 'replica.log'}",
                        f"--options={options}",
                    ],
                    timeout=210,
                )
                return
            except subprocess.CalledProcessError as error:
                if "already in use" not in self._log() or attempt == 2:
                    raise AssertionError(
                        f"the replica did not start: {error.stderr}\n{self._log()}"
                    ) from error

    def _streaming(self) -> bool:
        with contextlib.suppress(psycopg.OperationalError):
            with self._connect(self.dsn) as connection:
                row = connection.execute(
                    "select pg_is_in_recovery(), (select status from pg_stat_wal_receiver limit 1)"
                ).fetchone()
            return row is not None and row[0] is True and row[1] == "streaming"
        return False

    def _commit_replayed(self) -> bool:
        """One commit replayed, so lag_seconds() has a replay timestamp to measure from."""
        if self.query("select pg_last_xact_replay_timestamp() is not null"):
            return True
        self.query("select txid_current()", primary=True)  # a commit record
        return False

    def _log(self) -> str:
        if self.folder is None:
            return ""
        with contextlib.suppress(OSError):
            return (self.folder / "replica.log").read_text(errors="replace")[-3000:]
        return ""

    # -- what tests use -----------------------------------------------------------------------

    def pause_replay(self) -> None:
        """Stop applying WAL (it is still received): the replica lags from now on."""
        self.query("select pg_wal_replay_pause()")
        wait_until(
            lambda: self.query("select pg_get_wal_replay_pause_state()") == "paused",
            "replay to pause",
        )

    def resume_replay(self) -> None:
        self.query("select pg_wal_replay_resume()")

    def lag_bytes(self) -> int:
        """WAL the primary has written that the replica has not applied yet."""
        current = self.query("select pg_current_wal_lsn()::text", primary=True)
        lag = self.query("select pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn())", current)
        return max(0, int(lag))

    def lag_seconds(self) -> float:
        """While received WAL waits to be applied: how old the last applied commit is (the
        replica shows the data of that moment). 0 when everything received is applied."""
        return float(
            self.query(
                "select case when pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() then 0 "
                "else coalesce(extract(epoch from now() - pg_last_xact_replay_timestamp()), 0) "
                "end"
            )
        )

    def wait_caught_up(self, timeout: float = 30.0) -> None:
        """Wait until the replica has applied everything the primary had written when called
        (other databases on a shared cluster keep writing, so "lag 0" may never hold)."""
        target = self.query("select pg_current_wal_lsn()::text", primary=True)
        wait_until(
            lambda: self.query("select pg_last_wal_replay_lsn() >= %s::pg_lsn", target),
            f"the replica to replay up to {target}",
            timeout=timeout,
            interval=0.01,
        )


def _stop_server(bindir: Path, data: Path) -> None:
    for mode in ("fast", "immediate"):
        try:
            _run(
                [str(bindir / "pg_ctl"), "stop", f"--pgdata={data}", f"--mode={mode}", "--wait"],
                timeout=30,
            )
            return
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            continue
    with contextlib.suppress(OSError, ValueError, IndexError, ProcessLookupError):
        pid = int((data / "postmaster.pid").read_text().split()[0])
        if runs_in(pid, data):
            os.kill(pid, 9)


def _drop_slot(primary_dsn: str, slot: str) -> None:
    """Drop the slot once its walsender is gone (a moment after the replica stops)."""
    with psycopg.connect(primary_dsn, autocommit=True, connect_timeout=5) as connection:
        deadline = time.monotonic() + 10
        while True:
            row = connection.execute(
                "select active_pid from pg_replication_slots where slot_name = %s", (slot,)
            ).fetchone()
            if row is None:
                return
            if row[0] is None:
                connection.execute("select pg_drop_replication_slot(%s)", (slot,))
                return
            if time.monotonic() > deadline:
                connection.execute("select pg_terminate_backend(%s)", (row[0],))
            time.sleep(0.05)


def reap_stale(primary_dsn: str) -> None:
    """Stop replicas and drop slots that a dead test process left behind."""
    for folder in stale_dirs(DIR_PREFIX):
        data = folder / "data"
        with contextlib.suppress(OSError, ValueError, IndexError, subprocess.SubprocessError):
            pid = int((data / "postmaster.pid").read_text().split()[0])
            if runs_in(pid, data):
                version = (data / "PG_VERSION").read_text().strip()
                _stop_server(Path(f"/usr/lib/postgresql/{version}/bin"), data)
        shutil.rmtree(folder, ignore_errors=True)
    with psycopg.connect(primary_dsn, autocommit=True, connect_timeout=5) as connection:
        slots = connection.execute(
            "select slot_name from pg_replication_slots where slot_name like %s",
            (SLOT_PREFIX + "%",),
        ).fetchall()
    for (slot,) in slots:
        pid = re.match(rf"{SLOT_PREFIX}(\d+)_", slot)
        if pid is not None and not pid_alive(int(pid.group(1))):
            with contextlib.suppress(psycopg.Error):
                _drop_slot(primary_dsn, slot)
