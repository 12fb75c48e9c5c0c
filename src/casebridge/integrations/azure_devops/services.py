"""Every write of Azure DevOps connections: connect (checked against the server first) and edit a
category's mapping. Administrators only (``actor=None`` is the operator at the server's shell).

Connecting checks what it is given, then asks the server (the project, and who the token is)
*before* its transaction: a wrong token, an unknown project or an unreachable server is reported
by field and nothing is saved. The write itself (the connection, its service hook door with a new
secret, and the audit event) is one transaction. The secret is returned once, never shown again;
the token is never returned at all.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from typing import cast

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from casebridge.accounts.models import Team
from casebridge.audit.actions import AuditAction
from casebridge.audit.services import audit_changes, audit_record
from casebridge.core import clock
from casebridge.core.actors import Actor
from casebridge.core.errors import ValidationFailed
from casebridge.core.secrets import Sealed, hint
from casebridge.integrations.azure_devops import addresses, iterations, mapping
from casebridge.integrations.azure_devops.clients import Verified, verify
from casebridge.integrations.azure_devops.models import Connection
from casebridge.integrations.azure_devops.processes import (
    CATEGORIES,
    PROCESSES,
    CategoryMapping,
    default_mapping,
)
from casebridge.integrations.delivery.models import DeliverySource, SourceKind
from casebridge.integrations.delivery.services import require_admin, source_open

WHAT = "Azure DevOps connections"


def _scope_error(team: Team | None, category: str) -> str:
    taken = Connection.objects.filter(team=team, category=category).first()
    if taken is None:
        return ""
    return f"'{taken.slug}' already connects {taken.scope}."


def _token_errors(pat: str, pat_env: str) -> dict[str, str]:
    if bool(pat) == bool(pat_env):
        return {"pat": "Give the personal access token, or the environment variable holding it."}
    if pat and (len(pat) < 20 or any(c.isspace() for c in pat)):
        return {"pat": "This does not look like a personal access token."}
    if pat_env and (env_error := addresses.env_name_error(pat_env)):
        return {"pat_env": env_error}
    if pat_env and not os.environ.get(pat_env):
        return {"pat_env": f"{pat_env} is not set in this server's environment."}
    return {}


def _local_errors(
    *,
    name: str,
    slug: str,
    url_error: str,
    project: str,
    pat: str,
    pat_env: str,
    team: Team | None,
    category: str,
    process: str,
    types: Mapping[str, str],
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not name.strip() or len(name) > 120:
        errors["name"] = "Name the connection (at most 120 characters)."
    if not slug or len(slug) > 64 or slug != slugify(slug):
        errors["slug"] = "Use 1-64 lowercase letters, digits and hyphens."
    elif (
        Connection.objects.filter(slug=slug).exists()
        or DeliverySource.objects.filter(kind=SourceKind.AZURE_DEVOPS, slug=slug).exists()
    ):
        errors["slug"] = f"The slug '{slug}' is taken."
    if url_error:
        errors["organization_url"] = url_error
    if project_error := addresses.project_error(project):
        errors["project"] = project_error
    errors |= _token_errors(pat, pat_env)
    if category and category not in CATEGORIES:
        errors["category"] = f"Use one of {', '.join(CATEGORIES)}, or none for every category."
    elif scope_error := _scope_error(team, category):
        errors["team" if team else "category"] = scope_error
    if process and process not in PROCESSES:
        errors["process"] = f"Use one of {', '.join(PROCESSES)}."
    for key in types:
        if key not in CATEGORIES:
            errors[f"types.{key}"] = f"Use the categories {', '.join(CATEGORIES)}."
    return errors


def _process_of(process: str, verified: Verified) -> str:
    if process:
        return process
    detected = verified.project.process.lower()
    if detected in PROCESSES:
        return detected
    raise ValidationFailed(
        "Say which process the project's work items follow",
        fields={
            "process": f"The project uses the process '{verified.project.process}': say which "
            f"system process it inherits from ({', '.join(PROCESSES)})."
        },
    )


def _initial_mapping(
    process: str, categories: tuple[str, ...], types: Mapping[str, str]
) -> dict[str, CategoryMapping]:
    errors = {
        f"types.{category}": wrong
        for category, type_name in types.items()
        if category in categories and (wrong := mapping.type_error(process, category, type_name))
    }
    if errors:
        raise ValidationFailed("The work item types do not fit the process", fields=errors)
    return {c: default_mapping(process, c, types.get(c, "")) for c in categories}


def connection_connect(
    *,
    actor: Actor,
    name: str,
    organization_url: str,
    project: str,
    pat: str = "",
    pat_env: str = "",
    slug: str = "",
    team: Team | None = None,
    category: str = "",
    process: str = "",
    area_path: str = "",
    iteration_path: str = "",
    types: Mapping[str, str] | None = None,
) -> tuple[Connection, str]:
    """Connect a team and/or category to an Azure DevOps project; returns the connection and its
    service hooks' secret (shown this once)."""
    require_admin(actor, WHAT)
    slug = slug or slugify(name)
    url, deployment, url_error = addresses.organization_url(organization_url)
    types = dict(types or {})
    errors = _local_errors(
        name=name,
        slug=slug,
        url_error=url_error,
        project=project,
        pat=pat,
        pat_env=pat_env,
        team=team,
        category=category,
        process=process,
        types=types,
    )
    area_path, iteration_path = area_path.strip() or project, iteration_path.strip() or project
    for field, path in (("area_path", area_path), ("iteration_path", iteration_path)):
        if not errors.get("project") and (
            error := addresses.tree_path_error(path, project, field[:-5])
        ):
            errors[field] = error
    if errors:
        raise ValidationFailed("The connection was not made", fields=errors)
    token = pat or os.environ[pat_env]
    verified = verify(
        organization_url=url, project=project, pat=token, pat_field="pat" if pat else "pat_env"
    )
    process = _process_of(process, verified)
    categories = (category,) if category else CATEGORIES
    initial = _initial_mapping(process, categories, types)
    try:
        with transaction.atomic():
            source, secret = source_open(
                actor=actor, kind=SourceKind.AZURE_DEVOPS, name=f"{name.strip()} hooks", slug=slug
            )
            now = clock.now()
            connection = Connection.objects.create(
                slug=slug,
                name=name.strip(),
                team=team,
                category=category,
                organization_url=url,
                deployment=deployment,
                project=verified.project.name or project,
                project_id=verified.project.id,
                process=process,
                pat=Sealed(pat) if pat else "",
                pat_env=pat_env,
                pat_hint=hint(token),
                service_account=verified.me.unique_name or verified.me.display_name,
                area_path=area_path,
                iteration_path=iteration_path,
                mapping=initial,
                hook_source=source,
                created_at=now,
                updated_at=now,
            )
            audit_record(
                actor=actor,
                subject=connection,
                action=AuditAction.CONNECTED,
                data={
                    "organization_url": url,
                    "project": connection.project,
                    "process": process,
                    "scope": connection.scope,
                    "token": f"env:{pat_env}" if pat_env else f"sealed {connection.pat_hint}",
                },
            )
    except IntegrityError as exc:  # a connection for the same scope made meanwhile
        raise ValidationFailed(
            "The connection was not made", fields={"category": _scope_error(team, category)}
        ) from exc
    return connection, secret


