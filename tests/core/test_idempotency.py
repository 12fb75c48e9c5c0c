"""``Idempotency-Key`` on API writes and ``--idempotency-key`` in the CLI (issue 17)."""

from __future__ import annotations

import json
import threading
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client

from casebridge.api import api as ninja_api
from casebridge.audit.models import AuditEvent
from casebridge.cases.models import Attachment, Case
from casebridge.core.idempotency import forget_expired
from casebridge.core.models import IdempotencyKey
from tests import factories

NEW_CASE = {
    "title": "Checkout 502",
    "service": "payments",
    "environment": "production",
    "organisation": "acme",
}
ESCALATION = {
    "category": "bug",
    "description": "Checkout fails",
    "steps_to_reproduce": "1. add to cart 2. pay",
    "expected_result": "paid",
    "actual_result": "502",
    "version": "4.2.1",
    "log_excerpt": "ERROR upstream timed out",
}


def post(client: Client, token: str, path: str, body: object, key: str | None) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(
        f"/api/v1{path}", json.dumps(body), content_type="application/json", **headers
    )


@pytest.mark.django_db
def test_the_same_key_twice_opens_one_case_and_answers_the_same(world):
    client = Client()
    first = post(client, world.tokens["l1"], "/cases", NEW_CASE, "k-1")
    assert first.status_code == 201, first.json()
    again = post(client, world.tokens["l1"], "/cases", NEW_CASE, "k-1")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Case.objects.count() == 1
    assert AuditEvent.objects.filter(action="created", subject_key=first.json()["key"]).count() == 1
    # without a key, the same body is a new case as before
    other = post(client, world.tokens["l1"], "/cases", NEW_CASE, None)
    assert other.status_code == 201 and other.json()["key"] != first.json()["key"]


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_a_422_naming_the_header(world):
    client = Client()
    assert post(client, world.tokens["l1"], "/cases", NEW_CASE, "k-2").status_code == 201
    changed = {**NEW_CASE, "title": "Another problem"}
    refused = post(client, world.tokens["l1"], "/cases", changed, "k-2")
    assert refused.status_code == 422
    assert refused.json()["code"] == "idempotency_key_reused"
    assert "Idempotency-Key" in refused.json()["fields"]
    assert Case.objects.count() == 1
    # another path with the same key is another request too
    key = Case.objects.get().key
    assert post(client, world.tokens["l2"], f"/cases/{key}/take", {}, "k-2").status_code == 200


@pytest.mark.django_db
def test_keys_are_per_sender(world):
    client = Client()
    assert post(client, world.tokens["l1"], "/cases", NEW_CASE, "shared").status_code == 201
    assert post(client, world.tokens["l2"], "/cases", NEW_CASE, "shared").status_code == 201
    assert Case.objects.count() == 2


@pytest.mark.django_db
def test_a_refused_escalation_keeps_no_key_so_the_fixed_retry_runs(world):
    client = Client()
    key = post(client, world.tokens["l1"], "/cases", NEW_CASE, None).json()["key"]
    assert post(client, world.tokens["l2"], f"/cases/{key}/take", {}, None).status_code == 200
    refused = post(client, world.tokens["l2"], f"/cases/{key}/escalate", {"category": "bug"}, "e1")
    assert refused.status_code == 409
    done = post(client, world.tokens["l2"], f"/cases/{key}/escalate", ESCALATION, "e1")
    assert done.status_code == 200, done.json()
    events = AuditEvent.objects.count()
    replay = post(client, world.tokens["l2"], f"/cases/{key}/escalate", ESCALATION, "e1")
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    assert replay.json() == done.json()
    assert AuditEvent.objects.count() == events  # the replay changed nothing


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key", "why"),
    [("", "non-empty"), ("x" * 256, "At most 255"), ("caf\u00e9", "Printable ASCII")],
)
def test_an_unusable_key_is_a_400_naming_the_header(world, key, why):
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {world.tokens['l1']}", "HTTP_IDEMPOTENCY_KEY": key}
    answer = client.post(
        "/api/v1/cases", json.dumps(NEW_CASE), content_type="application/json", **headers
    )
    assert answer.status_code == 400
    assert why in answer.json()["fields"]["Idempotency-Key"]
    assert Case.objects.count() == 0


