"""The work-item pages: the item page with its actions, boards, the list, queues per role."""

from casebridge.workitems.views.conversation import comment_create, link_set
from casebridge.workitems.views.detail import work_item_act, work_item_detail
from casebridge.workitems.views.lists import (
    QUEUES,
    board,
    board_home,
    queue,
    queue_export,
    queues_for,
    work_item_export,
    work_item_list,
)
from casebridge.workitems.views.lookup import lookup

__all__ = [
    "QUEUES",
    "board",
    "board_home",
    "comment_create",
    "link_set",
    "lookup",
    "queue",
    "queue_export",
    "queues_for",
    "work_item_act",
    "work_item_detail",
    "work_item_export",
    "work_item_list",
]