def flatten(value: object, prefix: str) -> dict[str, str]:
    """``{"mapping.bug.to_ado.new": "New", ...}``: one entry per leaf, for audit events."""
    if isinstance(value, Mapping):
        flat: dict[str, str] = {}
        for key, inner in value.items():
            flat |= flatten(inner, f"{prefix}.{key}")
        return flat
    return {prefix: "" if value is None else str(value)}


@transaction.atomic
def connection_map(
    *,
    actor: Actor,
    connection: Connection,
    category: str,
    type_name: str = "",
    to_ado: Mapping[str, str] | None = None,
    from_ado: Mapping[str, str] | None = None,
    fields: Mapping[str, str] | None = None,
    iterations: Mapping[str, str | None] | None = None,
    reset: bool = False,
) -> Connection:
    """Change one category's mapping: entries given replace those entries; a new ``type_name``
    (or ``reset``) starts from that type's defaults. ``iterations`` (path -> ``team/Sprint``,
    ``""`` for no sprint, None to drop the entry) are the connection's, for every category.
    Refused whole, naming each wrong field."""
    require_admin(actor, WHAT)
    connection = Connection.objects.select_for_update().get(pk=connection.pk)
    if category not in connection.categories:
        raise ValidationFailed(
            f"Connection '{connection.slug}' is not for {category or 'that category'}",
            fields={"category": f"Use {', '.join(connection.categories)}."},
        )
    current = cast("CategoryMapping", copy.deepcopy(connection.mapping.get(category) or {}))
    type_name = type_name or str(current.get("type", ""))
    if reset or type_name != current.get("type"):
        if wrong := mapping.type_error(connection.process, category, type_name):
            raise ValidationFailed(
                "The mapping was not saved", fields={f"mapping.{category}.type": wrong}
            )
        changed = default_mapping(connection.process, category, type_name)
    else:
        changed = copy.deepcopy(current)
    changed["to_ado"] = {**changed.get("to_ado", {}), **dict(to_ado or {})}
    changed["from_ado"] = {**changed.get("from_ado", {}), **dict(from_ado or {})}
    changed["fields"] = {**changed.get("fields", {}), **dict(fields or {})}
    errors = mapping.check(connection.process, category, changed)
    paths, path_errors = _iterations(connection, iterations or {})
    errors |= path_errors
    if errors:
        raise ValidationFailed("The mapping was not saved", fields=errors)
    before = flatten(current, f"mapping.{category}")
    after = flatten(changed, f"mapping.{category}")
    changes = {k: (before.get(k), after.get(k)) for k in sorted(before.keys() | after.keys())}
    changes |= {
        f"iterations.{k}": (connection.iterations.get(k), paths.get(k))
        for k in sorted(connection.iterations.keys() | paths.keys())
    }
    changes = {k: v for k, v in changes.items() if v[0] != v[1]}
    if not changes:
        return connection
    connection.mapping = {**connection.mapping, category: changed}
    connection.iterations = paths
    connection.updated_at = clock.now()
    connection.save(update_fields=["mapping", "iterations", "updated_at"])
    audit_changes(
        actor=actor, subject=connection, action=AuditAction.MAPPING_CHANGED, changes=changes
    )
    return connection


def _iterations(
    connection: Connection, given: Mapping[str, str | None]
) -> tuple[dict[str, str], dict[str, str]]:
    """The connection's iteration entries with ``given`` applied, and what is wrong with them."""
    paths = dict(connection.iterations or {})
    errors: dict[str, str] = {}
    for path, key in given.items():
        where = f"iterations.{path}"
        if key is None:
            paths.pop(path, None)
        elif error := addresses.tree_path_error(path.strip(), connection.project, "iteration"):
            errors[where] = error
        elif key and not iterations.sprint_by_key(key.strip()):
            errors[where] = f"No sprint '{key}': give it as team-slug/Sprint name."
        else:
            paths[path.strip()] = key.strip()
    return paths, errors
