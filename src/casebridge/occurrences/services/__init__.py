"""Every write of the occurrences app (one door per change):

* ``index``: the occurrence index of cases, work items and known fixes, and its term counts;
* ``sources``: log signatures from attachments and pasted lines, and those of known fixes;
* ``links``: cases marked related.
"""

from casebridge.occurrences.services.index import (
    STATS,
    occurrence_index_case,
    occurrence_index_known_resolution,
    occurrence_index_work_item,
    occurrences_refresh_stats,
)
from casebridge.occurrences.services.links import case_link_add, case_link_remove
from casebridge.occurrences.services.sources import (
    known_fix_signatures_set,
    log_attachment_queue,
    log_source_parse,
    log_sources_requeue_stalled,
    signatures_from_lines,
    signatures_record_text,
)

__all__ = [
    "STATS",
    "case_link_add",
    "case_link_remove",
    "known_fix_signatures_set",
    "log_attachment_queue",
    "log_source_parse",
    "log_sources_requeue_stalled",
    "occurrence_index_case",
    "occurrence_index_known_resolution",
    "occurrence_index_work_item",
    "occurrences_refresh_stats",
    "signatures_from_lines",
    "signatures_record_text",
]
