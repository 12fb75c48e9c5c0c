"""Bad input: a clear 4xx ``{"code", "message", "fields"}`` naming the field, and nothing written.

Every refusal below is checked against a snapshot of every domain table's row count, the rows of
cases, known resolutions and users, and the files under MEDIA_ROOT, taken just before the request.
"""

# The tables below are read across: one line per case.
# ruff: noqa: E501

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from casebridge.accounts.models import User
from casebridge.cases.models import Case
from casebridge.cases.services import case_transition
from casebridge.knowledge.models import KnownResolution
from casebridge.knowledge.services import KnownResolutionInput, known_resolution_create
from tests import factories
from tests.contract.support import assert_error_shape, shared_by_module, snapshot

CLIENT = Client()

CASE = {"title": "Checkout fails with 502", "service": "payments", "environment": "production"}
KR = {"title": "Restart pods", "symptoms": "502", "steps": "Restart", "fix_kind": "restart_service"}
USER = {"username": "newcomer", "email": "newcomer@example.com", "roles": ["l1_agent"]}
BUG_DOCS = {
    "steps_to_reproduce": "1. Add to cart 2. Pay",
    "expected_result": "Paid",
    "actual_result": "502",
    "log_excerpt": "ERROR upstream timed out",
}


@dataclass
class Scene:
    world: factories.World
    keys: dict[str, str]

    def path(self, template: str) -> str:
        return "/api/v1" + template.format(**self.keys)


@pytest.fixture(scope="module")
def media_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _module_media(settings: Any, media_root: Path) -> None:
    settings.MEDIA_ROOT = str(media_root)


@pytest.fixture(scope="module")
def shared_scene(
    django_db_setup: None, django_db_blocker: Any, media_root: Path
) -> Iterator[Scene]:
    """Cases of Acme (reported by cust_a) that are new, investigating and resolved; a known fix.

    Made once for the module; every test runs in a savepoint inside it.
    """
    with django_db_blocker.unblock(), shared_by_module(media_root):
        world = factories.build_world()
        l2 = world["l2"]
        new = factories.make_case(world, by="cust_a", description="", version="")
        inv = factories.make_case(world, by="cust_a", description="", version="")
        inv = case_transition(actor=l2, case=inv, action="take")
        res = case_transition(actor=l2, case=factories.make_case(world, by="cust_a"), action="take")
        res = case_transition(
            actor=l2, case=res, action="resolve", data={"resolution": "no_fault", "note": "ok"}
        )
        kr = known_resolution_create(
            actor=l2,
            data=KnownResolutionInput(
                title="Restart pods", symptoms="502", steps="Restart", fix_kind="other"
            ),
        )
        yield Scene(world, {"new": new.key, "inv": inv.key, "res": res.key, "kr": kr.key})


@pytest.fixture
def scene(shared_scene: Scene, db: None) -> Scene:
    return shared_scene


def state_of_the_world() -> dict[str, Any]:
    """Counts of every table and files on disk, plus the rows a refused request could touch."""
    state = snapshot()
    state["cases"] = list(Case.objects.order_by("id").values())
    state["known resolutions"] = list(KnownResolution.objects.order_by("id").values())
    state["users"] = list(User.objects.order_by("id").values())
    return state


def send(scene: Scene, who: str, method: str, path: str, body: Any = None, **extra: Any) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {scene.world.tokens[who]}"}
    if method == "GET":
        return CLIENT.get(scene.path(path), **headers)
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    extra.setdefault("content_type", "application/json")
    return CLIENT.generic(method, scene.path(path), data, **headers, **extra)


def refused(
    response: Any, status: int, fields: set[str], code: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:500])
    body: dict[str, Any] = response.json()
    assert_error_shape(body)
    assert set(body["fields"]) == fields, body
    assert all(body["fields"].values()), body
    if code is not None:
        assert body["code"] == code, body
    return body


def expect_nothing_written(scene: Scene, request: Any) -> Any:
    before = state_of_the_world()
    response = request()
    assert state_of_the_world() == before, "a refused request wrote something"
    return response


