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

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, connections, transaction
from django.db.migrations.recorder import MigrationRecorder

from casebridge.core import clock
from casebridge.core.errors import DomainError
from casebridge.core.text import plural

FORMAT = "casebridge-backup"
VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PGDUMP_MEMBER = "database.pgdump"
MEDIA_PREFIX = "media/"
#: Tables whose content, not only their row count, must come back the same.
HASHED = ("cases_case", "audit_auditevent", "cases_attachment")
CHUNK = 1 << 20


@dataclass
class Manifest:
    engine: str
    created_at: str
    migrations: dict[str, list[str]]
    tables: dict[str, int]
    hashes: dict[str, str]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, **self.__dict__}


@dataclass(frozen=True)
class BackupResult:
    path: Path
    bytes: int
    manifest: Manifest


@dataclass(frozen=True)
class RestoreResult:
    engine: str
    tables: int
    rows: int
    files: int
    created_at: str


def _refuse(message: str, field: str = "path") -> DomainError:
    return DomainError(message, fields={field: message})


def _engine() -> str:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _django_tables() -> list[str]:
    """The tables of installed models and the migration recorder, sorted."""
    names = {m._meta.db_table for m in _models()} | {MigrationRecorder.Migration._meta.db_table}
    existing = set(connection.introspection.table_names())
    return sorted(names & existing)


def _models() -> list[Any]:
    return [m for m in apps.get_models(include_auto_created=True) if m._meta.managed]


def _read_counts_and_hashes(
    cursor: Any, tables: list[str]
) -> tuple[dict[str, int], dict[str, str]]:
    counts: dict[str, int] = {}
    hashes: dict[str, str] = {}
    for table in tables:
        cursor.execute(f"SELECT count(*) FROM {_quote(table)}")  # noqa: S608 - quoted name
        counts[table] = int(cursor.fetchone()[0])
        if table in HASHED:
            cursor.execute(f"SELECT * FROM {_quote(table)} ORDER BY 1")  # noqa: S608
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


def _pg_tool(name: str) -> str:
    """``pg_dump``/``pg_restore`` of the server's major version when installed, else on PATH."""
    major = connection.pg_version // 10000  # type: ignore[attr-defined]
    versioned = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
    found = str(versioned) if versioned.exists() else shutil.which(name)
    if not found:
        raise _refuse(f"{name} is not installed: install the PostgreSQL client tools ({major})")
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


