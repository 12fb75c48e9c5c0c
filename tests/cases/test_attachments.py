"""Attachments: types sniffed from the bytes, logs recognised, downloads never rendered."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile

from casebridge.cases.attachments import attachment_add, clean_filename, sniff
from casebridge.cases.models import Attachment
from casebridge.core.errors import PayloadTooLarge, ValidationFailed
from tests import factories
from tests.contract.support import media_files, snapshot

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
LOG = (
    b"2025-03-03 09:00:01,120 INFO  gateway started\n"
    b"2025-03-03 09:00:02,002 WARN  pool at 90%\n"
    b"2025-03-03 09:00:03,417 ERROR upstream timed out after 30000 ms\n"
)
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def add(world: factories.World, content: bytes, filename: str, **kwargs: Any) -> Attachment:
    case = kwargs.pop("case", None) or factories.make_case(world)
    return attachment_add(
        actor=kwargs.pop("actor", world["l2"]),
        case=case,
        upload=ContentFile(content),
        filename=filename,
        **kwargs,
    )


@pytest.mark.parametrize(
    ("content", "filename", "content_type", "is_log"),
    [
        (PNG, "notes.txt", "image/png", False),
        (LOG, "gateway.log", "text/plain", True),
        (LOG, "gateway-output.dat", "text/plain", True),  # three log lines, any name
        (b"Dear support,\nplease call me back.\n", "letter.md", "text/plain", False),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "report.log", "application/pdf", False),
        (b"\x00\x01\x02\x03\xff\xfe\x00", "dump.log", "application/octet-stream", False),
    ],
)
def test_sniffing_trusts_the_bytes_not_the_name(
    content: bytes, filename: str, content_type: str, is_log: bool
) -> None:
    assert sniff(content, filename) == (content_type, is_log)


def test_html_is_sniffed_as_html() -> None:
    content_type, is_log = sniff(HTML, "readme.txt")
    assert content_type == "text/html"
    assert is_log is False


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\screen shot.png", "screen shot.png"),
        ("evil\x00name\r\n.log", "evilname.log"),
        ("...", "attachment"),
        ("a" * 300 + ".log", ("a" * 300 + ".log")[-200:]),
    ],
)
def test_filenames_are_cleaned(raw: str, clean: str) -> None:
    assert clean_filename(raw) == clean


@pytest.mark.django_db
def test_an_attachment_is_stored_with_its_digest_and_sniffed_type(world: factories.World) -> None:
    attachment = add(world, PNG, "../../notes.txt")
    assert (attachment.filename, attachment.content_type, attachment.is_log) == (
        "notes.txt",
        "image/png",
        False,
    )
    assert attachment.size == len(PNG)
    assert attachment.sha256 == hashlib.sha256(PNG).hexdigest()
    stored = Path(attachment.file.path)
    assert stored.read_bytes() == PNG
    # Stored under the case and the digest, never under the name the uploader chose.
    assert stored.name == attachment.sha256[:16]
    assert stored.parent.name == attachment.case.key


@pytest.mark.django_db
def test_a_log_file_is_recognised(world: factories.World) -> None:
    attachment = add(world, LOG, "gateway.out")
    assert (attachment.content_type, attachment.is_log) == ("text/plain", True)


@pytest.mark.django_db
def test_empty_and_oversized_files_are_refused_and_nothing_is_stored(
    world: factories.World, settings: Any
) -> None:
    case = factories.make_case(world)
    settings.ATTACHMENT_MAX_BYTES = 1024
    before = snapshot()
    with pytest.raises(ValidationFailed) as empty:
        add(world, b"", "empty.log", case=case)
    assert empty.value.fields == {"file": "The file is empty."}
    with pytest.raises(PayloadTooLarge) as large:
        add(world, b"x" * 1025, "big.log", case=case)
    assert set(large.value.fields) == {"file"}
    assert snapshot() == before
    assert media_files() == []
    assert add(world, b"x" * 1024, "limit.log", case=case).size == 1024


@pytest.mark.django_db
def test_customers_cannot_add_internal_files(world: factories.World) -> None:
    case = factories.make_case(world, by="cust_a")
    with pytest.raises(ValidationFailed) as refused:
        add(world, LOG, "x.log", case=case, actor=world["cust_a"], internal=True)
    assert set(refused.value.fields) == {"internal"}
    assert media_files() == []


@pytest.mark.django_db
def test_a_failed_save_leaves_no_orphan_file(world: factories.World) -> None:
    from unittest import mock

    case = factories.make_case(world)
    with (
        mock.patch("casebridge.cases.attachments.audit_record", side_effect=RuntimeError("boom")),
        pytest.raises(RuntimeError),
    ):
        add(world, LOG, "gateway.log", case=case)
    assert Attachment.objects.count() == 0
    assert media_files() == []


@pytest.mark.django_db
def test_attachments_are_audited_internal_ones_privately(world: factories.World) -> None:
    from casebridge.audit.models import AuditEvent

    case = factories.make_case(world)
    add(world, LOG, "public.log", case=case, internal=False)
    add(world, LOG, "private.log", case=case, internal=True)
    events = AuditEvent.objects.filter(subject_key=case.key, action="attached")
    assert sorted((e.new, e.public) for e in events) == [
        ("private.log", False),
        ("public.log", True),
    ]


# --- downloads through the API --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "filename", "served_as"),
    [
        (HTML, "page.html", "application/octet-stream"),
        (HTML, "innocent.txt", "application/octet-stream"),
        (PNG, "notes.txt", "image/png"),
        (LOG, "gateway.log", "text/plain"),
        (
            b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
            "a.svg",
            "application/octet-stream",
        ),
    ],
)
def test_downloads_are_attachments_with_nosniff(
    api: Any, world: factories.World, content: bytes, filename: str, served_as: str
) -> None:
    case = factories.make_case(world)
    attachment = add(world, content, filename, case=case)
    response = api("l2").get(f"/cases/{case.key}/attachments/{attachment.pk}")
    assert response.status_code == 200
    assert response["Content-Type"] == served_as
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert filename in response["Content-Disposition"]
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == content


@pytest.mark.django_db
def test_upload_through_the_api_sniffs_the_bytes(api: Any, world: factories.World) -> None:
    case = factories.make_case(world)
    response = api("l2").upload(f"/cases/{case.key}/attachments", "notes.txt", PNG)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["filename"], body["content_type"], body["is_log"]) == (
        "notes.txt",
        "image/png",
        False,
    )
    assert body["download_url"] == f"/api/v1/cases/{case.key}/attachments/{body['id']}"
    response = api("l2").upload(
        f"/cases/{case.key}/attachments", "server.log", LOG, internal="true"
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["is_log"], response.json()["internal"]) == (True, True)
