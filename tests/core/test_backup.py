"""Backup and restore: the drill (back up under write load, restore into an empty database, every
table's rows and the content of cases, audit events and attachments come back), and the refusals
(damaged, foreign, non-empty) that change nothing."""

from __future__ import annotations

import io
import json
import tarfile
import threading
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import close_old_connections, connection

from casebridge.cases.attachments import attachment_add
from casebridge.cases.models import Attachment, Case
from casebridge.core.backup import backup_create
from casebridge.core.errors import DomainError
from casebridge.core.restore import backup_restore, backup_verify, database_fingerprint
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def _media() -> dict[str, bytes]:
    root = Path(settings.MEDIA_ROOT)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _load(world: factories.World, cases: int = 6) -> None:
    for n in range(cases):
        case = factories.make_case(world, title=f"Checkout fails {n}")
        attachment_add(
            actor=world["l2"],
            case=case,
            upload=io.BytesIO(f"2026-12-06 ERROR payment {n} refused\n".encode() * 20),
            filename=f"app-{n}.log",
        )


def _empty_everything() -> None:
    call_command("flush", interactive=False, verbosity=0)
    for path in Path(settings.MEDIA_ROOT).rglob("*"):
        if path.is_file():
            path.unlink()


def test_drill_back_up_under_write_load_and_restore_into_an_empty_database(
    world: factories.World, tmp_path: Path
) -> None:
    _load(world)
    stop = threading.Event()
    written: list[str] = []

    def writer() -> None:
        try:
            while not stop.is_set():
                written.append(factories.make_case(world, title=f"Under load {len(written)}").key)
        finally:
            close_old_connections()
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 2:
            stop.wait(0.05)
        result = backup_create(tmp_path / "casebridge.tar")
    finally:
        stop.set()
        thread.join()
    manifest = result.manifest
    assert manifest.tables["cases_case"] >= 8  # six loaded, some written while backing up
    assert manifest.tables["cases_attachment"] == 6
    assert set(manifest.hashes) == {"cases_case", "audit_auditevent", "cases_attachment"}
    files_before = _media()
    assert len(files_before) == 6

    _empty_everything()
    assert not Case.objects.exists() and not _media()

    restored = backup_restore(result.path)

    assert restored.files == 6 and restored.rows == sum(manifest.tables.values())
    assert database_fingerprint() == (manifest.tables, manifest.hashes)
    assert _media() == files_before
    attachment = Attachment.objects.order_by("id").first()
    assert attachment is not None and attachment.file.read().startswith(b"2026-12-06 ERROR")


def test_a_database_with_data_is_not_replaced_unless_asked(
    world: factories.World, tmp_path: Path
) -> None:
    _load(world, cases=2)
    archive = backup_create(tmp_path / "b.tar").path
    factories.make_case(world, title="After the backup")
    with pytest.raises(DomainError, match="not empty"):
        backup_restore(archive)
    assert Case.objects.filter(title="After the backup").exists()
    backup_restore(archive, replace=True)
    assert not Case.objects.filter(title="After the backup").exists()
    assert Case.objects.count() == 2


def _rewrite(source: Path, target: Path, change: Any) -> None:
    """Copy the archive member by member, letting ``change(name, data)`` alter each."""
    with tarfile.open(source) as old, tarfile.open(target, "w") as new:
        for member in old:
            handle = old.extractfile(member)
            data = change(member.name, handle.read() if handle else b"")
            if data is None:
                continue
            member.size = len(data)
            new.addfile(member, io.BytesIO(data))


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("flip", "does not match its checksum"),
        ("truncate", "truncated or corrupt"),
        ("drop", "missing"),
        ("foreign", "restore it into"),
        ("traversal", "unexpected member"),
        ("not-a-backup", "not a Casebridge backup"),
    ],
)
def test_a_damaged_or_foreign_archive_is_refused_before_anything_changes(
    world: factories.World, tmp_path: Path, how: str, message: str
) -> None:
    _load(world, cases=2)
    good = backup_create(tmp_path / "good.tar").path
    bad = tmp_path / "bad.tar"

    def flip(name: str, data: bytes) -> bytes:
        return data[:-1] + bytes([data[-1] ^ 1]) if name.startswith("database") else data

    def drop(name: str, data: bytes) -> bytes | None:
        return None if name.startswith("media/") else data

    def foreign(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["engine"] = "sqlite" if connection.vendor == "postgresql" else "postgresql"
        return json.dumps(manifest).encode()

    if how == "truncate":
        bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    elif how == "traversal":
        _rewrite(good, bad, lambda n, d: d)
        with tarfile.open(bad, "a") as archive:
            info = tarfile.TarInfo("../escape.txt")
            info.size = 2
            archive.addfile(info, io.BytesIO(b"hi"))
    elif how == "not-a-backup":
        with tarfile.open(bad, "w") as archive:
            info = tarfile.TarInfo("notes.txt")
            info.size = 2
            archive.addfile(info, io.BytesIO(b"hi"))
    else:
        _rewrite(good, bad, {"flip": flip, "drop": drop, "foreign": foreign}[how])
    _empty_everything()

    with pytest.raises(DomainError, match=message):
        backup_restore(bad)
    assert not Case.objects.exists() and not _media()
    assert not (tmp_path.parent / "escape.txt").exists()


def test_the_commands_report_and_fail_with_a_message(
    world: factories.World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _load(world, cases=1)
    call_command("backup", str(tmp_path / "b.tar"), "--json")
    printed = json.loads(capsys.readouterr().out)
    assert (
        printed["rows"] > 0
        and printed["files"] == 1
        and printed["engine"] in {"sqlite", "postgresql"}
    )
    out = io.StringIO()
    call_command("restore", "--check", str(tmp_path / "b.tar"), stdout=out)
    assert "intact" in out.getvalue()
    assert backup_verify(tmp_path / "b.tar")["tables"]["cases_case"] == 1
    with pytest.raises(CommandError, match="not empty") as refused:
        call_command("restore", str(tmp_path / "b.tar"))
    assert refused.value.returncode == 2
    with pytest.raises(CommandError, match="is a directory"):
        call_command("backup", str(tmp_path))
