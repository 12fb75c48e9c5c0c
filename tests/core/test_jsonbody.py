"""``core.jsonbody.json_loads``: JSON nested deeper than the limit is refused without recursing."""

from __future__ import annotations

import json

import pytest

from casebridge.core.jsonbody import MAX_JSON_DEPTH, JsonTooDeep, json_loads, nesting_depth


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("1", 0),
        ("[]", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('{"a": "[[[[[[{{{{"}', 1),
        (r'{"a": "\"[[[", "b": [[]]}', 3),
        ("[[],[],[[]]]", 3),
    ],
)
def test_nesting_depth_ignores_brackets_in_strings(text: str, depth: int) -> None:
    assert nesting_depth(text.encode()) == depth


def test_the_limit_itself_is_accepted_and_one_more_refused() -> None:
    at_limit = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert json_loads(at_limit.encode()) == json.loads(at_limit)
    with pytest.raises(JsonTooDeep, match=f"deeper than {MAX_JSON_DEPTH} levels"):
        json_loads(("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)).encode())


def test_a_hundred_thousand_levels_are_refused_not_a_recursion_error() -> None:
    with pytest.raises(JsonTooDeep):
        json_loads(b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(JsonTooDeep):
        json_loads('{"a":' * 100_000 + "1" + "}" * 100_000)


def test_many_shallow_brackets_are_fine() -> None:
    wide = {"alerts": [{"labels": {"n": str(n)}} for n in range(2000)]}
    assert json_loads(json.dumps(wide).encode()) == wide


def test_errors_of_json_itself_are_unchanged() -> None:
    with pytest.raises(json.JSONDecodeError):
        json_loads(b'{"a": ')
    with pytest.raises(UnicodeDecodeError):
        json_loads(b"\xff\xfe{}")
