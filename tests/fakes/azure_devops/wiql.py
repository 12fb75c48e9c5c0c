"""A subset of WIQL, the Work Item Query Language, enough for what integrations send:

    SELECT [System.Id] FROM WorkItems
    WHERE [System.TeamProject] = @project AND [System.ChangedDate] > '2026-11-23T09:00:00.000Z'
      AND ([System.WorkItemType] IN ('Bug', 'Task') OR [State] <> 'Closed')
    ORDER BY [System.ChangedDate] ASC, [System.Id]

Operators ``= <> != > < >= <= IN, NOT IN, UNDER, CONTAINS``; values are quoted strings, numbers,
``@project``, ``@me`` and ``@today`` (``- n`` days). As in Azure DevOps, a date with a time of day
needs ``timePrecision=true``; without it the date alone counts (``> '2026-11-23'`` is from the next
day on). At most 20,000 items are returned.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.fakes.azure_devops.errors import ServiceError
from tests.fakes.azure_devops.processes import DATE_FIELDS, SHORT_NAMES

LIMIT = 20_000
TOKEN = re.compile(
    r"\s*(?:(?P<field>\[[^\]]+\])|(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?)"
    r"|(?P<macro>@\w+)|(?P<op><>|!=|>=|<=|=|>|<|\(|\)|,|-)|(?P<word>[A-Za-z]+))"
)


def _bad(message: str) -> ServiceError:
    return ServiceError(400, f"TF51005: {message}", "WorkItemTrackingQueryException")


@dataclass(frozen=True)
class Context:
    project: str
    me: str
    time_precision: bool
    today: date


Predicate = Callable[[dict[str, Any]], bool]


def tokens(query: str) -> list[tuple[str, str]]:
    found, position = [], 0
    while position < len(query.rstrip()):
        match = TOKEN.match(query, position)
        if match is None or match.end() == position:
            raise _bad(f"The query has a syntax error near '{query[position : position + 20]}'.")
        kind = match.lastgroup or ""
        found.append((kind, match.group(kind)))
        position = match.end()
    return found


class Parser:
    def __init__(self, query: str, context: Context) -> None:
        self.items = tokens(query)
        self.at = 0
        self.context = context

    # --- token helpers --------------------------------------------------------------------------

    def peek(self) -> tuple[str, str]:
        return self.items[self.at] if self.at < len(self.items) else ("end", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        self.at += 1
        return token

    def word(self, *expected: str) -> bool:
        kind, text = self.peek()
        if kind == "word" and text.upper() in expected:
            self.at += 1
            return True
        return False

    def expect(self, *expected: str) -> None:
        if not self.word(*expected):
            raise _bad(f"Expected {' '.join(expected)} near '{self.peek()[1]}'.")

    def field(self) -> str:
        kind, text = self.take()
        if kind != "field":
            raise _bad(f"Expected a field in brackets, found '{text}'.")
        name = text[1:-1].strip()
        return SHORT_NAMES.get(name.lower(), name)

    # --- grammar --------------------------------------------------------------------------------

    def query(self) -> tuple[list[str], Predicate, list[tuple[str, bool]]]:
        self.expect("SELECT")
        columns = [self.field()]
        while self.peek() == ("op", ","):
            self.take()
            columns.append(self.field())
        self.expect("FROM")
        if not self.word("WORKITEMS"):
            raise _bad("Only FROM WorkItems is supported.")
        where: Predicate = lambda fields: True  # noqa: E731
        if self.word("WHERE"):
            where = self.disjunction()
        order: list[tuple[str, bool]] = []
        if self.word("ORDER"):
            self.expect("BY")
            order.append(self.sort_key())
            while self.peek() == ("op", ","):
                self.take()
                order.append(self.sort_key())
        if self.peek()[0] != "end":
            raise _bad(f"Unexpected '{self.peek()[1]}'.")
        return columns, where, order or [("System.Id", False)]

    def sort_key(self) -> tuple[str, bool]:
        name = self.field()
        descending = self.word("DESC")
        if not descending:
            self.word("ASC")
        return name, descending

    def disjunction(self) -> Predicate:
        parts = [self.conjunction()]
        while self.word("OR"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else lambda f: any(p(f) for p in parts)

    def conjunction(self) -> Predicate:
        parts = [self.term()]
        while self.word("AND"):
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else lambda f: all(p(f) for p in parts)

    def term(self) -> Predicate:
        if self.peek() == ("op", "("):
            self.take()
            inner = self.disjunction()
            if self.take() != ("op", ")"):
                raise _bad("Missing ')'.")
            return inner
        name = self.field()
        negate = self.word("NOT")
        if self.word("IN"):
            values = self.value_list(name)
            return lambda f: (_value(f, name) in values) != negate
        if negate:
            raise _bad("NOT is only supported before IN.")
        if self.word("UNDER"):
            path = str(self.value(name))
            return lambda f: _under(str(_value(f, name) or ""), path)
        if self.word("CONTAINS"):
            text = str(self.value(name)).lower()
            return lambda f: text in str(_value(f, name) or "").lower()
        kind, op = self.take()
        if kind != "op" or op not in ("=", "<>", "!=", ">", "<", ">=", "<="):
            raise _bad(f"Expected an operator after [{name}], found '{op}'.")
        return self.comparison(name, op)

    def comparison(self, name: str, op: str) -> Predicate:
        if name in DATE_FIELDS:
            return self.date_comparison(name, op)
        value = self.value(name)
        compare = COMPARE[op]
        return lambda f: _comparable(f, name, value) and compare(_value(f, name), value)

    def date_comparison(self, name: str, op: str) -> Predicate:
        moment, has_time = self.date_value()
        if has_time and not self.context.time_precision:
            raise _bad(
                f"The date/time value for [{name}] has a time of day; ask with "
                "timePrecision=true to compare times."
            )
        if has_time:
            low, high = moment, moment
        else:
            low, high = moment, moment + timedelta(days=1)
        tests: dict[str, Callable[[datetime], bool]] = {
            "=": lambda d: low <= d < high if not has_time else d == low,
            "<>": lambda d: not (low <= d < high) if not has_time else d != low,
            ">": lambda d: d > low if has_time else d >= high,
            ">=": lambda d: d >= low,
            "<": lambda d: d < low,
            "<=": lambda d: d <= low if has_time else d < high,
        }
        tests["!="] = tests["<>"]
        test = tests[op]
        return lambda f: f.get(name) is not None and test(_moment(f[name]))

    def date_value(self) -> tuple[datetime, bool]:
        kind, text = self.take()
        if kind == "macro" and text.lower() == "@today":
            days = 0
            if self.peek() == ("op", "-"):
                self.take()
                days = int(self.take()[1])
            day = self.context.today - timedelta(days=days)
            return datetime(day.year, day.month, day.day, tzinfo=UTC), False
        if kind != "string":
            raise _bad(f"Expected a date, found '{text}'.")
        raw = text[1:-1]
        try:
            if len(raw) <= 10:
                day = date.fromisoformat(raw)
                return datetime(day.year, day.month, day.day, tzinfo=UTC), False
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError as exc:
            raise _bad(f"'{raw}' is not a date.") from exc
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)), True

    def value(self, name: str) -> Any:
        kind, text = self.take()
        if kind == "string":
            return text[1:-1].replace("''", "'")
        if kind == "number":
            return float(text) if "." in text else int(text)
        if kind == "macro" and text.lower() == "@project":
            return self.context.project
        if kind == "macro" and text.lower() == "@me":
            return self.context.me
        raise _bad(f"Expected a value for [{name}], found '{text}'.")

    def value_list(self, name: str) -> set[Any]:
        if self.take() != ("op", "("):
            raise _bad("Expected '(' after IN.")
        values = {self.value(name)}
        while self.peek() == ("op", ","):
            self.take()
            values.add(self.value(name))
        if self.take() != ("op", ")"):
            raise _bad("Missing ')' after the IN list.")
        return values


COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "<>": lambda a, b: a != b,
    "!=": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
}


def _value(fields: dict[str, Any], name: str) -> Any:
    value = fields.get(name)
    if isinstance(value, dict):  # an identity: compared by its unique name
        return value.get("uniqueName")
    if isinstance(value, str) and name in ("System.State", "System.WorkItemType"):
        return value
    return value


def _comparable(fields: dict[str, Any], name: str, value: Any) -> bool:
    current = _value(fields, name)
    if current is None:
        return False
    return isinstance(current, type(value)) or (
        isinstance(current, int | float) and isinstance(value, int | float)
    )


def _under(path: str, root: str) -> bool:
    return path.lower() == root.lower() or path.lower().startswith(root.lower() + "\\")


def _moment(value: Any) -> datetime:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def run(
    query: str, rows: list[dict[str, Any]], context: Context, *, top: int | None = None
) -> tuple[list[str], list[tuple[str, bool]], list[int]]:
    """``(columns, sort columns, ids)`` of the rows (each a work item's fields) that match."""
    columns, where, order = Parser(query, context).query()
    matched = [row for row in rows if where(row)]
    for name, descending in reversed(order):
        matched.sort(key=lambda row, n=name: _sort_key(row.get(n)), reverse=descending)
    if len(matched) > LIMIT and (top is None or top > LIMIT):
        raise ServiceError(
            400,
            f"VS402337: The number of work items returned exceeds the size limit of {LIMIT}. "
            "Change the query to return fewer items.",
            "WorkItemTrackingQueryResultSizeLimitExceededException",
        )
    ids = [int(row["System.Id"]) for row in matched]
    return columns, order, ids[:top] if top else ids


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, dict):
        return (1, str(value.get("uniqueName", "")))
    if isinstance(value, int | float):
        return (1, value)
    return (2, str(value))