@pytest.mark.django_db
def test_a_server_error_rolls_everything_back_and_the_retry_runs(world, monkeypatch):
    client = Client(raise_request_exception=False)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the answer could not be made")

    with monkeypatch.context() as patch:
        patch.setattr("casebridge.cases.api.case_out", broken)
        failed = post(client, world.tokens["l1"], "/cases", NEW_CASE, "k-500")
    assert failed.status_code == 500
    assert Case.objects.count() == 0  # the case was written, then rolled back with the key
    assert IdempotencyKey.objects.count() == 0
    retried = post(client, world.tokens["l1"], "/cases", NEW_CASE, "k-500")
    assert retried.status_code == 201
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_keys_are_forgotten_after_the_retention(world, settings):
    settings.IDEMPOTENCY_KEY_HOURS = 24
    client = Client()
    with time_machine.travel("2026-12-10 09:00Z", tick=False):
        assert post(client, world.tokens["l1"], "/cases", NEW_CASE, "old").status_code == 201
    with time_machine.travel("2026-12-11 08:59Z", tick=False):
        assert forget_expired() == 0
        again = post(client, world.tokens["l1"], "/cases", NEW_CASE, "old")
        assert again["Idempotent-Replayed"] == "true"
    with time_machine.travel("2026-12-11 09:01Z", tick=False):
        fresh = post(client, world.tokens["l1"], "/cases", NEW_CASE, "old")
        assert "Idempotent-Replayed" not in fresh
        assert Case.objects.count() == 2  # too old to count: a new request
    with time_machine.travel("2026-12-12 09:02Z", tick=False):
        assert forget_expired() == 1
    assert IdempotencyKey.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_open_one_case_and_all_get_its_answer():
    world = factories.build_world()
    token = world.tokens["l1"]
    barrier = threading.Barrier(4)
    answers: list[tuple[int, dict[str, object]]] = []
    failures: list[BaseException] = []

    def send() -> None:
        try:
            barrier.wait(timeout=10)
            answer = post(Client(), token, "/cases", NEW_CASE, "together")
            answers.append((answer.status_code, answer.json()))
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert [status for status, _ in answers] == [201] * 4
    assert len({body["key"] for _, body in answers}) == 1
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_the_cli_opens_a_case_once_per_key(world, capsys):
    args = [
        "create",
        "--as",
        "l1",
        "--title",
        "Checkout fails with 502",
        "--service",
        "payments",
        "--environment",
        "production",
        "--org",
        "acme",
        "--idempotency-key",
        "cli-1",
        "--json",
    ]
    call_command("case", *args)
    first = json.loads(capsys.readouterr().out)
    call_command("case", *args)
    second = json.loads(capsys.readouterr().out)
    assert first["key"] == second["key"]
    assert Case.objects.count() == 1
    changed = [a if a != "Checkout fails with 502" else "Other" for a in args]
    with pytest.raises(CommandError, match="idempotency-key"):
        call_command("case", *changed, stdout=StringIO())
    assert Case.objects.count() == 1


def test_the_openapi_names_the_header_on_writes_only():
    schema = ninja_api.get_openapi_schema(path_prefix="/api/v1")
    paths = schema["paths"]

    def names(path: str, method: str) -> list[str]:
        return [p["name"] for p in paths[path][method].get("parameters", [])]

    assert "Idempotency-Key" in names("/api/v1/cases", "post")
    assert "Idempotency-Key" not in names("/api/v1/cases", "get")
    intake = [p for p in paths if p.startswith("/api/v1/intake/")]
    assert intake and all("Idempotency-Key" not in names(p, m) for p in intake for m in paths[p])


@pytest.mark.django_db
def test_an_upload_retried_with_its_key_is_stored_once(world):
    client = Client()
    key = post(client, world.tokens["l1"], "/cases", NEW_CASE, None).json()["key"]
    headers = {
        "HTTP_AUTHORIZATION": f"Bearer {world.tokens['l1']}",
        "HTTP_IDEMPOTENCY_KEY": "upload-1",
    }

    def upload(content: bytes) -> Any:
        file = SimpleUploadedFile("gateway.log", content)
        return client.post(f"/api/v1/cases/{key}/attachments", {"file": file}, **headers)

    first = upload(b"ERROR upstream timed out\n")
    assert first.status_code == 201, first.json()
    again = upload(b"ERROR upstream timed out\n")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert Attachment.objects.filter(case__key=key).count() == 1
    assert upload(b"another file\n").status_code == 422
