"""Every write to incidents (one door per change):

* ``incidents``: declaring one, its workflow (states and roles), notes, the alerts of its group
  on the timeline;
* ``reviews``: the post-incident review;
* ``action_items``: its action items, filed as work items.
"""

from casebridge.incidents.services.action_items import action_item_add, action_item_assign
from casebridge.incidents.services.incidents import (
    KEY_PREFIX,
    NOTE_MAX,
    PERSON_FIELDS,
    Declaration,
    incident_alert_recorded,
    incident_declare,
    incident_note_add,
    incident_transition,
)
from casebridge.incidents.services.reviews import review_update

__all__ = [
    "KEY_PREFIX",
    "NOTE_MAX",
    "PERSON_FIELDS",
    "Declaration",
    "action_item_add",
    "action_item_assign",
    "incident_alert_recorded",
    "incident_declare",
    "incident_note_add",
    "incident_transition",
    "review_update",
]
