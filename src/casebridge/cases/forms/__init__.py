"""HTML forms of the case pages. They parse input into the shapes the services take; the services
(and the workflow) decide what is valid, so most fields are optional here and a refusal names
every missing item at once."""

from casebridge.cases.forms.actions import (
    ACTION_FORMS,
    ActionForm,
    AttachmentForm,
    CommentForm,
    EmptyForm,
    QuestionForm,
    ReasonForm,
    ResolveForm,
    TakeForm,
)
from casebridge.cases.forms.escalation import (
    CATEGORY_FIELDS,
    ESCALATION_CHOICES,
    LINK,
    EscalateForm,
)
from casebridge.cases.forms.intake import (
    STATE_TABS,
    CaseForm,
    ComponentField,
    QueueFilterForm,
    component_choices,
    reporter_choices,
)

__all__ = [
    "ACTION_FORMS",
    "CATEGORY_FIELDS",
    "ESCALATION_CHOICES",
    "LINK",
    "STATE_TABS",
    "ActionForm",
    "AttachmentForm",
    "CaseForm",
    "CommentForm",
    "ComponentField",
    "EmptyForm",
    "EscalateForm",
    "QuestionForm",
    "QueueFilterForm",
    "ReasonForm",
    "ResolveForm",
    "TakeForm",
    "component_choices",
    "reporter_choices",
]
