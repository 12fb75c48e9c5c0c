"""One field changed in Azure DevOps, on its way into Casebridge: what a step of
``inbound.apply_remote`` gets, and what it answers (``None``, or the problem that becomes a sync
conflict)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from casebridge.accounts.models import User
from casebridge.core.errors import Reason, TransitionRefused, ValidationFailed
from casebridge.integrations.azure_devops.models import ConflictKind, WorkItemLink
from casebridge.integrations.azure_devops.wire import WorkItem as Remote
from casebridge.workitems.models import WorkItem
from casebridge.workitems.services import work_item_transition

Problem = tuple[str, str, list[Reason]] | None


@dataclass(frozen=True)
class Change:
    """One field changed in Azure DevOps, to apply to ``item``."""

    link: WorkItemLink
    item: WorkItem
    remote: Remote
    value: object
    actor: User

    def unpack(self) -> tuple[WorkItemLink, WorkItem, Remote, object, User]:
        return self.link, self.item, self.remote, self.value, self.actor


def via(remote: Remote, actor: User) -> str:
    reason = str(remote.fields.get("System.Reason") or "").strip()
    where = f"in Azure DevOps #{remote.id} by {actor.display_name}"
    return f"{reason} ({where})" if reason else f"Changed {where}"


def transition(item: WorkItem, actor: User, action: str, data: Mapping[str, object]) -> Problem:
    try:
        work_item_transition(actor=actor, item=item, action=action, data=data)
    except TransitionRefused as refused:
        label = action.replace("_", " ")
        return ConflictKind.REFUSED, f"Casebridge refused to {label}", refused.reasons
    except ValidationFailed as failed:
        reasons = [Reason("invalid", m, f) for f, m in failed.fields.items()]
        return ConflictKind.REFUSED, f"Casebridge refused: {failed}", reasons
    return None
