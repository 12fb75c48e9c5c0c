"""Backup and restore: one archive with a consistent copy of the database and the stored files.

``backup_create(path)`` works while the server runs. The database copy is one snapshot: SQLite's
online backup API, or ``pg_dump -Fc`` of a snapshot exported by a repeatable-read transaction in
which the row counts and content hashes of the manifest are read too, so they describe exactly
what the archive holds. Stored files are copied after the snapshot; they are written once and
never changed, so every file the snapshot refers to is there (a file added later is harmless).

The archive is a tar file: ``manifest.json`` first (format, engine, applied migrations, row
count of every table, content hashes of cases, audit events and attachments, and the SHA-256 and
size of every other member), then ``database.sqlite3`` or ``database.pgdump``, then
``media/...``. It is written beside ``path`` and renamed into place when complete.

``backup_restore(path)`` checks the whole archive (every member's size and checksum, no member
outside the manifest, no path leaving the archive) before it changes anything, refuses a
database that is not empty unless asked to replace it, restores, and compares the restored
tables with the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypedDict

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Model

from casebridge.core import clock
from casebridge.core.errors import DomainError

FORMAT = "casebridge-backup"
VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PGDUMP_MEMBER = "database.pgdump"
MEDIA_PREFIX = "media/"
#: Tables whose content, not only their row count, must come back the same.
HASHED = ("cases_case", "audit_auditevent", "cases_attachment")
CHUNK = 1 << 20


class StoredFile(TypedDict):
    """A member of the archive in the manifest: its size and checksum."""

    size: int
    sha256: str


class ManifestData(TypedDict):
    """``manifest.json`` as written and read back."""

    format: str
    version: int
    engine: str
    created_at: str
    migrations: dict[str, list[str]]
    tables: dict[str, int]
    hashes: dict[str, str]
    files: dict[str, StoredFile]


@dataclass
class Manifest:
    engine: str
    created_at: str
    migrations: dict[str, list[str]]
    tables: dict[str, int]
    hashes: dict[str, str]
    files: dict[str, StoredFile] = field(default_factory=dict)

    def as_json(self) -> ManifestData:
        return {
            "format": FORMAT,
            "version": VERSION,
            "engine": self.engine,
            "created_at": self.created_at,
            "migrations": self.migrations,
            "tables": self.tables,
            "hashes": self.hashes,
            "files": self.files,
        }


class Cursor(Protocol):
    """The part of a DB-API cursor the counts and hashes read (Django's or sqlite3's)."""

    def execute(self, sql: str, /) -> object: ...

    def fetchone(self) -> Sequence[object]: ...

    def fetchmany(self, size: int, /) -> Sequence[Sequence[object]]: ...


@dataclass(frozen=True)
class BackupResult:
    path: Path
    bytes: int
    manifest: Manifest


def refuse(message: str, field: str = "path") -> DomainError:
    return DomainError(message, fields={field: message})


def engine() -> str:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def django_tables() -> list[str]:
    """The tables of installed models and the migration recorder, sorted."""
    names = {m._meta.db_table for m in _models()} | {MigrationRecorder.Migration._meta.db_table}
    existing = set(connection.introspection.table_names())
    return sorted(names & existing)


def _models() -> list[type[Model]]:
    return [m for m in apps.get_models(include_auto_created=True) if m._meta.managed]


def read_counts_and_hashes(
    cursor: Cursor, tables: list[str]
) -> tuple[dict[str, int], dict[str, str]]:
    counts: dict[str, int] = {}
    hashes: dict[str, str] = {}
    for table in tables:
        cursor.execute(f"SELECT count(*) FROM {quote(table)}")  # noqa: S608 - quoted name
        (count,) = cursor.fetchone()
        assert isinstance(count, int)
        counts[table] = count
        if table in HASHED:
            cursor.execute(f"SELECT * FROM {quote(table)} ORDER BY 1")  # noqa: S608
            digest = hashlib.sha256()
            while rows := cursor.fetchmany(2000):
                for row in rows:
                    digest.update(repr(tuple(row)).encode())
                    digest.update(b"\n")
            hashes[table] = digest.hexdigest()
    return counts, hashes


def _migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        applied.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


# --- PostgreSQL tools ------------------------------------------------------------------------


def pg_tool(name: str) -> str:
    """``pg_dump``/``pg_restore`` of the server's major version when installed, else on PATH."""
    major = connection.pg_version // 10000  # type: ignore[attr-defined]
    versioned = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
    found = str(versioned) if versioned.exists() else shutil.which(name)
    if not found:
        raise refuse(f"{name} is not installed: install the PostgreSQL client tools ({major})")
    return found


def _pg_env() -> dict[str, str]:
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if db.get(key):
            env[var] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def run_tool(command: list[str]) -> None:
    done = subprocess.run(command, env=_pg_env(), capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        tool = Path(command[0]).name
        raise refuse(f"{tool} failed: {done.stderr.strip()[-500:] or done.returncode}")


# --- backup ----------------------------------------------------------------------------------


def _snapshot_sqlite(staging: Path) -> tuple[Path, dict[str, int], dict[str, str]]:
    target = staging / SQLITE_MEMBER
    connection.ensure_connection()
    source = connection.connection
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
    tables = django_tables()
    reader = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    try:
        counts, hashes = read_counts_and_hashes(reader.cursor(), tables)
    finally:
        reader.close()
    return target, counts, hashes


def _snapshot_postgresql(staging: Path) -> tuple[Path, dict[str, int], dict[str, str]]:
    target = staging / PGDUMP_MEMBER
    tables = django_tables()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        counts, hashes = read_counts_and_hashes(cursor, tables)
        name = str(settings.DATABASES["default"]["NAME"])
        run_tool(
            [
                pg_tool("pg_dump"),
                "-Fc",
                "--no-owner",
                f"--snapshot={snapshot}",
                "-f",
                str(target),
                name,
            ]
        )
    return target, counts, hashes


def _media_files() -> Iterator[tuple[str, Path]]:
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield MEDIA_PREFIX + path.relative_to(root).as_posix(), path


def backup_create(path: Path) -> BackupResult:
    """Write a backup archive of the database and the stored files to ``path``."""
    path = Path(path)
    if path.is_dir():
        raise refuse(f"{path} is a directory: give the archive's file name")
    if not path.parent.is_dir():
        raise refuse(f"{path.parent} does not exist")
    kind = engine()
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".casebridge-backup-") as tmp:
        staging = Path(tmp)
        migrations = _migrations()
        snap = _snapshot_postgresql if kind == "postgresql" else _snapshot_sqlite
        database, counts, hashes = snap(staging)
        manifest = Manifest(
            engine=kind,
            created_at=clock.now().isoformat(),
            migrations=migrations,
            tables=counts,
            hashes=hashes,
        )
        members: list[tuple[str, Path]] = [(database.name, database), *_media_files()]
        for name, file in members:
            manifest.files[name] = {"size": file.stat().st_size, "sha256": _sha256(file)}
        manifest_file = staging / MANIFEST
        manifest_file.write_text(json.dumps(manifest.as_json(), indent=1, sort_keys=True))
        partial = staging / "archive.tar"
        with tarfile.open(partial, "w") as archive:
            archive.add(manifest_file, arcname=MANIFEST)
            for name, file in members:
                archive.add(file, arcname=name)
        size = partial.stat().st_size
        partial.replace(path)
    return BackupResult(path=path, bytes=size, manifest=manifest)