# (id, who, method, path, body, status, fields named). {new}/{inv}/{res} are Acme cases in
# the states new/investigating/resolved, {kr} a known resolution.
# fmt: off
BAD_JSON: list[tuple[str, str, str, str, Any, int, set[str]]] = [
    # Opening a case: missing, oversized and invalid fields.
    ("case: nothing", "l1", "POST", "/cases", {}, 422, {"title", "service", "environment"}),
    ("case: no title", "l1", "POST", "/cases", {**CASE, "title": None}, 422, {"title"}),
    ("case: title > 200", "l1", "POST", "/cases", {**CASE, "title": "x" * 201}, 422, {"title"}),
    ("case: title < 3", "l1", "POST", "/cases", {**CASE, "title": "ab"}, 422, {"title"}),
    ("case: title blank", "l1", "POST", "/cases", {**CASE, "title": "     "}, 422, {"title"}),
    ("case: title a number", "l1", "POST", "/cases", {**CASE, "title": 12345}, 422, {"title"}),
    ("case: description > 50k", "l1", "POST", "/cases", {**CASE, "description": "d" * 50_001}, 422, {"description"}),
    ("case: version > 64", "l1", "POST", "/cases", {**CASE, "version": "1." * 33}, 422, {"version"}),
    ("case: unknown service", "l1", "POST", "/cases", {**CASE, "service": "mainframe"}, 422, {"service"}),
    ("case: unknown component", "l1", "POST", "/cases", {**CASE, "component": "ledger"}, 422, {"component"}),
    ("case: component of another service", "l1", "POST", "/cases", {**CASE, "component": "indexer"}, 422, {"component"}),
    ("case: unknown environment", "l1", "POST", "/cases", {**CASE, "environment": "moon"}, 422, {"environment"}),
    ("case: unknown impact", "l1", "POST", "/cases", {**CASE, "impact": "apocalyptic"}, 422, {"impact"}),
    ("case: unknown organisation", "l1", "POST", "/cases", {**CASE, "organisation": "initech"}, 422, {"organisation"}),
    ("case: unknown reporter", "l1", "POST", "/cases", {**CASE, "reporter": "ghost"}, 422, {"reporter"}),
    ("case: customer reports as another", "cust_a", "POST", "/cases", {**CASE, "reporter": "l2"}, 422, {"reporter"}),
    ("case: body is a list", "l1", "POST", "/cases", [CASE], 422, {"body"}),
    # Correcting a case.
    ("patch: title > 200", "l2", "PATCH", "/cases/{new}", {"title": "x" * 201}, 422, {"title"}),
    ("patch: title null", "l2", "PATCH", "/cases/{new}", {"title": None}, 422, {"title"}),
    ("patch: description null", "l2", "PATCH", "/cases/{new}", {"description": None}, 422, {"description"}),
    ("patch: version null", "l2", "PATCH", "/cases/{new}", {"version": None}, 422, {"version"}),
    ("patch: unknown service", "l2", "PATCH", "/cases/{new}", {"service": "mainframe"}, 422, {"service"}),
    ("patch: component of another service", "l2", "PATCH", "/cases/{new}", {"component": "indexer"}, 422, {"component"}),
    ("patch: unknown environment", "l2", "PATCH", "/cases/{new}", {"environment": "moon"}, 422, {"environment"}),
    ("patch: misspelt field", "l2", "PATCH", "/cases/{new}", {"titel": "Checkout broken"}, 422, {"titel"}),
    # Comments.
    ("comment: missing body", "l2", "POST", "/cases/{new}/comments", {}, 422, {"body"}),
    ("comment: blank body", "l2", "POST", "/cases/{new}/comments", {"body": "   "}, 422, {"body"}),
    ("comment: body > 50k", "l2", "POST", "/cases/{new}/comments", {"body": "b" * 50_001}, 422, {"body"}),
    ("comment: customer writes internal", "cust_a", "POST", "/cases/{new}/comments", {"body": "hi", "internal": True}, 422, {"internal"}),
    ("comment: internal not a boolean", "l2", "POST", "/cases/{new}/comments", {"body": "hi", "internal": "maybe"}, 422, {"internal"}),
    # Transitions not allowed from the current state: 409 naming the action.
    ("take: already investigating", "l2", "POST", "/cases/{inv}/take", {}, 409, {"action"}),
    ("close: not resolved", "l2", "POST", "/cases/{inv}/close", {}, 409, {"action"}),
    ("reopen: not resolved", "l2", "POST", "/cases/{new}/reopen", {"reason": "again"}, 409, {"action"}),
    ("answer: not waiting", "cust_a", "POST", "/cases/{inv}/answer", {}, 409, {"action"}),
    ("request-info: not investigating", "l2", "POST", "/cases/{new}/request-info", {"question": "?"}, 409, {"action"}),
    ("resolve: already resolved", "l2", "POST", "/cases/{res}/resolve", {"resolution": "no_fault", "note": "x"}, 409, {"action"}),
    ("escalate: resolved", "l2", "POST", "/cases/{res}/escalate", {"category": "feature"}, 409, {"action", "justification", "impact_assessment"}),
    # Transition input.
    ("take: unknown owner", "l2", "POST", "/cases/{new}/take", {"owner": "ghost"}, 422, {"owner"}),
    ("take: owner is no L2 engineer", "l2", "POST", "/cases/{new}/take", {"owner": "dev3"}, 409, {"owner"}),
    ("request-info: no question", "l2", "POST", "/cases/{inv}/request-info", {}, 422, {"question"}),
    ("reopen: no reason", "cust_a", "POST", "/cases/{res}/reopen", {}, 409, {"reason"}),
    ("resolve: nothing", "l2", "POST", "/cases/{inv}/resolve", {}, 422, {"resolution"}),
    ("resolve: unknown resolution", "l2", "POST", "/cases/{inv}/resolve", {"resolution": "wontfix"}, 422, {"resolution"}),
    ("resolve: fixed by hand", "l2", "POST", "/cases/{inv}/resolve", {"resolution": "fixed"}, 422, {"resolution"}),
    ("resolve: no_fault without note", "l2", "POST", "/cases/{inv}/resolve", {"resolution": "no_fault"}, 409, {"note"}),
    ("resolve: known_fix without resolution or action", "l2", "POST", "/cases/{inv}/resolve", {"resolution": "known_fix"}, 409, {"known_resolution", "action_taken"}),
    ("resolve: known_fix with unknown resolution", "l2", "POST", "/cases/{inv}/resolve", {"resolution": "known_fix", "known_resolution": "KR-999", "action_taken": "Restarted"}, 409, {"known_resolution"}),
    ("resolve: known_fix without action", "l2", "POST", "/cases/{inv}/resolve", {"resolution": "known_fix", "known_resolution": "{kr}"}, 409, {"action_taken"}),
    ("resolve: duplicate of nothing", "l2", "POST", "/cases/{inv}/resolve", {"resolution": "duplicate"}, 409, {"duplicate_of"}),
    ("resolve: duplicate of itself", "l2", "POST", "/cases/{inv}/resolve", {"resolution": "duplicate", "duplicate_of": "{inv}"}, 409, {"duplicate_of"}),
    ("resolve: duplicate of an unknown case", "l2", "POST", "/cases/{inv}/resolve", {"resolution": "duplicate", "duplicate_of": "CB-9999"}, 409, {"duplicate_of"}),
    ("escalate: no category", "l2", "POST", "/cases/{inv}/escalate", {}, 409, {"category"}),
    ("escalate: unknown category", "l2", "POST", "/cases/{inv}/escalate", {"category": "chore"}, 422, {"category"}),
    ("escalate: unknown area", "l2", "POST", "/cases/{inv}/escalate", {"category": "improvement", "area": "vibes"}, 422, {"area"}),
    ("escalate: unknown work item", "l2", "POST", "/cases/{inv}/escalate", {"work_item": "BUG-999"}, 409, {"work_item"}),
    ("escalate: work item title too short", "l2", "POST", "/cases/{inv}/escalate", {"category": "feature", "title": "ab", "justification": "j", "impact_assessment": "i"}, 422, {"title"}),
    ("escalate: work item title > 200", "l2", "POST", "/cases/{inv}/escalate", {"category": "feature", "title": "t" * 201}, 422, {"title"}),
    # Knowledge base.
    ("kr: nothing", "l2", "POST", "/known-resolutions", {}, 422, {"title", "symptoms", "steps", "fix_kind"}),
    ("kr: unknown fix kind", "l2", "POST", "/known-resolutions", {**KR, "fix_kind": "pray"}, 422, {"fix_kind"}),
    ("kr: unknown service", "l2", "POST", "/known-resolutions", {**KR, "services": ["mainframe"]}, 422, {"services"}),
    ("kr: blank steps", "l2", "POST", "/known-resolutions", {**KR, "steps": "   "}, 422, {"steps"}),
    ("kr patch: title < 3", "l2", "PATCH", "/known-resolutions/{kr}", {"title": "ab"}, 422, {"title"}),
    ("kr patch: unknown service", "l2", "PATCH", "/known-resolutions/{kr}", {"services": ["mainframe"]}, 422, {"services"}),
    # Users and tokens.
    ("user: nothing", "admin", "POST", "/users", {}, 422, {"username", "email", "roles"}),
    ("user: bad username and e-mail", "admin", "POST", "/users", {**USER, "username": "no spaces", "email": "nope"}, 422, {"username", "email"}),
    ("user: taken username", "admin", "POST", "/users", {**USER, "username": "L2"}, 422, {"username"}),
    ("user: unknown role", "admin", "POST", "/users", {**USER, "roles": ["wizard"]}, 422, {"roles.0"}),
    ("user: developer without level", "admin", "POST", "/users", {**USER, "roles": ["developer"]}, 422, {"level"}),
    ("user: reporter without organisation", "admin", "POST", "/users", {**USER, "roles": ["reporter"]}, 422, {"org"}),
    ("user: unknown organisation", "admin", "POST", "/users", {**USER, "organisation": "initech"}, 422, {"organisation"}),
    ("user patch: unknown level", "admin", "PATCH", "/users/dev2", {"level": "L9"}, 422, {"level"}),
    ("user patch: unknown field", "admin", "PATCH", "/users/dev2", {"salary": 1}, 422, {"salary"}),
    # Organisations, services, teams (administration).
    ("org: nothing", "admin", "POST", "/organisations", {}, 422, {"name"}),
    ("org: bad domain and slug", "admin", "POST", "/organisations", {"name": "Initech", "slug": "No Spaces", "email_domains": ["not a domain"]}, 422, {"slug", "email_domains"}),
    ("org: taken name", "admin", "PATCH", "/organisations/borealis", {"name": "Acme Retail"}, 422, {"name"}),
    ("org: partner who is not one", "admin", "PATCH", "/organisations/acme", {"partners": ["l2"]}, 422, {"partners"}),
    ("service: unknown owner team", "admin", "POST", "/services", {"name": "Ledger", "owner_team": "ghosts"}, 422, {"owner_team"}),
    ("service: taken name and slug", "admin", "POST", "/services", {"name": "payments"}, 422, {"name", "slug"}),
    ("component: taken slug", "admin", "POST", "/services/payments/components", {"name": "Refunds"}, 422, {"slug"}),
    ("team: unknown kind", "admin", "POST", "/teams", {"name": "Mobile", "kind": "sales"}, 422, {"kind"}),
    ("team: unknown member", "admin", "POST", "/teams/core-team/members", {"username": "ghost"}, 422, {"username"}),
    ("team: customer as member", "admin", "POST", "/teams/core-team/members", {"username": "cust_a"}, 422, {"username"}),
    ("token: no name", "l2", "POST", "/tokens", {}, 422, {"name"}),
    ("token: unknown scope", "l2", "POST", "/tokens", {"name": "ci", "scope": "root"}, 422, {"scope"}),
    ("token: lives too long", "l2", "POST", "/tokens", {"name": "ci", "expires_in_days": 367}, 422, {"expires_in_days"}),
    # Query strings.
    ("list: unknown state", "l2", "GET", "/cases?state=sleeping", None, 422, {"state"}),
    ("list: limit 0", "l2", "GET", "/cases?limit=0", None, 422, {"limit"}),
    ("list: limit not a number", "l2", "GET", "/cases?limit=many", None, 422, {"limit"}),
    ("list: unknown sort", "l2", "GET", "/cases?sort=random", None, 422, {"sort"}),
]
# fmt: on


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "method", "path", "body", "status", "fields"),
    [case[1:] for case in BAD_JSON],
    ids=[case[0] for case in BAD_JSON],
)
def test_bad_input_is_named_and_changes_nothing(
    scene: Scene, who: str, method: str, path: str, body: Any, status: int, fields: set[str]
) -> None:
    body = json.loads(
        json.dumps(body).replace("{inv}", scene.keys["inv"]).replace("{kr}", scene.keys["kr"])
    )
    response = expect_nothing_written(scene, lambda: send(scene, who, method, path, body))
    refused(response, status, fields)
    if status == 409:
        assert response.json()["code"] == "transition_refused"
        reasons = response.json()["reasons"]
        assert {r["field"] or "action" for r in reasons} >= fields


