"""Work item references in the development side's texts: ``BUG-7``, ``FR-3``, ``IMP-2``
(Casebridge keys) and ``AB#123`` (an Azure Boards id, of a linked Azure DevOps item), and the
actor a pipeline acts as."""

from __future__ import annotations

import re
from collections.abc import Iterable

from casebridge.accounts.models import Role
from casebridge.core.actors import SYSTEM_ROLE
from casebridge.integrations.azure_devops.models import WorkItemLink
from casebridge.workitems.models import WorkItem

REFERENCE = re.compile(
    r"(?<![A-Za-z0-9])(?:(BUG|FR|IMP)-(\d{1,9})|AB#(\d{1,9}))(?![A-Za-z0-9])", re.I
)
MAX_REFERENCES = 50


def references_in(*texts: object) -> list[str]:
    """The distinct references in ``texts``, in order, normalised (``BUG-7``, ``AB#123``)."""
    found: list[str] = []
    for text in texts:
        if not isinstance(text, str):
            continue
        for match in REFERENCE.finditer(text):
            ref = f"{match[1].upper()}-{int(match[2])}" if match[1] else f"AB#{int(match[3])}"
            if ref not in found:
                found.append(ref)
    return found[:MAX_REFERENCES]


def work_items_for(references: Iterable[str]) -> list[WorkItem]:
    """The work items referenced (unknown references are left out), each once."""

    items: dict[int, WorkItem] = {}
    for ref in references:
        if ref.upper().startswith("AB#"):
            link = (
                WorkItemLink.objects.select_related("work_item").filter(ado_id=int(ref[3:])).first()
            )
            item = link.work_item if link is not None else None
        else:
            item = WorkItem.objects.filter(key=ref.upper()).first()
        if item is not None:
            items.setdefault(item.pk, item)
    return list(items.values())


class PipelineActor:
    """A delivery pipeline, acting as DevOps would (it records releases and deployments)."""

    pk = None
    level = ""
    level_rank = 0
    is_external = False
    is_authenticated = True
    roles = frozenset({SYSTEM_ROLE, Role.DEVOPS})

    def __init__(self, name: str) -> None:
        self.username = name
        self.display_name = name

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def __str__(self) -> str:
        return self.display_name
