"""A bounded, deterministic schema-driven fuzz of the whole API (schemathesis on our OpenAPI).

Every operation gets a few generated requests, valid and invalid, as an L2 engineer and as a
customer; every answer must be something other than a 5xx, with a status, content type and body
that the OpenAPI declares for it. Requests go through the WSGI application in the test's
transaction, so nothing outlives the test. Hypothesis is derandomized (the same requests every
run) and bounded (``EXAMPLES`` per operation and mode), so CI runs it in well under a minute.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from casebridge.api import api
from tests import factories

#: Generated requests per operation and mode (positive, negative), per identity.
EXAMPLES = 2
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


@pytest.fixture
def wsgi_app() -> Iterator[Any]:
    """The WSGI application, keeping the test's connection open between requests (as Django's
    test client does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def api_schema() -> Any:
    document = json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1")))
    return schemathesis.openapi.from_dict(document)


def fuzz(operation: Any, mode: GenerationMode, run: Any) -> int:
    sent = 0

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def one(case: Any) -> None:
        nonlocal sent
        sent += 1
        run(case)

    one()
    return sent


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["l2", "cust_a"])
def test_the_api_answers_every_generated_request_as_its_schema_says(
    world: factories.World, wsgi_app: Any, who: str, settings: Any
) -> None:
    # Hundreds of requests in a minute from one token: the per-token rate limit (429, tested in
    # tests/security/test_api_rate_limit.py) is not what this run is about.
    settings.API_RATE_LIMIT_PER_MINUTE = 0
    token = world.tokens[who]
    failures: dict[str, str] = {}

    def run(case: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
        response = case.call(app=wsgi_app)
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as exc:  # collect every operation's failures, report them at once
            failures.setdefault(case.operation.label, str(exc)[:2000])

    operations = [result.ok() for result in api_schema().get_all_operations()]
    sent = sum(fuzz(operation, mode, run) for operation in operations for mode in MODES)
    print(f"fuzz as {who}: {len(operations)} operations, {sent} requests, {len(failures)} failed")
    assert len(operations) > 70 and sent > 2 * len(operations)
    assert failures == {}, "\n\n".join(f"{label}\n{text}" for label, text in failures.items())