@pytest.mark.django_db
def test_an_escalation_missing_several_items_lists_all_of_them(scene: Scene) -> None:
    response = expect_nothing_written(
        scene, lambda: send(scene, "l2", "POST", "/cases/{inv}/escalate", {"category": "bug"})
    )
    missing = {
        "description",
        "steps_to_reproduce",
        "expected_result",
        "actual_result",
        "version",
        "log_excerpt",
    }
    body = refused(response, 409, missing, code="transition_refused")
    assert {r["field"] for r in body["reasons"]} == missing
    assert {r["code"] for r in body["reasons"]} == {"missing_documentation"}
    assert "6 reasons" in body["message"]
    # Giving some of them leaves exactly the rest.
    partial = {"category": "bug", **BUG_DOCS}
    response = expect_nothing_written(
        scene, lambda: send(scene, "l2", "POST", "/cases/{inv}/escalate", partial)
    )
    refused(response, 409, {"description", "version"})


@pytest.mark.django_db
def test_a_refused_role_and_state_are_reported_together(scene: Scene) -> None:
    response = expect_nothing_written(
        scene, lambda: send(scene, "dev3", "POST", "/cases/{res}/take", {})
    )
    body = refused(response, 409, {"action"}, code="transition_refused")
    assert [r["code"] for r in body["reasons"]] == ["state", "role"]
    assert "L2 engineer" in body["message"]


