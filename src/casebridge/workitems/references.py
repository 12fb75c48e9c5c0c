"""Turn raw transition input (names, keys, ids, strings) into the objects the workflows check.

Every problem becomes a Reason naming its field, so a refusal lists reference errors together
with the workflow's own reasons.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from casebridge.accounts.models import Team, User
from casebridge.accounts.selectors import users_with_roles
from casebridge.catalog.models import Environment
from casebridge.core.errors import Reason
from casebridge.core.schemas import bounded_int
from casebridge.sprints.models import Sprint
from casebridge.workflows.engine import is_blank
from casebridge.workitems.documentation import DOC_FIELDS, RECATEGORISE_DOCS
from casebridge.workitems.models import WorkItem

Converter = Callable[[object], object]


class Invalid(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _user(value: object) -> User:
    found = users_with_roles(column="username", values=[str(value)], active=True)
    if not found:
        raise Invalid(f"No user '{value}'")
    return found[0]


def _users(value: Any) -> list[User]:
    names = [value] if isinstance(value, str) else list(value or [])
    users = users_with_roles(column="username", values=[str(n) for n in names], active=True)
    found = {u.username: u for u in users}
    missing = [str(n) for n in names if n not in found]
    if missing:
        raise Invalid(f"No user {', '.join(missing)}")
    return [found[str(n)] for n in dict.fromkeys(names)]


def _sprint(value: object) -> Sprint:
    """A sprint by id, or by ``team-slug/Sprint name`` (what a person types at the CLI)."""
    number = bounded_int(value)
    sprints = Sprint.objects.select_related("team")
    if number is not None:
        sprint = sprints.filter(pk=number).first()
    elif isinstance(value, str) and "/" in value:
        slug, _, name = value.partition("/")
        sprint = sprints.filter(team__slug=slug.strip(), name=name.strip()).first()
    else:
        sprint = None
    if sprint is None:
        raise Invalid(f"No sprint {value}")
    return sprint


def _team(value: object) -> Team:
    team = Team.objects.filter(slug=str(value)).first()
    if team is None:
        raise Invalid(f"No team '{value}'")
    return team


def _item(value: object) -> WorkItem:
    item = WorkItem.objects.filter(key=str(value).strip().upper()).first()
    if item is None:
        raise Invalid(f"No work item {value}")
    return item


def _date(value: object) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise Invalid(f"'{value}' is not a date (use YYYY-MM-DD)") from None


def _score(value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Invalid(f"'{value}' is not a whole number") from None
    if not 1 <= number <= 100:
        raise Invalid("Use a number from 1 to 100")
    return number


def _environment(value: object) -> str:
    if value not in Environment.values:
        raise Invalid(f"Use one of {', '.join(Environment.values)}")
    return str(value)


def _text(limit: int) -> Converter:
    def convert(value: object) -> str:
        text = str(value).strip()
        if len(text) > limit:
            raise Invalid(f"Keep it under {limit} characters")
        return text

    return convert


CONVERTERS: dict[str, Converter] = {
    "assignees": _users,
    "mentor": _user,
    "reviewer": _user,
    "sprint": _sprint,
    "team": _team,
    "duplicate_of": _item,
    "revisit_on": _date,
    "business_value": _score,
    "time_criticality": _score,
    "risk_reduction": _score,
    "job_size": _score,
    "environment": _environment,
    "priority": _text(16),
    "impact": _text(5000),
    "reason": _text(5000),
    "evidence": _text(20000),
    "version": _text(64),
    "category": _text(16),
    "as_role": _text(32),
    **{f.name: _text(f.max_length) for f in DOC_FIELDS if f.name in RECATEGORISE_DOCS},
}


def normalise(raw: Mapping[str, object]) -> tuple[dict[str, object], list[Reason]]:
    """Converted values for the known, non-empty fields, and a reason for each bad one."""
    data: dict[str, object] = {}
    reasons: list[Reason] = []
    for name, value in raw.items():
        if is_blank(value):
            continue
        convert = CONVERTERS.get(name)
        if convert is None:
            reasons.append(Reason("unknown_field", f"Unknown field '{name}'", name))
            continue
        try:
            data[name] = convert(value)
        except Invalid as exc:
            reasons.append(Reason("invalid", exc.message, name))
    return data, reasons
