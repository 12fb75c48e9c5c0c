"""Helpers shared by the CLI verbs: the acting user, domain errors, JSON output."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder

from casebridge.core.actors import Actor
from casebridge.core.errors import DomainError, TransitionRefused

ACTOR_ENV = "CASEBRIDGE_USER"


def add_actor_argument(parser: CommandParser) -> None:
    parser.add_argument(
        "--as",
        dest="actor",
        default=os.environ.get(ACTOR_ENV, ""),
        help=f"Act as this user (default: ${ACTOR_ENV}). Their roles are checked.",
    )


class Options(Mapping[str, object]):
    """The parsed options of a verb (``**options`` of ``handle``), read with the type argparse
    gives each: ``options.text("name")``, ``options.flag("json")``. A value of another type is a
    mistake in the verb's arguments (a ``TypeError``), not in the user's input."""

    def __init__(self, options: Mapping[str, object]) -> None:
        self._options = dict(options)

    def __getitem__(self, name: str) -> object:
        return self._options[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._options)

    def __len__(self) -> int:
        return len(self._options)

    def _typed[V](self, name: str, kind: type[V]) -> V:
        value = self._options[name]
        if not isinstance(value, kind):
            raise TypeError(f"option {name!r} is {type(value).__name__}, not {kind.__name__}")
        return value

    def text(self, name: str) -> str:
        return self._typed(name, str)

    def text_or_none(self, name: str) -> str | None:
        return None if self._options.get(name) is None else self.text(name)

    def number(self, name: str) -> int:
        return self._typed(name, int)

    def number_or_none(self, name: str) -> int | None:
        return None if self._options.get(name) is None else self.number(name)

    def real(self, name: str) -> float:
        """A ``type=float`` option (an int given by a caller is as good)."""
        value = self._options[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"option {name!r} is {type(value).__name__}, not float")
        return float(value)

    def real_or_none(self, name: str) -> float | None:
        return None if self._options.get(name) is None else self.real(name)

    def flag(self, name: str) -> bool:
        """A ``store_true`` option (absent or ``None`` is false)."""
        return bool(self._options.get(name))

    def flag_or_none(self, name: str) -> bool | None:
        value = self._options.get(name)
        return None if value is None else bool(value)

    def path(self, name: str) -> Path:
        return self._typed(name, Path)

    def path_or_none(self, name: str) -> Path | None:
        return None if self._options.get(name) is None else self.path(name)

    def numbers(self, name: str) -> list[int]:
        """An ``append`` or ``nargs`` option of ints (absent or ``None`` is no value)."""
        value = self._options.get(name) or []
        if not isinstance(value, list | tuple) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            raise TypeError(f"option {name!r} is {type(value).__name__}, not a list of int")
        return [int(v) for v in value]

    def texts(self, name: str) -> list[str]:
        """An ``append`` or ``nargs`` option (absent or ``None`` is no value)."""
        return self.texts_or_none(name) or []

    def texts_or_none(self, name: str) -> list[str] | None:
        value = self._options.get(name)
        if value is None:
            return None
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise TypeError(f"option {name!r} is {type(value).__name__}, not a list of str")
        return [str(v) for v in value]


def actor_from(options: Mapping[str, object]) -> Any:  # the user model, which core cannot name
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


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False) + "\n")


def add_admin_actor_argument(parser: CommandParser) -> None:
    """``--as`` for administration verbs: without it, the server's operator acts (``None``)."""
    parser.add_argument(
        "--as",
        dest="actor",
        default=os.environ.get(ACTOR_ENV, ""),
        help=f"Act as this administrator (default: ${ACTOR_ENV}, else the server's operator).",
    )


def admin_actor_from(options: Mapping[str, object]) -> Actor | None:
    """The user named by ``--as`` (roles checked by the services), or None: the operator."""
    return actor_from(options) if options.get("actor") else None