# --- Bodies that never reach a schema -------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", json.dumps(CASE)),
        ("application/x-www-form-urlencoded", "title=Checkout&service=payments"),
        ("multipart/form-data; boundary=xyz", "--xyz--"),
        ("application/xml", "<case/>"),
        ("", json.dumps(CASE)),
    ],
)
def test_json_endpoints_refuse_other_content_types_with_415(
    scene: Scene, content_type: str, body: str
) -> None:
    response = expect_nothing_written(
        scene, lambda: send(scene, "l1", "POST", "/cases", body, content_type=content_type)
    )
    refused(response, 415, {"Content-Type"}, code="unsupported_media_type")


@pytest.mark.django_db
def test_json_with_a_charset_is_accepted(scene: Scene) -> None:
    response = send(
        scene,
        "l1",
        "POST",
        "/cases",
        json.dumps(CASE),
        content_type="application/json; charset=utf-8",
    )
    assert response.status_code == 201, response.json()


@pytest.mark.django_db
def test_uploads_refuse_json_with_415(scene: Scene) -> None:
    response = expect_nothing_written(
        scene, lambda: send(scene, "l2", "POST", "/cases/{new}/attachments", {"file": "aGVsbG8="})
    )
    refused(response, 415, {"Content-Type"}, code="unsupported_media_type")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        '{"title": "Checkout fails", "service": ',
        "{'title': 'single quotes'}",
        "not json at all",
        '{"a": 1}}',
        b"\xff\xfe{}",
    ],
)
def test_malformed_json_is_a_400_that_says_where(scene: Scene, body: str | bytes) -> None:
    response = expect_nothing_written(scene, lambda: send(scene, "l1", "POST", "/cases", body))
    result = refused(response, 400, {"body"}, code="malformed_json")
    assert "JSON" in result["message"]


