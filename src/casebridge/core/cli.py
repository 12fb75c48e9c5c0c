"""Helpers shared by the CLI verbs: the acting user, domain errors, JSON output."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
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
