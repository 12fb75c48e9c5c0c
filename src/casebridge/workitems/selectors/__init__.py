"""Reads of work items. Work items are internal: customers and partners see none.

:mod:`.items` single items and lists, :mod:`.boards` the boards' lean rows, :mod:`.queues` the
queues per role.
"""

from casebridge.workitems.selectors.boards import (
    PRIORITY_ORDER,
    ROW_FIELDS,
    Board,
    BoardColumn,
    BoardFilters,
    Card,
    Person,
    cards_of,
    entered_status_at,
    people_of,
    work_item_board_for,
)
from casebridge.workitems.selectors.items import (
    CSV_HEADER,
    FilterChoices,
    WorkItemFilters,
    filter_choices_for,
    is_staff,
    items_visible_to,
    open_work_items_matching,
    related_keys_for,
    statuses_in_group,
    work_item_csv_rows_for,
    work_item_get_for,
    work_item_list_for,
    work_item_rows_for,
)
from casebridge.workitems.selectors.queues import (
    CONFIRMING_ACTIONS,
    decision_queue_for,
    devops_queue_for,
    my_work_for,
    review_requests_for,
    testing_queue_for,
    triage_queue_for,
    validation_queue_for,
)

__all__ = [
    "CONFIRMING_ACTIONS",
    "CSV_HEADER",
    "PRIORITY_ORDER",
    "ROW_FIELDS",
    "Board",
    "BoardColumn",
    "BoardFilters",
    "Card",
    "FilterChoices",
    "Person",
    "WorkItemFilters",
    "cards_of",
    "decision_queue_for",
    "devops_queue_for",
    "entered_status_at",
    "filter_choices_for",
    "is_staff",
    "items_visible_to",
    "my_work_for",
    "open_work_items_matching",
    "people_of",
    "related_keys_for",
    "review_requests_for",
    "statuses_in_group",
    "testing_queue_for",
    "triage_queue_for",
    "validation_queue_for",
    "work_item_board_for",
    "work_item_csv_rows_for",
    "work_item_get_for",
    "work_item_list_for",
    "work_item_rows_for",
]
