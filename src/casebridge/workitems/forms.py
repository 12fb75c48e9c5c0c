"""Forms of the work-item pages, built from the workflow definitions.

An action's form has a field for each input its transition ``requires`` and each it ``accepts``;
nothing here lists actions. The fields only parse: they accept what is typed and hand the raw
values (usernames, keys, ids, ISO dates) to ``work_item_transition``, whose refusal names every
problem at once, so a refused form shows every reason beside its field.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

from django import forms

from casebridge.accounts.models import Role, User
from casebridge.accounts.selectors import team_list_for, user_list_for_internal
from casebridge.catalog.models import Environment
from casebridge.core.schemas import bounded_int
from casebridge.sprints.models import Sprint
from casebridge.sprints.selectors import is_current, sprint_list_for
from casebridge.workflows.engine import Transition
from casebridge.workitems.definitions.review import DECIDERS
from casebridge.workitems.documentation import CATEGORY_DOCS, DOC_LABELS, RECATEGORISE_DOCS
from casebridge.workitems.models import Category, ImprovementArea, Priority, WorkItem
from casebridge.workitems.selectors import BoardFilters

Choice = tuple[str, str]


class ListField(forms.Field):
    """Several values (a ``<select multiple>``) as a list of strings, unvalidated."""

    widget = forms.SelectMultiple

    def to_python(self, value: Any) -> list[str]:
        if not value:
            return []
        values = [value] if isinstance(value, str) else list(value)
        return [str(v).strip() for v in values if str(v).strip()]


def _person(user: User) -> str:
    level = f" · {user.level}" if user.level else ""
    name = user.display_name
    return f"{name} ({user.username}){level}" if name != user.username else f"{name}{level}"


class Choices:
    """The options of an item's action forms, each read once per request and only if needed."""

    def __init__(self, viewer: User, item: WorkItem) -> None:
        self.viewer = viewer
        self.item = item

    @cached_property
    def _engineers(self) -> list[User]:
        roles = (Role.DEVELOPER, Role.DEVOPS)
        return list(user_list_for_internal().filter(role_grants__role__in=roles).distinct())

    @cached_property
    def assignable(self) -> list[Choice]:
        """Developers (and, for improvements, DevOps engineers), most senior first."""
        allowed = (Role.DEVELOPER, Role.DEVOPS) if self.item.category == "improvement" else None
        people = [u for u in self._engineers if u.has_role(*(allowed or (Role.DEVELOPER,)))]
        people.sort(key=lambda u: (-u.level_rank, u.username))
        return [(u.username, _person(u)) for u in people]

    @cached_property
    def mentors(self) -> list[Choice]:
        seniors = [u for u in self._engineers if u.has_role(Role.DEVELOPER) and u.level_rank >= 3]
        return [("", "No mentor"), *((u.username, _person(u)) for u in seniors)]

    @cached_property
    def reviewers(self) -> list[Choice]:
        assignees = {u.pk for u in self.item.assignees.all()}
        people = [u for u in self._engineers if u.pk not in assignees and u.pk != self.viewer.pk]
        people.sort(key=lambda u: (-u.level_rank, u.username))
        return [("", "Anyone (not an assignee)"), *((u.username, _person(u)) for u in people)]

    @cached_property
    def sprints(self) -> list[Choice]:
        """Open sprints (of the implementing team, for an improvement), the current ones marked."""
        sprints = sprint_list_for(self.viewer, state="open").order_by("start", "team__name")
        if self.item.category == "improvement" and self.item.team_id is not None:
            sprints = sprints.filter(team_id=self.item.team_id)
        return [("", "Choose…"), *((str(s.pk), sprint_label(s)) for s in sprints)]

    @cached_property
    def teams(self) -> list[Choice]:
        teams = team_list_for(self.viewer).prefetch_related(None)
        return [("", "Choose…"), *((t.slug, f"{t.name} ({t.get_kind_display()})") for t in teams)]


