"""The permission matrix: every /api/v1 endpoint x every kind of caller, spelled out as a table.

The policy (PRODUCT §1, §3, §11; ARCHITECTURE rule 5):

* no token, or a revoked one: 401 everywhere;
* a read-scoped token: reads as its user, 403 on every write;
* customers see their own organisation's cases and nothing of anyone else's: another
  organisation's case (its comments, files, timeline, actions) is 404, never 403;
* customers never see the internal side: work items, known resolutions, teams, other users;
* a workflow action by a role that may not take it is refused with 409 and the reason (the
  refusal names the roles that may); a plain write the role may not make is 403;
* L2 engineers run the case workflow; L1, L2, partners and customers open cases; L2, developers,
  DevOps and admins edit the knowledge base; only admins create users;
* planning is internal (customers get empty lists and 404s): the RTE plans, orders the backlog,
  accepts and closes sprints; the RTE or an admin creates sprints and increments, starts a
  sprint early and sets a team's capacity; the RTE, developers and DevOps estimate.

Each row prepares its objects afresh; each cell runs in a savepoint that is rolled back, so every
caller meets the same state. ``test_matrix_covers_every_endpoint`` reads the routes from the
OpenAPI schema: an endpoint added without a row here fails the suite.
"""

# The tables below are read across: one line per case.
# ruff: noqa: E501

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from casebridge.accounts.models import Team
from casebridge.accounts.services import token_create, token_revoke
from casebridge.api import api as ninja_api
from casebridge.cases.attachments import attachment_add
from casebridge.cases.models import CaseState
from casebridge.cases.services import case_transition, comment_add
from casebridge.knowledge.services import KnownResolutionInput, known_resolution_create
from casebridge.occurrences.models import LogSource, Signature
from casebridge.occurrences.services import log_source_parse
from casebridge.sprints.services import sprint_create
from casebridge.workitems.services import work_item_create, work_item_transition
from tests import factories
from tests.contract import (
    admin_scene,
    azure_devops_scene,
    mailin_scene,
    monitoring_scene,
    notify_scene,
    outbox_scene,
    sla_scene,
)
from tests.contract.support import assert_error_shape, rolled_back, shared_by_module

