"""What happens to work items, for the apps that react (``core.events``)."""

from __future__ import annotations

from dataclasses import dataclass

from casebridge.core.events import Event


@dataclass(frozen=True, kw_only=True)
class WorkItemCreated(Event):
    """A work item was filed (by hand, by an escalation, a re-categorisation or a cluster)."""

    key: str
    work_item_id: int
    category: str
    actor_id: int | None


@dataclass(frozen=True, kw_only=True)
class WorkItemTransitioned(Event):
    """One workflow action was applied to a work item (``from_state`` equals ``to_state`` for
    an action that records data only: an assignment, a release). Published by the engine."""

    key: str
    work_item_id: int
    category: str
    action: str
    from_state: str
    to_state: str
    actor_id: int | None
    #: The reason typed with the action ("" when none).
    reason: str
    #: The item's sprint after the action, and whether the action carried one (schedule and
    #: reschedule do).
    sprint_id: int | None
    sprint_given: bool


@dataclass(frozen=True, kw_only=True)
class WorkItemSuperseded(Event):
    """A work item hands over to another: it duplicates ``by_key`` or was re-categorised as
    ``by_key``. Published by the duplicate / re-categorise effect, before the item closes."""

    key: str
    work_item_id: int
    by_key: str
    by_id: int
    #: "duplicate" or "recategorised".
    how: str
    actor_id: int | None


@dataclass(frozen=True, kw_only=True)
class WorkItemCommented(Event):
    """A member of staff commented on a work item; the text is ``WorkItemComment(comment_id)
    .body`` (for its @mentions)."""

    key: str
    work_item_id: int
    comment_id: int
    author_id: int | None
