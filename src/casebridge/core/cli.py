"""Helpers shared by the CLI verbs: the acting user, domain errors, JSON output."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder

from casebridge.core.errors import DomainError, TransitionRefused

T = TypeVar("T")
ACTOR_ENV = "CASEBRIDGE_USER"


def add_actor_argument(parser: CommandParser) -> None:
    parser.add_argument(
        "--as",
        dest="actor",
        default=os.environ.get(ACTOR_ENV, ""),
        help=f"Act as this user (default: ${ACTOR_ENV}). Their roles are checked.",
    )


def actor_from(options: dict[str, Any]) -> Any:
    User = get_user_model()  # the user model, without core importing accounts
    username = options.get("actor") or ""
    if not username:
        raise CommandError(f"Say who acts: --as USERNAME or set {ACTOR_ENV}.", returncode=2)
    user = User.objects.prefetch_related("role_grants").filter(username=username).first()
    if user is None or not user.is_active:
        raise CommandError(f"--as: no active user '{username}'.", returncode=2)
    return user


def format_error(exc: DomainError) -> str:
    lines = [f"error: {exc.message}"]
    if isinstance(exc, TransitionRefused):
        lines += [f"  - {r.message}" + (f" [{r.field}]" if r.field else "") for r in exc.reasons]
    else:
        lines += [f"  {name}: {message}" for name, message in exc.fields.items()]
    return "\n".join(lines)


def run[T](fn: Callable[[], T]) -> T:
    """Call ``fn``; a DomainError becomes a readable message and a non-zero exit."""
    try:
        return fn()
    except DomainError as exc:
        raise CommandError(format_error(exc).removeprefix("error: "), returncode=2) from exc


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False) + "\n")


def add_admin_actor_argument(parser: CommandParser) -> None:
    """``--as`` for administration verbs: without it, the server's operator acts (``None``)."""
    parser.add_argument(
        "--as",
        dest="actor",
        default=os.environ.get(ACTOR_ENV, ""),
        help=f"Act as this administrator (default: ${ACTOR_ENV}, else the server's operator).",
    )


def admin_actor_from(options: dict[str, Any]) -> Any:
    """The user named by ``--as`` (roles checked by the services), or None: the operator."""
    return actor_from(options) if options.get("actor") else None


class Options:
    """A command's parsed options, read as the types its parser gives them.

    ``handle(**options)`` holds plain objects; each read says what it expects, and a value of
    another type is a bug of the command's parser (``TypeError``), not bad input.
    """

    def __init__(self, options: Mapping[str, object]) -> None:
        self._options = options

    def _get[V](self, name: str, kind: type[V]) -> V:
        value = self._options.get(name)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise TypeError(f"option {name}: {value!r} is not {kind.__name__}")
        return value

    def text(self, name: str) -> str:
        return self._get(name, str)

    def optional_text(self, name: str) -> str | None:
        return None if self._options.get(name) is None else self.text(name)

    def number(self, name: str) -> int:
        return self._get(name, int)

    def optional_number(self, name: str) -> int | None:
        return None if self._options.get(name) is None else self.number(name)

    def real(self, name: str) -> float:
        return self._get(name, float)

    def optional_real(self, name: str) -> float | None:
        return None if self._options.get(name) is None else self.real(name)

    def flag(self, name: str) -> bool:
        return bool(self._options.get(name))

    def numbers(self, name: str) -> list[int]:
        """A list option (``nargs``) of ints; missing is empty."""
        values = self._options.get(name) or []
        if not isinstance(values, list):
            raise TypeError(f"option {name}: {values!r} is not a list")
        if not all(isinstance(v, int) for v in values):
            raise TypeError(f"option {name}: {values!r} are not all int")
        return [int(v) for v in values]

    def texts(self, name: str) -> list[str]:
        """A list option (``nargs`` or ``append``) of strings; missing is empty."""
        values = self._options.get(name) or []
        if not isinstance(values, list):
            raise TypeError(f"option {name}: {values!r} is not a list")
        return [str(v) for v in values]

    def raw(self) -> dict[str, object]:
        """The options as given (for ``actor_from`` and friends)."""
        return dict(self._options)