# Objects: A / B = a case of organisation A (Acme, reported by cust_a) / of organisation B
# (Borealis, reported by cust_b), brought into <state> first; for .../attachments/{attachment_id}
# the case's public attachment. BUG = a bug work item, brought into <state> by the RTE (the L2
# action on a bug sent back as needs_info is provide_info; an L3 developer assigns a scheduled
# bug; a triaged bug is in the backlog of the Core team). S = the Core team's current sprint
# (its <state> is the bug's), T = the Core team, which also has a next sprint. KR = a known resolution, user:<name> = that user, token:l2 = a second token
# of l2, SIG = the log signature of A's attachment. l2_ro = l2 with a read-scoped token; rte = the release train engineer (who plans).
# Planning (sprints, backlog, increments, reports) is internal: customers get empty lists, 404s.
# fmt: off
MATRIX = """
method path                                     object      state               anon cust_a cust_b l1  l2  l2_ro rte dev3 admin revoked
GET    /cases                                   -           -                   401  200    200    200 200 200   200 200  200   401
POST   /cases                                   -           -                   401  201    201    201 201 403   403 403  201   401
GET    /cases/{key}                             A           new                 401  200    404    200 200 200   200 200  200   401
GET    /cases/{key}                             B           new                 401  404    200    200 200 200   200 200  200   401
PATCH  /cases/{key}                             A           new                 401  403    404    200 200 403   403 403  200   401
PATCH  /cases/{key}                             B           new                 401  404    403    200 200 403   403 403  200   401
POST   /cases/{key}/take                        A           new                 401  409    404    409 200 403   409 409  409   401
POST   /cases/{key}/take                        B           new                 401  404    409    409 200 403   409 409  409   401
POST   /cases/{key}/request-info                A           investigating       401  409    404    409 200 403   409 409  409   401
POST   /cases/{key}/request-info                B           investigating       401  404    409    409 200 403   409 409  409   401
POST   /cases/{key}/answer                      A           waiting_on_reporter 401  200    404    200 200 403   409 409  409   401
POST   /cases/{key}/answer                      B           waiting_on_reporter 401  404    200    200 200 403   409 409  409   401
POST   /cases/{key}/resolve                     A           investigating       401  409    404    409 200 403   409 409  409   401
POST   /cases/{key}/resolve                     B           investigating       401  404    409    409 200 403   409 409  409   401
POST   /cases/{key}/escalate                    A           investigating       401  409    404    409 200 403   409 409  409   401
POST   /cases/{key}/escalate                    B           investigating       401  404    409    409 200 403   409 409  409   401
POST   /cases/{key}/reopen                      A           resolved            401  200    404    409 200 403   409 409  409   401
POST   /cases/{key}/reopen                      B           resolved            401  404    200    409 200 403   409 409  409   401
POST   /cases/{key}/close                       A           resolved            401  200    404    409 200 403   409 409  409   401
POST   /cases/{key}/close                       B           resolved            401  404    200    409 200 403   409 409  409   401
GET    /cases/{key}/comments                    A           investigating       401  200    404    200 200 200   200 200  200   401
GET    /cases/{key}/comments                    B           investigating       401  404    200    200 200 200   200 200  200   401
POST   /cases/{key}/comments                    A           investigating       401  201    404    201 201 403   201 201  201   401
POST   /cases/{key}/comments                    B           investigating       401  404    201    201 201 403   201 201  201   401
GET    /cases/{key}/attachments                 A           new                 401  200    404    200 200 200   200 200  200   401
GET    /cases/{key}/attachments                 B           new                 401  404    200    200 200 200   200 200  200   401
POST   /cases/{key}/attachments                 A           new                 401  201    404    201 201 403   201 201  201   401
POST   /cases/{key}/attachments                 B           new                 401  404    201    201 201 403   201 201  201   401
GET    /cases/{key}/attachments/{attachment_id} A           new                 401  200    404    200 200 200   200 200  200   401
GET    /cases/{key}/attachments/{attachment_id} B           new                 401  404    200    200 200 200   200 200  200   401
GET    /cases/{key}/timeline                    A           resolved            401  200    404    200 200 200   200 200  200   401
GET    /cases/{key}/timeline                    B           resolved            401  404    200    200 200 200   200 200  200   401
GET    /cases/{key}/similar                     A           new                 401  200    404    200 200 200   200 200  200   401
GET    /cases/{key}/similar                     B           new                 401  404    200    200 200 200   200 200  200   401
GET    /work-items                              -           -                   401  200    200    200 200 200   200 200  200   401
GET    /work-items/{key}                        BUG         -                   401  404    404    200 200 200   200 200  200   401
GET    /work-items/{key}/timeline               BUG         -                   401  404    404    200 200 200   200 200  200   401
POST   /work-items/{key}/transition             BUG         needs_info          401  404    404    409 200 403   409 409  409   401
POST   /work-items/{key}/assign                 BUG         scheduled           401  404    404    409 409 403   200 200  409   401
GET    /work-items/{key}/comments               BUG         -                   401  404    404    200 200 200   200 200  200   401
POST   /work-items/{key}/comments               BUG         -                   401  404    404    201 201 403   201 201  201   401
PUT    /work-items/{key}/link                   BUG         -                   401  404    404    200 200 403   200 200  200   401
GET    /sprints                                 -           -                   401  200    200    200 200 200   200 200  200   401
POST   /sprints                                 -           -                   401  404    404    403 403 403   201 403  201   401
GET    /sprints/velocity                        T           -                   401  404    404    200 200 200   200 200  200   401
GET    /sprints/{sprint_id}                     S           -                   401  404    404    200 200 200   200 200  200   401
PATCH  /sprints/{sprint_id}                     S           -                   401  404    404    403 403 403   200 403  200   401
GET    /sprints/{sprint_id}/proposal            S           -                   401  404    404    200 200 200   200 200  200   401
POST   /sprints/{sprint_id}/accept              S           triaged             401  404    404    403 403 403   200 403  403   401
POST   /sprints/{sprint_id}/close               S           -                   401  404    404    403 403 403   200 403  403   401
POST   /sprints/{sprint_id}/start               S           -                   401  404    404    403 403 403   422 403  422   401
GET    /sprints/{sprint_id}/board               S           -                   401  404    404    200 200 200   200 200  200   401
GET    /sprints/{sprint_id}/burndown            S           -                   401  404    404    200 200 200   200 200  200   401
GET    /sprints/teams/{team}                    T           -                   401  404    404    200 200 200   200 200  200   401
PUT    /sprints/teams/{team}                    T           -                   401  404    404    403 403 403   200 403  200   401
GET    /backlog/{team}                          T           -                   401  404    404    200 200 200   200 200  200   401
GET    /backlog/{team}/proposal                 T           -                   401  404    404    200 200 200   200 200  200   401
POST   /backlog/{team}/items/{key}/pin          BUG         triaged             401  404    404    403 403 403   200 403  403   401
POST   /backlog/{team}/items/{key}/move         BUG         triaged             401  404    404    403 403 403   200 403  403   401
POST   /backlog/{team}/items/{key}/unpin        BUG         triaged             401  404    404    403 403 403   200 403  403   401
POST   /backlog/items/{key}/estimate            BUG         triaged             401  404    404    403 403 403   200 200  403   401
GET    /program-increments                      -           -                   401  200    200    200 200 200   200 200  200   401
POST   /program-increments                      -           -                   401  404    404    403 403 403   201 403  201   401
GET    /reports/flow                            -           -                   401  404    404    200 200 200   200 200  200   401
GET    /search                                  -           -                   401  200    200    200 200 200   200 200  200   401
GET    /known-resolutions                       -           -                   401  200    200    200 200 200   200 200  200   401
POST   /known-resolutions                       -           -                   401  403    403    403 201 403   403 201  201   401
GET    /known-resolutions/{key}                 KR          -                   401  404    404    200 200 200   200 200  200   401
GET    /signatures                              -           -                   401  200    200    200 200 200   200 200  200   401
GET    /signatures/{signature_id}               SIG         -                   401  404    404    200 200 200   200 200  200   401
PATCH  /known-resolutions/{key}                 KR          -                   401  404    404    403 200 403   403 200  200   401
GET    /services                                -           -                   401  200    200    200 200 200   200 200  200   401
GET    /users/me                                -           -                   401  200    200    200 200 200   200 200  200   401
GET    /users                                   -           -                   401  200    200    200 200 200   200 200  200   401
POST   /users                                   -           -                   401  403    403    403 403 403   403 403  201   401
GET    /users/{username}                        user:l2     -                   401  404    404    200 200 200   200 200  200   401
GET    /users/{username}                        user:cust_a -                   401  200    404    200 200 200   200 200  200   401
GET    /teams                                   -           -                   401  200    200    200 200 200   200 200  200   401
GET    /tokens                                  -           -                   401  200    200    200 200 200   200 200  200   401
POST   /tokens                                  -           -                   401  201    201    201 201 403   201 201  201   401
POST   /tokens/{prefix}/revoke                  token:l2    -                   401  404    404    404 200 403   404 404  404   401
"""
# fmt: on
MATRIX += monitoring_scene.ROWS  # monitoring and incidents: see that module
MATRIX += azure_devops_scene.ROWS  # Azure DevOps connections: see that module
MATRIX += outbox_scene.ROWS  # the outbox and webhooks: see that module
MATRIX += mailin_scene.ROWS  # e-mail in: see that module
MATRIX += admin_scene.ROWS  # organisations, services, teams, users: see that module
MATRIX += notify_scene.ROWS  # notifications, preferences, watches, invitations
MATRIX += sla_scene.ROWS  # SLA calendars and policies: see that module


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    obj: str
    state: str
    expected: dict[str, int]

    @property
    def id(self) -> str:
        where = (
            ""
            if self.obj == "-"
            else f" [{self.obj}{'' if self.state == '-' else ' ' + self.state}]"
        )
        return f"{self.method} {self.path}{where}"


