"""The HTML pages of cases: the L2 queue, intake, the case page, escalation and the portal."""

from casebridge.cases.views.case import (
    attachment_download,
    attachment_upload,
    case_act,
    case_page,
    comment_create,
)
from casebridge.cases.views.escalate import escalate, escalate_checklist
from casebridge.cases.views.portal import portal_case, portal_home, portal_new
from casebridge.cases.views.queue import (
    component_options,
    new_case,
    queue,
    queue_export,
    reporter_options,
)

__all__ = [
    "attachment_download",
    "attachment_upload",
    "case_act",
    "case_page",
    "comment_create",
    "component_options",
    "escalate",
    "escalate_checklist",
    "new_case",
    "portal_case",
    "portal_home",
    "portal_new",
    "queue",
    "queue_export",
    "reporter_options",
]
