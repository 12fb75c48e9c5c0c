"""The rules Azure DevOps applies to a work item's fields on every save (unless ``bypassRules``):
known and writable fields, a title, a state of the type, list values, tree paths under the
project, identities that exist."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fakes.azure_devops import patch
from tests.fakes.azure_devops.errors import ServiceError, rule_error
from tests.fakes.azure_devops.processes import (
    IDENTITY_FIELDS,
    PROCESSES,
    READ_ONLY,
    SEVERITIES,
    WRITABLE,
)

if TYPE_CHECKING:
    from tests.fakes.azure_devops.store import Project, Store

MIGRATION_FIELDS = frozenset(
    {"System.CreatedDate", "System.CreatedBy", "System.ChangedDate", "System.ChangedBy"}
)


def check(
    store: Store,
    project: Project,
    type_name: str,
    draft: patch.Draft,
    before: dict[str, Any],
    *,
    bypass_rules: bool,
) -> None:
    fields = draft.fields
    for name, value in fields.items():
        if before.get(name) == value and name in before:
            continue
        if name in READ_ONLY and not (bypass_rules and name in MIGRATION_FIELDS):
            raise ServiceError(
                400,
                f"TF401326: Invalid field status 'ReadOnly' for field '{name}'.",
                "RuleValidationException",
            )
        if name not in WRITABLE and name not in READ_ONLY and not name.startswith("Custom."):
            raise ServiceError(400, f"TF51535: Cannot find field {name}.", "FieldException")
    title = fields.get("System.Title")
    if not isinstance(title, str) or not title.strip():
        raise rule_error("Title", "Required, InvalidEmpty")
    if len(title) > 255:
        raise rule_error("Title", "InvalidTooLong")
    if fields.get("System.State") not in states(project, type_name):
        raise rule_error("State", "InvalidListValue")
    priority = fields.get("Microsoft.VSTS.Common.Priority")
    if priority is not None:
        if str(priority) not in ("1", "2", "3", "4"):
            raise rule_error("Priority", "InvalidListValue")
        fields["Microsoft.VSTS.Common.Priority"] = int(priority)
    severity = fields.get("Microsoft.VSTS.Common.Severity")
    if severity is not None and severity not in SEVERITIES:
        raise rule_error("Severity", "InvalidListValue")
    for name in ("System.AreaPath", "System.IterationPath"):
        path = str(fields.get(name, ""))
        if path != project.name and not path.startswith(project.name + "\\"):
            raise ServiceError(
                400,
                f"TF401347: Invalid tree name given for work item -1, field '{name}'.",
                "WorkItemFieldInvalidTreeNameException",
            )
    for name in IDENTITY_FIELDS & fields.keys():
        if before.get(name) != fields[name]:
            identity = store.resolve(fields[name])
            if identity is None:
                fields.pop(name)
            else:
                fields[name] = identity.ref()


def states(project: Project, type_name: str) -> list[str]:
    """The type's states in workflow order; 404 (VS402323) for a type the process lacks."""
    found = PROCESSES[project.process].get(type_name)
    if found is None:
        raise ServiceError(
            404,
            f"VS402323: Work item type {type_name} does not exist in project {project.name} or "
            "you do not have permission to access it.",
            "WorkItemTypeNotFoundException",
        )
    return found