def _parse(table: str) -> tuple[list[str], list[Row]]:
    lines = [line.split() for line in table.strip().splitlines() if line.strip()]
    header, body = lines[0], lines[1:]
    principals = header[4:]
    rows = []
    for cells in body:
        assert len(cells) == len(header), f"malformed matrix line: {' '.join(cells)}"
        method, path, obj, state, *codes = cells
        rows.append(
            Row(method, path, obj, state, dict(zip(principals, map(int, codes), strict=True)))
        )
    return principals, rows


PRINCIPALS, ROWS = _parse(MATRIX)

#: Bodies that succeed for a caller who may make the request; "{BUG}" is the work item's key,
#: "{D+n}" the date n days from today.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/cases"): {
        "title": "Search returns nothing for 'invoice'",
        "service": "search",
        "environment": "production",
    },
    ("PATCH", "/cases/{key}"): {"impact": "low"},
    ("POST", "/cases/{key}/take"): {},
    ("POST", "/cases/{key}/request-info"): {"question": "Which browser do you use?"},
    ("POST", "/cases/{key}/answer"): {},
    ("POST", "/cases/{key}/resolve"): {"resolution": "no_fault", "note": "Works as designed."},
    ("POST", "/cases/{key}/escalate"): {"work_item": "{BUG}"},
    ("POST", "/cases/{key}/reopen"): {"reason": "It happens again since this morning."},
    ("POST", "/cases/{key}/close"): {"reason": "Confirmed fixed."},
    ("POST", "/cases/{key}/comments"): {"body": "It also fails on the mobile app."},
    ("POST", "/known-resolutions"): {
        "title": "Restart the checkout pods",
        "symptoms": "502 at the payment step",
        "steps": "1. kubectl rollout restart deploy/checkout",
        "fix_kind": "restart_service",
        "services": ["payments"],
    },
    ("PATCH", "/known-resolutions/{key}"): {"title": "Restart the checkout deployment"},
    ("POST", "/users"): {
        "username": "newcomer",
        "email": "newcomer@example.com",
        "roles": ["l1_agent"],
    },
    ("POST", "/tokens"): {"name": "ci", "scope": "read"},
    ("POST", "/work-items/{key}/transition"): {
        "action": "provide_info",
        "data": {"reason": "Version 4.2.1, logs attached to CB-1."},
    },
    ("POST", "/work-items/{key}/assign"): {"assignees": ["dev3"]},
    ("POST", "/work-items/{key}/comments"): {"body": "@dev3 the gateway logs are on CB-1."},
    ("PUT", "/work-items/{key}/link"): {"url": "https://git.example.com/shop/pull/7"},
    ("POST", "/sprints"): {
        "team": "core-team",
        "name": "Sprint 3",
        "start": "{D+25}",
        "end": "{D+38}",
    },
    ("PATCH", "/sprints/{sprint_id}"): {"goal": "Ship the checkout fix"},
    ("POST", "/sprints/{sprint_id}/accept"): {"add": ["{BUG}"], "over_capacity_ok": True},
    ("POST", "/sprints/{sprint_id}/close"): {},
    ("POST", "/sprints/{sprint_id}/start"): {},  # S runs already: the RTE and admins get 422
    ("PUT", "/sprints/teams/{team}"): {"unit": "points", "default_capacity": 30},
    ("POST", "/backlog/{team}/items/{key}/pin"): {"position": 1, "reason": "Customer escalation"},
    ("POST", "/backlog/{team}/items/{key}/move"): {"offset": 1},
    ("POST", "/backlog/{team}/items/{key}/unpin"): {"reason": "Back to its natural place"},
    ("POST", "/backlog/items/{key}/estimate"): {"estimate": 3},
    ("POST", "/program-increments"): {"name": "PI 2", "start": "{D+30}", "end": "{D+120}"},
    ("POST", "/tokens/{prefix}/revoke"): {},
}

