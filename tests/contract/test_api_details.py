"""Details of the API found by trying it as a new user: 'all' as a state, the events door's
answer, the work-item transition body in the OpenAPI, and the valid values of ``as_role``."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from ninja import Schema

from casebridge.api import api
from casebridge.cases.services import case_transition
from casebridge.workitems.definitions.review import check_decider
from tests import factories
from tests.monitoring.helpers import Sender, alert, make_integration, webhook

pytestmark = pytest.mark.django_db


def client_of(world: factories.World, who: str = "l2") -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {world.tokens[who]}")


def test_cases_take_all_as_a_state_like_the_cli(world: factories.World) -> None:
    new = factories.make_case(world)
    done = case_transition(actor=world["l2"], case=factories.make_case(world), action="take")
    done = case_transition(
        actor=world["l2"], case=done, action="resolve", data={"resolution": "no_fault", "note": "x"}
    )
    response = client_of(world).get("/api/v1/cases", {"state": "all"})
    assert response.status_code == 200, response.content
    assert {row["key"] for row in response.json()["items"]} == {new.key, done.key}
    unknown = client_of(world).get("/api/v1/cases", {"state": "sleeping"}).json()
    assert "all" in unknown["fields"]["state"]


def test_payloads_take_all_as_a_state_in_the_api_and_the_cli(
    world: factories.World, capsys: pytest.CaptureFixture[str]
) -> None:
    integration, secret = make_integration(world, slug="prom-all")
    assert Sender(integration, secret).post(webhook(alert())).status_code == 202
    response = client_of(world, "admin").get("/api/v1/integrations/payloads", {"state": "all"})
    assert response.status_code == 200, response.content
    assert [p["state"] for p in response.json()] == ["pending"]
    bad = client_of(world, "admin").get("/api/v1/integrations/payloads", {"state": "sleeping"})
    assert bad.status_code == 422 and "failed" in bad.json()["fields"]["state"]
    capsys.readouterr()
    call_command("integration", "payloads", "--state", "all", "--json")
    assert [p["state"] for p in json.loads(capsys.readouterr().out)] == ["pending"]


def test_the_work_item_transition_body_is_the_work_items_own() -> None:
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    operation = schema["paths"]["/api/v1/work-items/{key}/transition"]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert "#/components/schemas/TransitionData" in json.dumps(body["properties"]["data"])
    assert "mitigate" not in json.dumps(body)
    as_role = schema["components"]["schemas"]["TransitionData"]["properties"]["as_role"]
    assert {"product_manager", "rte"} <= set(json.dumps(as_role).replace('"', " ").split())


def test_no_two_schemas_share_a_name() -> None:
    """ninja names OpenAPI components by class name: two classes of one name show as one."""
    by_name: dict[str, set[str]] = {}

    def walk(cls: type) -> None:
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("casebridge."):
                by_name.setdefault(sub.__name__, set()).add(f"{sub.__module__}.{sub.__name__}")
            walk(sub)

    walk(Schema)
    assert {name: where for name, where in by_name.items() if len(where) > 1} == {}


def test_an_unknown_as_role_lists_the_valid_values(world: factories.World) -> None:
    response = client_of(world, "pm").post(
        "/api/v1/work-items/FEAT-1/transition",
        json.dumps({"action": "approve", "data": {"as_role": "pm"}}),
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    message = response.json()["fields"]["data.as_role"]
    assert "product_manager" in message and "rte" in message


@pytest.mark.parametrize(("given", "said"), [({}, ""), ({"as_role": "pm"}, "not 'pm'")])
def test_someone_both_pm_and_rte_is_told_the_values(given: dict[str, Any], said: str) -> None:
    both = SimpleNamespace(has_role=lambda *roles: True)
    undecided = SimpleNamespace(pm_decision="", rte_decision="")
    ctx = SimpleNamespace(actor=both, subject=undecided, data=given, preview=False)
    (reason,) = list(check_decider(ctx))  # type: ignore[arg-type]
    assert reason.field == "as_role"
    assert "product_manager or rte" in reason.message and said in reason.message