def _run(command: list[str]) -> None:
    done = subprocess.run(command, env=_pg_env(), capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        tool = Path(command[0]).name
        raise _refuse(f"{tool} failed: {done.stderr.strip()[-500:] or done.returncode}")


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
    tables = _django_tables()
    reader = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    try:
        counts, hashes = _read_counts_and_hashes(reader.cursor(), tables)
    finally:
        reader.close()
    return target, counts, hashes


def _snapshot_postgresql(staging: Path) -> tuple[Path, dict[str, int], dict[str, str]]:
    target = staging / PGDUMP_MEMBER
    tables = _django_tables()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        counts, hashes = _read_counts_and_hashes(cursor, tables)
        name = str(settings.DATABASES["default"]["NAME"])
        _run(
            [
                _pg_tool("pg_dump"),
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
        raise _refuse(f"{path} is a directory: give the archive's file name")
    if not path.parent.is_dir():
        raise _refuse(f"{path.parent} does not exist")
    engine = _engine()
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".casebridge-backup-") as tmp:
        staging = Path(tmp)
        migrations = _migrations()
        snap = _snapshot_postgresql if engine == "postgresql" else _snapshot_sqlite
        database, counts, hashes = snap(staging)
        manifest = Manifest(
            engine=engine,
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


# --- restore ---------------------------------------------------------------------------------


def _safe_member_name(name: str) -> bool:
    pure = PurePosixPath(name)
    return not pure.is_absolute() and ".." not in pure.parts and name == pure.as_posix()


def _read_manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = archive.getmember(MANIFEST)
        handle = archive.extractfile(member)
        if handle is None:
            raise KeyError(MANIFEST)
        data = json.loads(handle.read(10 * CHUNK))
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise _refuse(f"damaged backup: the archive is truncated or corrupt ({exc})") from exc
    except (KeyError, ValueError) as exc:
        raise _refuse("not a Casebridge backup: manifest.json is missing or unreadable") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise _refuse("not a Casebridge backup: the manifest names another format")
    if data.get("version") != VERSION:
        raise _refuse(f"backup format version {data.get('version')} is not {VERSION}")
    for key in ("engine", "tables", "hashes", "files", "migrations", "created_at"):
        if key not in data:
            raise _refuse(f"damaged backup: the manifest has no '{key}'")
    return data


@contextlib.contextmanager
def _open_archive(path: Path) -> Iterator[tarfile.TarFile]:
    try:
        archive = tarfile.open(path, "r:")  # noqa: SIM115 - closed below, after the check
    except (tarfile.TarError, OSError) as exc:
        raise _refuse(f"damaged backup: {path} is not a readable tar archive ({exc})") from exc
    with archive:
        yield archive


def backup_verify(path: Path) -> dict[str, Any]:
    """Check every member of the archive against its manifest; return the manifest."""
    path = Path(path)
    if not path.is_file():
        raise _refuse(f"{path} is not a file")
    with _open_archive(path) as archive:
        manifest = _read_manifest(archive)
        expected: dict[str, dict[str, Any]] = manifest["files"]
        seen: set[str] = set()
        try:
            for member in archive:
                if member.name == MANIFEST:
                    continue
                if not member.isfile() or not _safe_member_name(member.name):
                    raise _refuse(f"damaged backup: unexpected member {member.name!r}")
                want = expected.get(member.name)
                if want is None:
                    raise _refuse(f"damaged backup: {member.name!r} is not in the manifest")
                handle = archive.extractfile(member)
                digest = hashlib.sha256()
                size = 0
                while handle is not None and (block := handle.read(CHUNK)):
                    digest.update(block)
                    size += len(block)
                if size != want["size"] or digest.hexdigest() != want["sha256"]:
                    raise _refuse(f"damaged backup: {member.name} does not match its checksum")
                seen.add(member.name)
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise _refuse(f"damaged backup: the archive is truncated or corrupt ({exc})") from exc
        missing = sorted(set(expected) - seen)
        if missing:
            raise _refuse(
                f"damaged backup: {plural(len(missing), 'member')} missing, first {missing[0]}"
            )
    return manifest


#: A database "has data" when any of these has a row; a freshly migrated one has none (its
#: content types, permissions and seeded settings are not data anyone would lose).
DATA_TABLES = ("accounts_user", "cases_case", "workitems_workitem", "audit_auditevent")


def _rows_present() -> bool:
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for table in DATA_TABLES:
            if table in existing:
                cursor.execute(f"SELECT 1 FROM {_quote(table)} LIMIT 1")  # noqa: S608 - quoted
                if cursor.fetchone():
                    return True
    return False


def _restore_sqlite(extracted: Path) -> None:
    connection.ensure_connection()
    source = sqlite3.connect(f"file:{extracted}?mode=ro", uri=True)
    try:
        source.backup(connection.connection)
    finally:
        source.close()
    connection.close()


def _restore_postgresql(extracted: Path) -> None:
    name = str(settings.DATABASES["default"]["NAME"])
    connection.close()
    _run(
        [
            _pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "-d",
            name,
            str(extracted),
        ]
    )


def _sqlite_path() -> Path:
    return Path(str(settings.DATABASES["default"]["NAME"]))


def backup_restore(path: Path, *, replace: bool = False) -> RestoreResult:
    """Restore the archive at ``path`` into the configured database and media root."""
    manifest = backup_verify(path)
    engine = _engine()
    if manifest["engine"] != engine:
        raise _refuse(
            f"this backup is of a {manifest['engine']} database and DATABASE_URL points at "
            f"{engine}: restore it into {manifest['engine']}",
            "DATABASE_URL",
        )
    if not replace and _rows_present():
        raise _refuse("the database is not empty: restore into an empty one, or pass --replace")
    media_root = Path(settings.MEDIA_ROOT)
    with (
        tempfile.TemporaryDirectory(prefix=".casebridge-restore-") as tmp,
        tarfile.open(path) as archive,
    ):
        staging = Path(tmp)
        member = SQLITE_MEMBER if engine == "sqlite" else PGDUMP_MEMBER
        archive.extract(member, staging, filter="data")
        for connection_ in connections.all():
            connection_.close()
        if engine == "sqlite":
            _restore_sqlite(staging / member)
        else:
            _restore_postgresql(staging / member)
        files = 0
        for info in archive:
            if info.name.startswith(MEDIA_PREFIX) and info.isfile():
                relative = info.name.removeprefix(MEDIA_PREFIX)
                target = media_root / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                handle = archive.extractfile(info)
                if handle is None:
                    continue
                with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as out:
                    shutil.copyfileobj(handle, out, CHUNK)
                Path(out.name).replace(target)
                files += 1
    counts, hashes = _restored_counts_and_hashes(list(manifest["tables"]))
    differing = [t for t, n in manifest["tables"].items() if counts.get(t) != n]
    differing += [t for t, h in manifest["hashes"].items() if hashes.get(t) != h]
    if differing:
        raise _refuse(f"restored, but {', '.join(sorted(set(differing)))} differ from the backup")
    return RestoreResult(
        engine=engine,
        tables=len(counts),
        rows=sum(counts.values()),
        files=files,
        created_at=str(manifest["created_at"]),
    )


def _restored_counts_and_hashes(tables: list[str]) -> tuple[dict[str, int], dict[str, str]]:
    if _engine() == "sqlite":
        reader = sqlite3.connect(f"file:{_sqlite_path()}?mode=ro", uri=True)
        try:
            return _read_counts_and_hashes(reader.cursor(), tables)
        finally:
            reader.close()
    with connection.cursor() as cursor:
        return _read_counts_and_hashes(cursor, tables)


def database_fingerprint() -> tuple[dict[str, int], dict[str, str]]:
    """Row counts of every table and content hashes of cases, audit events and attachments, as
    a backup's manifest records them (for drills and checks)."""
    return _restored_counts_and_hashes(_django_tables())