BODIES.update(monitoring_scene.BODIES)
BODIES.update(azure_devops_scene.BODIES)
BODIES.update(outbox_scene.BODIES)
BODIES.update(mailin_scene.BODIES)
BODIES.update(admin_scene.BODIES)
BODIES.update(notify_scene.BODIES)
BODIES.update(sla_scene.BODIES)

#: Query strings some reads need.
QUERIES = {("GET", "/sprints/velocity"): "?team=core-team", ("GET", "/search"): "?q=checkout"}


@dataclass
class Scene:
    """A world with the objects the matrix refers to, and a bearer token per principal."""

    world: factories.World
    tokens: dict[str, str | None]
    cases: dict[str, str]
    attachments: dict[str, int]
    work_item: str
    known_resolution: str
    spare_token: str
    sprint: int
    signature: str = ""


def build_scene() -> Scene:
    world = factories.build_world()
    l2 = world["l2"]
    tokens: dict[str, str | None] = {
        name: world.tokens[name] for name in PRINCIPALS if name in world.tokens
    }
    tokens["anon"] = None
    _, tokens["l2_ro"] = token_create(actor=None, user=l2, name="read only", scope="read")
    revoked, tokens["revoked"] = token_create(actor=None, user=l2, name="old", scope="write")
    token_revoke(actor=None, token=revoked)
    spare, _ = token_create(actor=None, user=l2, name="spare", scope="write")
    cases, attachments = {}, {}
    for obj, reporter in (("A", "cust_a"), ("B", "cust_b")):
        case = factories.make_case(world, by=reporter)
        cases[obj] = case.key
        attachment = attachment_add(
            actor=world[reporter],
            case=case,
            upload=ContentFile(b"2024-05-01 10:00:01 ERROR checkout timed out\n"),
            filename="checkout.log",
        )
        attachments[obj] = attachment.pk
    item = work_item_create(actor=l2, category="bug", title="Checkout 502 under load", docs={})
    known = known_resolution_create(
        actor=l2,
        data=KnownResolutionInput(
            title="Flush the payment gateway cache",
            symptoms="Stale card tokens",
            steps="Run the flush job",
            fix_kind="workaround",
        ),
    )
    today = timezone.localdate()
    sprint = sprint_create(
        actor=None,
        team=Team.objects.get(slug="core-team"),
        name="Sprint 1",
        start=today - timedelta(days=3),
        end=today + timedelta(days=10),
    )
    sprint_create(
        actor=None,
        team=Team.objects.get(slug="core-team"),
        name="Sprint 2",
        start=today + timedelta(days=11),
        end=today + timedelta(days=24),
    )
    assert set(tokens) == set(PRINCIPALS)
    source = LogSource.objects.get(attachment_id=attachments["A"])
    log_source_parse(source_id=source.pk)  # the log's signatures (internal: customers get 404)
    signature = Signature.objects.order_by("pk").first()
    assert signature is not None
    return Scene(
        world,
        tokens,
        cases,
        attachments,
        item.key,
        known.key,
        spare.prefix,
        sprint.pk,
        signature.pk,
    )