def _select(choices: list[Choice]) -> forms.Select:
    return forms.Select(choices=choices)


def _text(rows: int, placeholder: str) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "placeholder": placeholder})


def _score(label: str) -> forms.CharField:
    attrs = {"type": "number", "min": "1", "max": "100", "inputmode": "numeric"}
    return forms.CharField(required=False, label=label, widget=forms.TextInput(attrs=attrs))


FieldMaker = Callable[[Choices, str], forms.Field]

#: How each input of the development workflows is asked for; ``hint`` is the requirement's
#: message (what to give), used as the placeholder.
FIELDS: dict[str, FieldMaker] = {
    "assignees": lambda c, hint: ListField(
        required=False,
        label="Assignees",
        widget=forms.SelectMultiple(choices=c.assignable, attrs={"size": 6}),
        help_text="Ctrl/⌘-click to choose several. Policies: a critical bug needs an L3+; "
        "an L1 works with an L3+ mentor.",
    ),
    "mentor": lambda c, hint: forms.CharField(
        required=False, label="Mentor", widget=_select(c.mentors)
    ),
    "reviewer": lambda c, hint: forms.CharField(
        required=False, label="Reviewer to ask", widget=_select(c.reviewers)
    ),
    "sprint": lambda c, hint: forms.CharField(
        required=False, label="Sprint", widget=_select(c.sprints)
    ),
    "priority": lambda c, hint: forms.CharField(
        required=False,
        label="Priority",
        widget=forms.RadioSelect(choices=Priority.choices),
    ),
    "impact": lambda c, hint: forms.CharField(
        required=False, label="Impact", widget=_text(2, hint or "Who is affected, how badly")
    ),
    "reason": lambda c, hint: forms.CharField(
        required=False, label="Reason", widget=_text(2, hint or "Why")
    ),
    "evidence": lambda c, hint: forms.CharField(
        required=False,
        label="Test evidence",
        widget=_text(3, hint or "What was tested, how, and the outcome"),
    ),
    "version": lambda c, hint: forms.CharField(
        required=False,
        label="Release version",
        widget=forms.TextInput(attrs={"placeholder": "e.g. 4.3.1", "autocomplete": "off"}),
    ),
    "environment": lambda c, hint: forms.CharField(
        required=False,
        label="Environment",
        widget=_select([("", "Choose…"), *Environment.choices]),
    ),
    "duplicate_of": lambda c, hint: forms.CharField(
        required=False,
        label="Duplicate of",
        widget=forms.TextInput(attrs={"placeholder": "e.g. BUG-12", "autocomplete": "off"}),
    ),
    "category": lambda c, hint: forms.CharField(
        required=False,
        label="New category",
        widget=_select(
            [("", "Choose…"), ("feature", "Feature request"), ("improvement", "Improvement")]
        ),
    ),
    "team": lambda c, hint: forms.CharField(
        required=False, label="Implementing team", widget=_select(c.teams)
    ),
    "revisit_on": lambda c, hint: forms.CharField(
        required=False, label="Revisit on", widget=forms.DateInput(attrs={"type": "date"})
    ),
    "business_value": lambda c, hint: _score("Business value"),
    "time_criticality": lambda c, hint: _score("Time criticality"),
    "risk_reduction": lambda c, hint: _score("Risk / opportunity"),
    "job_size": lambda c, hint: _score("Job size"),
    "as_role": lambda c, hint: forms.CharField(
        required=False,
        label="Decide as",
        widget=_select(
            [("", "Choose…"), (Role.PRODUCT_MANAGER, "Product manager"), (Role.RTE, "RTE")]
        ),
    ),
}


