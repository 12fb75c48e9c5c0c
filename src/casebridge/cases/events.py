"""What happens to cases, for the apps that react (``core.events``).

Every event names the case (``key``, ``case_id``) and its ``organisation_id`` (None for an
internal case), so that a subscriber can decide whom to tell without reading the case first.
"""

from __future__ import annotations

from dataclasses import dataclass

from casebridge.core.events import Event


@dataclass(frozen=True, kw_only=True)
class CaseCreated(Event):
    key: str
    case_id: int
    organisation_id: int | None
    #: The channel or role it came from (``cases.models.Source``).
    source: str
    service_id: int
    reporter_id: int | None
    actor_id: int | None


@dataclass(frozen=True, kw_only=True)
class CaseTransitioned(Event):
    """One L2 workflow action (take, ask, answer, resolve, escalate, fix, reopen, close, ...).
    ``from_state`` equals ``to_state`` for an action that keeps the state. Published by the
    engine; an owner change (take) names the new ``owner_id``."""

    key: str
    case_id: int
    organisation_id: int | None
    action: str
    from_state: str
    to_state: str
    actor_id: int | None
    owner_id: int | None
    work_item_id: int | None
    #: The reason or note typed with the action ("" when none).
    reason: str
    #: Whether the customer sees the action on their timeline.
    public: bool


@dataclass(frozen=True, kw_only=True)
class CaseUpdated(Event):
    """Staff corrected a case's details: the names of the changed fields."""

    key: str
    case_id: int
    organisation_id: int | None
    fields: list[str]
    actor_id: int | None


@dataclass(frozen=True, kw_only=True)
class CaseEscalated(Event):
    """A case was linked to a work item by its escalation (published with its
    ``CaseTransitioned``): the item is new (``new_work_item``) or an existing one."""

    key: str
    case_id: int
    organisation_id: int | None
    work_item_key: str
    work_item_id: int
    new_work_item: bool
    #: The log excerpt typed with the escalation of a new item ("" otherwise).
    log_excerpt: str
    actor_id: int | None


@dataclass(frozen=True, kw_only=True)
class CaseRelinked(Event):
    """A case moved from one work item to another (its item was a duplicate or re-categorised)."""

    key: str
    case_id: int
    organisation_id: int | None
    from_work_item_key: str
    to_work_item_key: str
    actor_id: int | None


@dataclass(frozen=True, kw_only=True)
class CommentAdded(Event):
    """A comment on a case: public (the reporter reads it) or an internal note. The text is
    ``Comment(comment_id).body`` (for mentions)."""

    key: str
    case_id: int
    organisation_id: int | None
    comment_id: int
    author_id: int | None
    internal: bool


@dataclass(frozen=True, kw_only=True)
class AttachmentAdded(Event):
    key: str
    case_id: int
    organisation_id: int | None
    attachment_id: int
    filename: str
    is_log: bool
    internal: bool
    actor_id: int | None