def bring_to(scene: Scene, row: Row) -> None:
    """Move the row's case (as L2) or work item (as the RTE) to its state through the services."""
    from casebridge.cases.models import Case
    from casebridge.workitems.models import WorkItem

    l2, rte = scene.world["l2"], scene.world["rte"]
    monitoring_scene.bring_to(row.obj, row.state, scene.world)
    if row.obj in scene.cases:
        case_steps: dict[str, list[tuple[str, dict[str, Any]]]] = {
            CaseState.NEW: [],
            CaseState.INVESTIGATING: [("take", {})],
            CaseState.WAITING_ON_REPORTER: [("take", {}), ("request_info", {"question": "Which?"})],
            CaseState.RESOLVED: [
                ("take", {}),
                ("resolve", {"resolution": "no_fault", "note": "ok"}),
            ],
        }
        key = scene.cases[row.obj]
        for action, data in case_steps[row.state]:
            case_transition(actor=l2, case=Case.objects.get(key=key), action=action, data=data)
        assert Case.objects.get(key=key).state == row.state
    elif row.obj in ("BUG", "S") and row.state != "-":
        triage = {"priority": "major", "impact": "Card payments fail for some customers"}
        item_steps: dict[str, list[tuple[str, dict[str, Any]]]] = {
            "needs_info": [("needs_info", {"reason": "Which version?"})],
            "triaged": [("triage", triage)],
            "scheduled": [("triage", triage), ("schedule", {"sprint": scene.sprint})],
        }
        for action, data in item_steps[row.state]:
            item = WorkItem.objects.get(key=scene.work_item)
            work_item_transition(actor=rte, item=item, action=action, data=data)
        assert WorkItem.objects.get(key=scene.work_item).status == row.state


