"""The names of audit events that are not a workflow transition (a transition's event is named
by its action: ``take``, ``validate``, ...). Writers and readers (``web.timeline``,
``cases.milestones``, histories) use these, never a string of their own (as Zulip's
``AuditLogEventType``). A ``StrEnum``: the stored value is the plain name."""

from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    # any subject
    CREATED = "created"
    UPDATED = "updated"
    # cases
    COMMENTED = "commented"
    ATTACHED = "attached"
    RELATED = "related"
    UNRELATED = "unrelated"
    WORK_ITEM_PROGRESS = "work_item_progress"
    RELINKED = "relinked"
    INCIDENT_DECLARED = "incident_declared"
    INCIDENT_RESOLVED = "incident_resolved"
    ALERT_FIRED_AGAIN = "alert_fired_again"
    ALERT_FLAPPING = "alert_flapping"
    ALERT_STORM_JOINED = "alert_storm_joined"
    ALERT_STORM_ENDED = "alert_storm_ended"
    # incidents
    DECLARED = "declared"
    NOTED = "noted"
    REVIEW_UPDATED = "review_updated"
    ACTION_ITEM_ADDED = "action_item_added"
    ACTION_ITEM_ASSIGNED = "action_item_assigned"
    # work items and planning
    POLICY_CHANGED = "policy_changed"
    ESTIMATED = "estimated"
    BACKLOG_PINNED = "backlog_pinned"
    BACKLOG_UNPINNED = "backlog_unpinned"
    PLAN_ACCEPTED = "plan_accepted"
    STARTED = "started"
    CLOSED = "closed"
    # monitoring
    ROUTED = "routed"
    REPORTED = "reported"
    PAYLOAD_RETRIED = "payload_retried"
    # recurring clusters
    DETECTED = "detected"
    GROWN = "grown"
    # integrations and accounts
    CONNECTED = "connected"
    MAPPING_CHANGED = "mapping_changed"
    SECRET_ROTATED = "secret_rotated"  # noqa: S105 - an event name, not a secret
    ROUTE_ADDED = "route_added"
    ROUTE_REMOVED = "route_removed"
    RETRIED = "retried"
    RETRIED_DEAD = "retried_dead"
    DISCARDED = "discarded"
    REVOKED = "revoked"
    REMOVED = "removed"
    # Azure DevOps sync and the delivery pipeline (work items)
    SYNC_CONFLICT = "sync_conflict"
    SYNC_CONFLICT_RESOLVED = "sync_conflict_resolved"
    RENAMED = "renamed"
    IMPORTED = "imported"
    IMPORTED_STATE = "imported_state"
    AZURE_DEVOPS_HISTORY = "azure_devops_history"
    LINKED = "linked"
    PULL_REQUEST_LINKED = "pull_request_linked"
    PULL_REQUEST_UPDATED = "pull_request_updated"
