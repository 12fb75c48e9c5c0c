"""Recurring issues: cases that share a log signature, or are near-duplicates, within a window.

Detection (``recurring_detect``, a periodic job of the worker, and ``recurring_detect_for_case``
after a case's logs were parsed) keeps one *open* cluster per signature and one per group of
near-duplicate cases. Near-duplicates are pairs whose *likeness* (the similarity score of the
selector behind the case page, without its query-relative parts, see ``Occurrence.likeness``)
reaches the policy's threshold; ``near_duplicates_refresh`` computes each case's pairs
once, when its terms have been counted. A case that belongs to a linked or dismissed cluster
never joins a new one of the same signature, and only cases reported after the decision count,
so a dismissed cluster stays dismissed.

The actions on a cluster are services that write their audit events in one transaction: link
every case to one work item (each case escalated through the case workflow), create a bug from
the cluster and link the rest, propose an improvement, or dismiss it.
"""

from casebridge.occurrences.recurring.actions import (
    LinkOutcome,
    recurring_create_bug,
    recurring_dismiss,
    recurring_link_all,
    recurring_propose_improvement,
)
from casebridge.occurrences.recurring.detection import (
    ACTORS,
    NEAR_PAIRS_PER_CASE,
    Policy,
    near_duplicates_refresh,
    recurring_detect,
    recurring_detect_for_case,
    recurring_policy,
)
from casebridge.occurrences.recurring.reads import (
    cluster_cases_for,
    cluster_get_for,
    cluster_list_for,
)

__all__ = [
    "ACTORS",
    "NEAR_PAIRS_PER_CASE",
    "LinkOutcome",
    "Policy",
    "cluster_cases_for",
    "cluster_get_for",
    "cluster_list_for",
    "near_duplicates_refresh",
    "recurring_create_bug",
    "recurring_detect",
    "recurring_detect_for_case",
    "recurring_dismiss",
    "recurring_link_all",
    "recurring_policy",
    "recurring_propose_improvement",
]