def concrete_path(scene: Scene, row: Row) -> str:
    path = row.path.replace("{sprint_id}", str(scene.sprint)).replace("{team}", "core-team")
    path = admin_scene.substitute(path, row.obj)  # before monitoring's {slug}
    path = azure_devops_scene.substitute(path, row.obj)
    path = outbox_scene.substitute(path, row.obj)
    path = mailin_scene.substitute(path, row.obj)
    path = notify_scene.substitute(path, row.obj)
    path = sla_scene.substitute(path, row.obj)
    path = monitoring_scene.substitute(path, row.obj)
    if row.obj in scene.cases:
        path = path.replace("{key}", scene.cases[row.obj])
        path = path.replace("{attachment_id}", str(scene.attachments[row.obj]))
    elif row.obj == "BUG":
        path = path.replace("{key}", scene.work_item)
    elif row.obj == "KR":
        path = path.replace("{key}", scene.known_resolution)
    elif row.obj.startswith("user:"):
        path = path.replace("{username}", row.obj.removeprefix("user:"))
    elif row.obj == "token:l2":
        path = path.replace("{prefix}", scene.spare_token)
    elif row.obj == "SIG":
        path = path.replace("{signature_id}", scene.signature)
    assert "{" not in path, f"no object for {row.path}"
    return "/api/v1" + path + QUERIES.get((row.method, row.path), "")


def call(client: Client, scene: Scene, row: Row, principal: str) -> Any:
    token = scene.tokens[principal]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    path = concrete_path(scene, row)
    if row.method == "GET":
        return client.get(path, **headers)
    if row.path.endswith("/attachments"):
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload = SimpleUploadedFile("screen.txt", b"The page shows 'Payment failed'.\n")
        return client.post(path, {"file": upload}, **headers)
    return client.generic(
        row.method, path, body_for(scene, row), content_type="application/json", **headers
    )


def body_for(scene: Scene, row: Row) -> str:
    body = json.dumps(BODIES[(row.method, row.path)]).replace("{BUG}", scene.work_item)
    body = azure_devops_scene.fill(monitoring_scene.fill(body))
    today = timezone.localdate()
    return re.sub(r"\{D\+(\d+)\}", lambda m: (today + timedelta(days=int(m[1]))).isoformat(), body)


#: One client for every cell: its middleware (whitenoise scans the static files) loads once.
CLIENT = Client()


def _openapi_routes() -> set[tuple[str, str]]:
    schema = ninja_api.get_openapi_schema(path_prefix="")
    return {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}


def test_matrix_covers_every_endpoint() -> None:
    """A route without a row (or a row without a route) fails: the table is the whole API."""
    doors = set(monitoring_scene.INTAKE_ROUTES) | azure_devops_scene.INTAKE_ROUTES
    in_matrix = {(row.method, row.path) for row in ROWS} | doors
    routes = _openapi_routes()
    assert routes - in_matrix == set(), "endpoints missing from the permission matrix"
    assert in_matrix - routes == set(), "matrix rows for endpoints that no longer exist"
    writes = {(m, p) for m, p in routes if m != "GET" and not p.endswith("/attachments")}
    writes -= doors  # bodies in test_intake_access.py and tests/integrations
    assert writes <= set(BODIES), "write endpoints without a request body in BODIES"


def test_matrix_names_every_principal_of_the_brief() -> None:
    assert PRINCIPALS == [
        "anon",
        "cust_a",
        "cust_b",
        "l1",
        "l2",
        "l2_ro",
        "rte",
        "dev3",
        "admin",
        "revoked",
    ]
    for row in ROWS:
        assert row.expected["anon"] == 401 and row.expected["revoked"] == 401, row.id
        if row.method != "GET":
            assert row.expected["l2_ro"] == 403, row.id
        if row.obj == "A":
            assert row.expected["cust_b"] == 404, row.id
        if row.obj == "B":
            assert row.expected["cust_a"] == 404, row.id


def test_openapi_document_is_public() -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert "/api/v1/cases/{key}/escalate" in response.json()["paths"]


@pytest.fixture(scope="module")
def media_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="module")
def scene(django_db_setup: None, django_db_blocker: Any, media_root: Path) -> Iterator[Scene]:
    """One scene for the module; each test (and each cell) works in a savepoint inside it."""
    with django_db_blocker.unblock(), shared_by_module(media_root):
        built = build_scene()
        monitoring_scene.build(built.world)
        azure_devops_scene.build(built.world)
        outbox_scene.build(built.world)
        mailin_scene.build(built.world)
        admin_scene.build(built.world)
        notify_scene.build(built.world)
        sla_scene.build(built.world)
        yield built


@pytest.fixture(autouse=True)
def _module_media(settings: Any, media_root: Path) -> None:
    settings.MEDIA_ROOT = str(media_root)


