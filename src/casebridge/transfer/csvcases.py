"""Cases from another tool's CSV export: each row opens a case through ``case_create``, as the
acting user, with the usual checks. Columns are mapped to fields (``title=Summary``); every row is
checked before the first case is opened, and one bad row (its number and field named) opens none."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO

from django.db import transaction

from casebridge.accounts.models import User
from casebridge.accounts.selectors import organisation_by_slug, user_by_username
from casebridge.cases.models import Impact
from casebridge.cases.services import CaseInput, case_create
from casebridge.catalog.selectors import component_by_slug, service_by_slug
from casebridge.core.errors import DomainError, ValidationFailed
from casebridge.core.text import plural

CASE_COLUMNS = (
    "title",
    "description",
    "service",
    "component",
    "environment",
    "impact",
    "version",
    "organisation",
    "reporter",
)
REQUIRED = ("title", "service")
MAX_ROWS = 100_000
MAX_PROBLEMS = 20


def parse_mapping(pairs: Iterable[str]) -> dict[str, str]:
    """``["title=Summary", ...]`` as ``{"title": "Summary"}``; unknown fields are refused."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        name, sep, column = pair.partition("=")
        name = name.strip()
        if not sep or not column.strip():
            raise ValidationFailed("Bad --map", fields={"map": f"'{pair}' is not FIELD=COLUMN"})
        if name not in CASE_COLUMNS:
            raise ValidationFailed(
                "Bad --map", fields={"map": f"no field '{name}'; use {', '.join(CASE_COLUMNS)}"}
            )
        mapping[name] = column.strip()
    return mapping


def _input_of(row: dict[str, str]) -> CaseInput:
    service = service_by_slug(row["service"].strip())
    component = row.get("component", "").strip()
    impact = row.get("impact", "").strip().lower() or Impact.MEDIUM
    if impact not in Impact.values:
        raise ValidationFailed("Bad impact", fields={"impact": f"use {', '.join(Impact.values)}"})
    organisation = row.get("organisation", "").strip()
    reporter = row.get("reporter", "").strip()
    return CaseInput(
        title=row["title"].strip(),
        description=row.get("description", "").strip(),
        service=service,
        component=component_by_slug(service, component) if component else None,
        environment=row.get("environment", "").strip() or "production",
        impact=impact,
        version=row.get("version", "").strip(),
        organisation=organisation_by_slug(organisation) if organisation else None,
        reporter=user_by_username(reporter, field="reporter") if reporter else None,
    )


def import_cases_csv(handle: IO[str], *, mapping: dict[str, str], actor: User) -> list[str]:
    """Open a case for every row; returns their keys. All rows or none."""
    reader = csv.DictReader(handle)
    columns = set(reader.fieldnames or [])
    wanted = {name: mapping.get(name, name) for name in CASE_COLUMNS}
    missing = [f"{n} (column '{wanted[n]}')" for n in REQUIRED if wanted[n] not in columns]
    if missing:
        raise ValidationFailed(
            "Columns missing", fields={"map": f"no column for {', '.join(missing)}; use --map"}
        )
    problems: list[str] = []
    keys: list[str] = []
    with transaction.atomic():
        for number, raw in enumerate(reader, start=2):
            if number - 1 > MAX_ROWS:
                raise ValidationFailed("Too many rows", fields={"file": f"at most {MAX_ROWS:,}"})
            row = {name: (raw.get(column) or "") for name, column in wanted.items()}
            try:
                with transaction.atomic():
                    keys.append(case_create(actor=actor, data=_input_of(row), channel="cli").key)
            except DomainError as exc:
                detail = "; ".join(f"{k}: {v}" for k, v in exc.fields.items()) or exc.message
                if len(problems) < MAX_PROBLEMS:
                    problems.append(f"row {number}: {detail}")
        if problems:
            transaction.set_rollback(True)
    if problems:
        raise ValidationFailed(
            f"No case opened: {plural(len(problems), 'row')} refused",
            fields={"file": "\n".join(problems)},
        )
    return keys