def _doc_field(name: str) -> FieldMaker:
    """A documentation field, labelled with the categories that ask for it."""
    wanted = [Category(c).label.lower() for c, names in CATEGORY_DOCS.items() if name in names]
    label = f"{DOC_LABELS[name]} ({' / '.join(wanted)})"
    if name == "area":
        choices = [("", "Choose…"), *ImprovementArea.choices]
        return lambda c, hint: forms.CharField(required=False, label=label, widget=_select(choices))
    return lambda c, hint: forms.CharField(required=False, label=label, widget=_text(3, hint))


FIELDS.update({name: _doc_field(name) for name in RECATEGORISE_DOCS})

#: Inputs shown as one row of small fields.
SCORES = ("business_value", "time_criticality", "risk_reduction", "job_size")


class ActionForm(forms.Form):
    """The input of one workflow action: its required fields, then the optional ones."""

    def __init__(
        self,
        data: Any = None,
        *,
        transition: Transition[WorkItem],
        choices: Choices,
    ) -> None:
        super().__init__(data, prefix=transition.action)
        self.transition = transition
        self.needed: set[str] = set()
        for requirement in transition.requires:
            self._add(requirement.field, choices, requirement.message)
            self.needed.add(requirement.field)
        for name in transition.accepts:
            if name == "as_role" and not _decides_as_both(choices.viewer):
                continue  # only someone who is both PM and RTE says which role decides
            self._add(name, choices, "")
        if transition.action == "approve_review" and "reason" in self.fields:
            self.fields["reason"].label = "Review note (optional)"
            self.fields["reason"].widget.attrs["placeholder"] = "What you checked, what is good"

    def _add(self, name: str, choices: Choices, hint: str) -> None:
        make = FIELDS.get(name)
        field = make(choices, hint) if make else forms.CharField(required=False, label=name)
        self.fields[name] = field

    def transition_data(self) -> dict[str, object]:
        """The raw input for ``work_item_transition``: what was given, blanks left out."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return {name: value for name, value in data.items() if value not in ("", None, [])}

    @property
    def scores(self) -> list[forms.BoundField]:
        return [self[name] for name in SCORES if name in self.fields]

    @property
    def plain(self) -> list[forms.BoundField]:
        """The fields outside the row of scores, in order."""
        return [self[name] for name in self.fields if name not in SCORES]


def _decides_as_both(viewer: User) -> bool:
    return all(viewer.has_role(role) for role in DECIDERS)


def action_form(transition: Transition[WorkItem], choices: Choices, data: Any = None) -> ActionForm:
    return ActionForm(data, transition=transition, choices=choices)


class BoardFilterForm(forms.Form):
    """The filters of a board and of the work-item list. Values are not checked against the
    choices: an unknown team or person simply matches nothing."""

    team = forms.CharField(required=False, label="Team")
    sprint = forms.CharField(required=False, label="Sprint")
    assignee = forms.CharField(required=False, label="Assignee")

    def __init__(self, data: Any, *, viewer: User) -> None:
        super().__init__(data)
        self.viewer = viewer

    def set_choices(self, teams: list[Choice], sprints: list[Choice], people: list[Choice]) -> None:
        for name, options, empty in (
            ("team", teams, "Every team"),
            ("sprint", sprints, "Any sprint"),
            ("assignee", people, "Anyone"),
        ):
            self.fields[name].widget = forms.Select(choices=[("", empty), *options])

    def filters(self) -> BoardFilters:
        data = self.cleaned_data if self.is_valid() else {}
        sprint = str(data.get("sprint") or "")
        assignee = str(data.get("assignee") or "")
        return BoardFilters(
            team=str(data.get("team") or ""),
            # A sprint that cannot exist (not a number, out of range) matches nothing: id 0.
            sprint=(bounded_int(sprint) or 0) if sprint else None,
            assignee=self.viewer.username if assignee == "me" else assignee,
        )

    @property
    def active(self) -> bool:
        return any(self.data.get(name) for name in self.fields)


def sprint_label(sprint: Sprint) -> str:
    when = "current" if is_current(sprint) else f"from {sprint.start:%d %b}"
    return f"{sprint.team.name} · {sprint.name} ({when})"