@pytest.fixture
def world(scene: Scene, db: None) -> factories.World:
    """This module's tests share the scene's world (the conftest one would clash with it)."""
    return scene.world


@pytest.mark.django_db
@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_permission_matrix(scene: Scene, row: Row) -> None:
    bring_to(scene, row)
    client, mismatches = CLIENT, []
    for principal in PRINCIPALS:
        with rolled_back():
            response = call(client, scene, row, principal)
            status = response.status_code
            if status >= 400:
                assert_error_shape(response.json())
            if status != row.expected[principal]:
                detail = response.json() if status >= 400 else ""
                mismatches.append(
                    f"{principal}: expected {row.expected[principal]}, got {status} {detail}"
                )
    assert not mismatches, f"{row.id}\n" + "\n".join(mismatches)


# --- What customers see of the objects they may see -----------------------------------------------


@pytest.fixture
def internal_side(world: factories.World) -> dict[str, Any]:
    """A case of Acme with a public and an internal comment and file, escalated to a work item."""
    l2 = world["l2"]
    case = factories.make_case(world, by="cust_a")
    case = case_transition(actor=l2, case=case, action="take")
    comment_add(actor=world["cust_a"], case=case, body="It fails every time.")
    comment_add(actor=l2, case=case, body="INTERNAL: customer on legacy plan", internal=True)
    public = attachment_add(
        actor=world["cust_a"], case=case, upload=ContentFile(b"screen text"), filename="screen.txt"
    )
    private = attachment_add(
        actor=l2,
        case=case,
        upload=ContentFile(b"2025-03-03 ERROR db password rejected\n"),
        filename="internal.log",
        internal=True,
    )
    item = work_item_create(actor=l2, category="bug", title="Legacy plan checkout", docs={})
    case = case_transition(actor=l2, case=case, action="escalate", data={"work_item": item.key})
    return {"case": case.key, "public": public.pk, "private": private.pk, "item": item.key}


def _get(username: str, world: factories.World, path: str) -> Any:
    return CLIENT.get(f"/api/v1{path}", HTTP_AUTHORIZATION=f"Bearer {world.tokens[username]}")


@pytest.mark.django_db
def test_customers_never_see_internal_comments_or_files(
    world: factories.World, internal_side: dict[str, Any]
) -> None:
    key = internal_side["case"]
    for viewer, sees_internal in (("cust_a", False), ("l2", True), ("dev3", True), ("l1", True)):
        comments = _get(viewer, world, f"/cases/{key}/comments").json()
        bodies = [c["body"] for c in comments]
        assert ("INTERNAL: customer on legacy plan" in bodies) is sees_internal, viewer
        assert "It fails every time." in bodies
        files = {a["filename"] for a in _get(viewer, world, f"/cases/{key}/attachments").json()}
        assert files == ({"screen.txt", "internal.log"} if sees_internal else {"screen.txt"})
        download = _get(viewer, world, f"/cases/{key}/attachments/{internal_side['private']}")
        assert download.status_code == (200 if sees_internal else 404), viewer
    public = _get("cust_a", world, f"/cases/{key}/attachments/{internal_side['public']}")
    assert public.status_code == 200


@pytest.mark.django_db
def test_the_customer_timeline_holds_only_public_events(
    world: factories.World, internal_side: dict[str, Any]
) -> None:
    key = internal_side["case"]
    theirs = _get("cust_a", world, f"/cases/{key}/timeline").json()
    ours = _get("l2", world, f"/cases/{key}/timeline").json()
    assert [e["action"] for e in theirs] == [
        "received",
        "being_investigated",
        "message",
        "file",
        "passed_to_development",
    ], "milestones in the customer's words (issue 10)"
    assert theirs[-1]["text"] == "Passed to our development team"
    assert all((e["field"], e["old"], e["new"]) == ("", "", "") for e in theirs)
    assert len(theirs) < len(ours)
    assert all(e["subject"] == key for e in theirs), "work item events are internal"
    text = json.dumps(theirs)
    assert "internal.log" not in text and "legacy plan" not in text
    assert any(e["subject"] == internal_side["item"] for e in ours)