@pytest.mark.django_db
def test_oversized_json_bodies_are_refused_with_413(scene: Scene, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    body = {**CASE, "description": "x" * 5000}
    response = expect_nothing_written(scene, lambda: send(scene, "l1", "POST", "/cases", body))
    refused(response, 413, {"body"}, code="too_large")
    # Just under the limit is fine.
    body["description"] = "x" * 3800
    assert send(scene, "l1", "POST", "/cases", body).status_code == 201


@pytest.mark.django_db
def test_oversized_uploads_are_refused_with_413_and_no_file(scene: Scene, settings: Any) -> None:
    settings.ATTACHMENT_MAX_BYTES = 2048

    def upload(size: int) -> Any:
        return CLIENT.post(
            scene.path("/cases/{new}/attachments"),
            {"file": SimpleUploadedFile("big.log", b"E" * size)},
            HTTP_AUTHORIZATION=f"Bearer {scene.world.tokens['l2']}",
        )

    # Over the limit, but within the middleware's multipart allowance: the service refuses it.
    refused(expect_nothing_written(scene, lambda: upload(2049)), 413, {"file"}, code="too_large")
    # Far over the limit: refused from the Content-Length, before the body is read.
    refused(expect_nothing_written(scene, lambda: upload(200_000)), 413, {"file"}, code="too_large")
    assert upload(2048).status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({}, "file"),
        ({"file": SimpleUploadedFile("empty.log", b"")}, "file"),
        ({"document": SimpleUploadedFile("a.log", b"ERROR")}, "file"),
        ({"file": SimpleUploadedFile("a.log", b"ERROR"), "internal": "perhaps"}, "internal"),
    ],
    ids=["no parts", "empty file", "wrong part name", "internal not a boolean"],
)
def test_bad_uploads_name_the_field(scene: Scene, fields: dict[str, Any], named: str) -> None:
    response = expect_nothing_written(
        scene,
        lambda: CLIENT.post(
            scene.path("/cases/{new}/attachments"),
            fields or {"nothing": ""},
            HTTP_AUTHORIZATION=f"Bearer {scene.world.tokens['l2']}",
        ),
    )
    refused(response, 422, {named})


@pytest.mark.django_db
def test_customers_cannot_upload_internal_files(scene: Scene) -> None:
    response = expect_nothing_written(
        scene,
        lambda: CLIENT.post(
            scene.path("/cases/{new}/attachments"),
            {"file": SimpleUploadedFile("a.log", b"ERROR x"), "internal": "true"},
            HTTP_AUTHORIZATION=f"Bearer {scene.world.tokens['cust_a']}",
        ),
    )
    refused(response, 422, {"internal"})


@pytest.mark.django_db
def test_unknown_keys_are_404_with_the_error_shape(scene: Scene) -> None:
    for path in (
        "/cases/CB-999",
        "/work-items/BUG-999",
        "/known-resolutions/KR-999",
        "/users/ghost",
    ):
        response = send(scene, "l2", "GET", path)
        refused(response, 404, set(), code="not_found")
    response = expect_nothing_written(
        scene, lambda: send(scene, "l2", "POST", "/cases/CB-999/take", {})
    )
    refused(response, 404, set(), code="not_found")
    response = send(scene, "l2", "GET", "/cases/{new}/attachments/999999")
    refused(response, 404, set(), code="not_found")
