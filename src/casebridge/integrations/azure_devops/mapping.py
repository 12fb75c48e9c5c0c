"""Checking a connection's mapping: every message names the field it concerns, in the form
``mapping.<category>.<part>.<key>`` (``mapping.bug.to_ado.in_review``), so the API, the page and the
CLI can show it beside what is wrong.

A mapping of one category is ``{"type", "to_ado", "from_ado", "fields"}``:

* ``type``: the Azure DevOps work item type (one the process offers for the category);
* ``to_ado``: every state of the category's workflow -> a state of that type;
* ``from_ado``: every state of that type -> a Casebridge state, which must map back to it
  (otherwise a change made in Azure DevOps would come back to it as another);
* ``fields``: Casebridge field -> Azure DevOps field reference name ("" = not a field of its own).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from casebridge.integrations.azure_devops.processes import (
    FIELDS,
    PROCESS_LABELS,
    READ_ONLY_FIELDS,
    TYPES,
    ado_states,
    casebridge_states,
)

REFERENCE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$")
PARTS = ("type", "to_ado", "from_ado", "fields")


def _listing(values: Iterable[object]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def type_error(process: str, category: str, type_name: object) -> str:
    """Why ``type_name`` cannot hold ``category`` in ``process``; empty when it can."""
    allowed = TYPES[process][category]
    if type_name in allowed:
        return ""
    return (
        f"'{type_name}' is not offered for {category}s by the {PROCESS_LABELS[process]} "
        f"process: use {_listing(allowed)}."
    )


def check(process: str, category: str, mapping: object) -> dict[str, str]:
    """Every problem of one category's mapping, by field; empty when it is sound."""
    prefix = f"mapping.{category}"
    if not isinstance(mapping, Mapping):
        return {prefix: "Give the mapping as an object with type, to_ado, from_ado and fields."}
    errors = {f"{prefix}.{k}": "Not a part of a mapping." for k in mapping if k not in PARTS}
    type_name = mapping.get("type")
    if wrong_type := type_error(process, category, type_name):
        errors[f"{prefix}.type"] = wrong_type
        return errors
    errors |= _states(process, category, str(type_name), mapping, prefix)
    errors |= _fields(mapping.get("fields"), prefix)
    return errors


def _states(
    process: str, category: str, type_name: str, mapping: Mapping[str, object], prefix: str
) -> dict[str, str]:
    to_ado, from_ado = mapping.get("to_ado"), mapping.get("from_ado")
    errors = {
        f"{prefix}.{part}": "Give the states as an object."
        for part, value in (("to_ado", to_ado), ("from_ado", from_ado))
        if not isinstance(value, Mapping)
    }
    if errors:
        return errors
    assert isinstance(to_ado, Mapping) and isinstance(from_ado, Mapping)
    where = f"{type_name} in the {PROCESS_LABELS[process]} process"
    theirs = ado_states(process, type_name)
    errors = _to_ado(category, to_ado, theirs, where, f"{prefix}.to_ado")
    return errors | _from_ado(
        category,
        type_name=type_name,
        to_ado=to_ado,
        from_ado=from_ado,
        theirs=theirs,
        where=where,
        prefix=prefix,
    )


def _to_ado(
    category: str, to_ado: Mapping[str, object], theirs: tuple[str, ...], where: str, prefix: str
) -> dict[str, str]:
    ours = casebridge_states(category)
    errors = {
        f"{prefix}.{state}": f"Map '{state}' to a state of {where} ({_listing(theirs)})."
        for state in ours
        if state not in to_ado
    }
    for state, target in to_ado.items():
        if state not in ours:
            errors[f"{prefix}.{state}"] = f"'{state}' is not a state of the {category} workflow."
        elif target not in theirs:
            errors[f"{prefix}.{state}"] = (
                f"'{target}' is not a state of {where}: use {_listing(theirs)}."
            )
    return errors


def _from_ado(
    category: str,
    *,
    type_name: str,
    to_ado: Mapping[str, object],
    from_ado: Mapping[str, object],
    theirs: tuple[str, ...],
    where: str,
    prefix: str,
) -> dict[str, str]:
    ours = casebridge_states(category)
    errors = {
        f"{prefix}.from_ado.{state}": f"Say which Casebridge state '{state}' of {type_name} means."
        for state in theirs
        if state not in from_ado
    }
    for state, target in from_ado.items():
        field = f"{prefix}.from_ado.{state}"
        if state not in theirs:
            errors[field] = f"'{state}' is not a state of {where}: use {_listing(theirs)}."
        elif target not in ours:
            errors[field] = f"'{target}' is not a state of the {category} workflow."
        elif to_ado.get(target) != state and to_ado.get(target) in theirs:
            errors[field] = (
                f"'{state}' means '{target}', which maps back to '{to_ado.get(target)}': a "
                "change made in Azure DevOps would come back as another. Choose a state that maps "
                f"to '{state}'."
            )
    return errors


def _fields(fields: object, prefix: str) -> dict[str, str]:
    if not isinstance(fields, Mapping):
        return {f"{prefix}.fields": "Give the fields as an object."}
    errors: dict[str, str] = {}
    seen: dict[str, str] = {}
    for name, reference in fields.items():
        where = f"{prefix}.fields.{name}"
        if name not in FIELDS:
            errors[where] = f"Casebridge has no field '{name}' to map: use {_listing(FIELDS)}."
        elif not isinstance(reference, str):
            errors[where] = "Give a reference name such as 'System.Title', or '' for none."
        elif reference and not REFERENCE_NAME.match(reference):
            errors[where] = (
                f"'{reference}' is not a field reference name (such as 'System.Title' or "
                "'Custom.Environment')."
            )
        elif reference in READ_ONLY_FIELDS:
            errors[where] = f"'{reference}' is kept by Azure DevOps (or by the state mapping)."
        elif reference and reference in seen:
            errors[where] = f"'{reference}' is already the field of '{seen[reference]}'."
        elif reference:
            seen[reference] = name
    if not fields.get("title"):
        errors[f"{prefix}.fields.title"] = "The title must map to a field (System.Title)."
    return errors
