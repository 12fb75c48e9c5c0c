"""The incident pages: the list, declaring, the incident room with its live timeline, and the
post-incident review editor. Internal: customers and partners get 404 under every address."""

from casebridge.incidents.views.lists import (
    incident_declare_page,
    incident_export,
    incident_list,
)
from casebridge.incidents.views.review import (
    action_item_create,
    action_item_owner,
    review_page,
    review_save,
)
from casebridge.incidents.views.room import (
    incident_act,
    incident_note,
    incident_room,
    incident_timeline,
)

__all__ = [
    "action_item_create",
    "action_item_owner",
    "incident_act",
    "incident_declare_page",
    "incident_export",
    "incident_list",
    "incident_note",
    "incident_room",
    "incident_timeline",
    "review_page",
    "review_save",
]