@pytest.mark.django_db
def test_customers_see_no_internal_directory(
    world: factories.World, internal_side: dict[str, Any]
) -> None:
    for customer in ("cust_a", "cust_b"):
        assert _get(customer, world, "/work-items").json()["items"] == []
        assert _get(customer, world, "/sprints").json() == []
        assert _get(customer, world, "/known-resolutions").json() == []
        assert _get(customer, world, "/teams").json() == []
        assert [u["username"] for u in _get(customer, world, "/users").json()] == [customer]
        assert _get(customer, world, "/users?role=l2_engineer").json() == []
        assert _get(customer, world, "/users/me").json()["username"] == customer
        assert _get(customer, world, f"/work-items/{internal_side['item']}").status_code == 404
    staff = _get("l2", world, "/users").json()
    assert len(staff) == len(factories.PEOPLE)
    assert {t["slug"] for t in _get("l1", world, "/teams").json()} == {"core-team", "platform"}


@pytest.mark.django_db
def test_case_lists_hold_only_the_viewers_organisation(world: factories.World) -> None:
    from casebridge.cases.models import Case

    for _ in range(2):
        factories.make_case(world, by="cust_a")
        factories.make_case(world, by="cust_b")
    factories.make_case(world, by="l1", org="a")
    for customer, org, other in (("cust_a", "a", "borealis"), ("cust_b", "b", "acme")):
        theirs = set(
            Case.objects.filter(organisation=world.orgs[org]).values_list("key", flat=True)
        )
        page = _get(customer, world, "/cases").json()
        assert {row["key"] for row in page["items"]} == theirs
        assert page["count"] == len(theirs) >= 3
        # Filtering by the other organisation does not widen the view.
        assert _get(customer, world, f"/cases?organisation={other}").json()["count"] == 0
    assert _get("l2", world, "/cases").json()["count"] == Case.objects.count()


@pytest.mark.django_db
def test_a_partner_sees_the_organisations_it_serves(world: factories.World) -> None:
    from casebridge.cases.models import Case

    served = factories.make_case(world, by="cust_a").key
    other = factories.make_case(world, by="cust_b").key
    assert _get("partner", world, f"/cases/{served}").status_code == 200
    assert _get("partner", world, f"/cases/{other}").status_code == 404
    listed = {row["key"] for row in _get("partner", world, "/cases").json()["items"]}
    assert listed == set(
        Case.objects.filter(organisation=world.orgs["a"]).values_list("key", flat=True)
    )


@pytest.mark.django_db
def test_development_reasons_stay_off_the_customers_timeline(world: factories.World) -> None:
    """The RTE's question or a reviewer's remark is internal; the customer sees the progress."""
    from casebridge.integrations.models import Notification
    from casebridge.workitems.models import WorkItem

    secret = "INTERNAL: Acme runs an unsupported proxy, see contract 4711"
    l2, rte = world["l2"], world["rte"]
    case = case_transition(actor=l2, case=factories.make_case(world, by="cust_a"), action="take")
    item = work_item_create(actor=l2, category="bug", title="Checkout 502 behind proxies", docs={})
    case = case_transition(actor=l2, case=case, action="escalate", data={"work_item": item.key})
    work_item_transition(actor=rte, item=item, action="needs_info", data={"reason": secret})
    assert WorkItem.objects.get(pk=item.pk).status == "needs_info"

    theirs = _get("cust_a", world, f"/cases/{case.key}/timeline").json()
    assert secret not in json.dumps(theirs)
    progress = [e for e in theirs if e["action"] == "development"]
    assert [e["text"] for e in progress] == [
        "Back with our support team, who may ask you for more information"
    ], "progress is shown, in the customer's words"
    notes = Notification.objects.filter(user=world["cust_a"]).values_list("message", flat=True)
    assert notes and not [n for n in notes if secret in n]
    ours = _get("l2", world, f"/cases/{case.key}/timeline").json()
    assert secret in json.dumps(ours), "staff still read the reason"


@pytest.mark.django_db
def test_an_attachment_is_reached_only_through_its_own_case(scene: Scene) -> None:
    """Another case's attachment id under a visible case's key is 404, for everyone."""
    a, b = scene.cases["A"], scene.cases["B"]
    for viewer in ("cust_a", "l2", "admin"):
        response = _get(viewer, scene.world, f"/cases/{a}/attachments/{scene.attachments['B']}")
        assert response.status_code == 404, viewer
    own = _get("cust_b", scene.world, f"/cases/{b}/attachments/{scene.attachments['B']}")
    assert own.status_code == 200
