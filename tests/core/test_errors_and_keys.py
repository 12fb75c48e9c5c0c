"""Domain errors carry a code and per-field messages; keys come from counter rows."""

from __future__ import annotations

import pytest

from casebridge.core import keys
from casebridge.core.errors import (
    Conflict,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    Reason,
    TransitionRefused,
    ValidationFailed,
)
from casebridge.core.models import Sequence


@pytest.mark.parametrize(
    ("error", "code", "status"),
    [
        (ValidationFailed("x"), "validation_error", 422),
        (NotFound("x"), "not_found", 404),
        (PermissionDenied("x"), "permission_denied", 403),
        (PayloadTooLarge("x"), "too_large", 413),
        (Conflict("x"), "conflict", 409),
    ],
)
def test_each_error_has_a_code_and_a_status(
    error: ValidationFailed, code: str, status: int
) -> None:
    assert (error.code, error.status) == (code, status)
    assert error.as_dict() == {"code": code, "message": "x", "fields": {}}


def test_fields_are_copied_not_shared() -> None:
    fields = {"title": "Too short."}
    error = ValidationFailed("Bad case", fields=fields)
    fields["title"] = "changed"
    assert error.fields == {"title": "Too short."}


def test_a_refusal_joins_every_reason_by_field() -> None:
    refusal = TransitionRefused(
        "escalate",
        [
            Reason("state", "Escalate is not possible from 'Closed'", "action"),
            Reason("role", "Escalate needs the role: L2 engineer"),
            Reason("missing_documentation", "Give the steps.", "steps_to_reproduce"),
        ],
    )
    body = refusal.as_dict()
    assert body["code"] == "transition_refused"
    assert refusal.status == 409
    assert body["message"] == (
        "Cannot escalate (3 reasons): Escalate is not possible from 'Closed'; "
        "Escalate needs the role: L2 engineer; Give the steps."
    )
    assert body["fields"] == {
        "action": "Escalate is not possible from 'Closed' Escalate needs the role: L2 engineer",
        "steps_to_reproduce": "Give the steps.",
    }
    assert body["reasons"] == [
        {"code": "state", "message": "Escalate is not possible from 'Closed'", "field": "action"},
        {"code": "role", "message": "Escalate needs the role: L2 engineer", "field": None},
        {
            "code": "missing_documentation",
            "message": "Give the steps.",
            "field": "steps_to_reproduce",
        },
    ]


def test_one_reason_reads_in_the_singular() -> None:
    refusal = TransitionRefused("request_info", [Reason("required", "Ask something", "question")])
    assert refusal.message == "Cannot request info (1 reason): Ask something"


def test_file_limits_are_stated_in_mib() -> None:
    error = PayloadTooLarge.for_file(5 * 1024 * 1024)
    assert error.message == "The file is larger than the limit of 5 MiB"
    assert error.fields == {"file": "Files are limited to 5 MiB."}


@pytest.mark.django_db
def test_keys_count_per_prefix() -> None:
    assert [keys.next_key("CB") for _ in range(3)] == [("CB-1", 1), ("CB-2", 2), ("CB-3", 3)]
    assert keys.next_key("BUG") == ("BUG-1", 1)
    assert keys.next_key("CB") == ("CB-4", 4)
    assert dict(Sequence.objects.values_list("name", "value")) == {"CB": 4, "BUG": 1}


@pytest.mark.django_db
def test_a_rolled_back_allocation_leaves_no_trace() -> None:
    from django.db import transaction

    keys.next_key("CB")
    with pytest.raises(RuntimeError), transaction.atomic():
        keys.next_key("CB")
        raise RuntimeError
    assert keys.next_key("CB") == ("CB-2", 2)
