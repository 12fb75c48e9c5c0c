"""Restore: check a backup archive whole, then put it back (see ``core.backup`` for the format).

``backup_verify(path)`` checks every member's size and checksum, that no member is outside the
manifest and that no path leaves the archive, before anything changes. ``backup_restore(path)``
refuses a database that is not empty unless asked to replace it, restores the database and the
stored files, and compares the restored tables with the manifest.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import cast

from django.conf import settings
from django.db import connection, connections

from casebridge.core.backup import (
    CHUNK,
    FORMAT,
    MANIFEST,
    MEDIA_PREFIX,
    PGDUMP_MEMBER,
    SQLITE_MEMBER,
    VERSION,
    ManifestData,
    django_tables,
    engine,
    pg_tool,
    quote,
    read_counts_and_hashes,
    refuse,
    run_tool,
)
from casebridge.core.text import plural


@dataclass(frozen=True)
class RestoreResult:
    engine: str
    tables: int
    rows: int
    files: int
    created_at: str


def _safe_member_name(name: str) -> bool:
    pure = PurePosixPath(name)
    return not pure.is_absolute() and ".." not in pure.parts and name == pure.as_posix()


def _read_manifest(archive: tarfile.TarFile) -> ManifestData:
    try:
        member = archive.getmember(MANIFEST)
        handle = archive.extractfile(member)
        if handle is None:
            raise KeyError(MANIFEST)
        data = json.loads(handle.read(10 * CHUNK))
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise refuse(f"damaged backup: the archive is truncated or corrupt ({exc})") from exc
    except (KeyError, ValueError) as exc:
        raise refuse("not a Casebridge backup: manifest.json is missing or unreadable") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise refuse("not a Casebridge backup: the manifest names another format")
    if data.get("version") != VERSION:
        raise refuse(f"backup format version {data.get('version')} is not {VERSION}")
    for key in ("engine", "tables", "hashes", "files", "migrations", "created_at"):
        if key not in data:
            raise refuse(f"damaged backup: the manifest has no '{key}'")
    return cast("ManifestData", data)  # json.loads's value, its keys checked above


@contextlib.contextmanager
def _open_archive(path: Path) -> Iterator[tarfile.TarFile]:
    try:
        archive = tarfile.open(path, "r:")  # noqa: SIM115 - closed below, after the check
    except (tarfile.TarError, OSError) as exc:
        raise refuse(f"damaged backup: {path} is not a readable tar archive ({exc})") from exc
    with archive:
        yield archive


def backup_verify(path: Path) -> ManifestData:
    """Check every member of the archive against its manifest; return the manifest."""
    path = Path(path)
    if not path.is_file():
        raise refuse(f"{path} is not a file")
    with _open_archive(path) as archive:
        manifest = _read_manifest(archive)
        expected = manifest["files"]
        seen: set[str] = set()
        try:
            for member in archive:
                if member.name == MANIFEST:
                    continue
                if not member.isfile() or not _safe_member_name(member.name):
                    raise refuse(f"damaged backup: unexpected member {member.name!r}")
                want = expected.get(member.name)
                if want is None:
                    raise refuse(f"damaged backup: {member.name!r} is not in the manifest")
                handle = archive.extractfile(member)
                digest = hashlib.sha256()
                size = 0
                while handle is not None and (block := handle.read(CHUNK)):
                    digest.update(block)
                    size += len(block)
                if size != want["size"] or digest.hexdigest() != want["sha256"]:
                    raise refuse(f"damaged backup: {member.name} does not match its checksum")
                seen.add(member.name)
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise refuse(f"damaged backup: the archive is truncated or corrupt ({exc})") from exc
        missing = sorted(set(expected) - seen)
        if missing:
            raise refuse(
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
                cursor.execute(f"SELECT 1 FROM {quote(table)} LIMIT 1")  # noqa: S608 - quoted
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
    run_tool(
        [
            pg_tool("pg_restore"),
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
    current = engine()
    if manifest["engine"] != current:
        raise refuse(
            f"this backup is of a {manifest['engine']} database and DATABASE_URL points at "
            f"{current}: restore it into {manifest['engine']}",
            "DATABASE_URL",
        )
    if not replace and _rows_present():
        raise refuse("the database is not empty: restore into an empty one, or pass --replace")
    media_root = Path(settings.MEDIA_ROOT)
    with (
        tempfile.TemporaryDirectory(prefix=".casebridge-restore-") as tmp,
        tarfile.open(path) as archive,
    ):
        staging = Path(tmp)
        member = SQLITE_MEMBER if current == "sqlite" else PGDUMP_MEMBER
        archive.extract(member, staging, filter="data")
        for connection_ in connections.all():
            connection_.close()
        if current == "sqlite":
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
        raise refuse(f"restored, but {', '.join(sorted(set(differing)))} differ from the backup")
    return RestoreResult(
        engine=current,
        tables=len(counts),
        rows=sum(counts.values()),
        files=files,
        created_at=str(manifest["created_at"]),
    )


def _restored_counts_and_hashes(tables: list[str]) -> tuple[dict[str, int], dict[str, str]]:
    if engine() == "sqlite":
        reader = sqlite3.connect(f"file:{_sqlite_path()}?mode=ro", uri=True)
        try:
            return read_counts_and_hashes(reader.cursor(), tables)
        finally:
            reader.close()
    with connection.cursor() as cursor:
        return read_counts_and_hashes(cursor, tables)


def database_fingerprint() -> tuple[dict[str, int], dict[str, str]]:
    """Row counts of every table and content hashes of cases, audit events and attachments, as
    a backup's manifest records them (for drills and checks)."""
    return _restored_counts_and_hashes(django_tables())
