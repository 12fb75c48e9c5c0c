"""Forms of the incident pages. They only parse: people are passed on as usernames, numbers as
numbers, and the services (the incident workflow, ``incident_declare``, ``review_update``,
``action_item_add``) decide what is valid, so a refusal names every problem at once and each
message lands beside its field."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property

from django import forms

from casebridge.accounts.models import Role, User
from casebridge.accounts.selectors import user_list_for_internal
from casebridge.incidents.models import ActionKind, Incident, IncidentState, Severity
from casebridge.workflows.engine import Transition

Choice = tuple[str, str]
SUPPORT = (Role.L1_AGENT, Role.L2_ENGINEER)
ON_STAFF = (Role.DEVELOPER, Role.L2_ENGINEER, Role.DEVOPS, Role.ADMIN, Role.QA)


def _label(user: User) -> str:
    what = f"L{user.level_rank} developer" if user.level else ""
    if not what:
        what = ", ".join(str(Role(r).label) for r in sorted(user.roles) if r in Role.values)
    name = user.display_name
    shown = f"{name} ({user.username})" if name != user.username else name
    return f"{shown} · {what}" if what else shown


class People:
    """The people an incident's forms offer, read once per request and only if needed."""

    def __init__(self, incident: Incident | None = None) -> None:
        self.incident = incident

    @cached_property
    def _internal(self) -> list[User]:
        people = [u for u in user_list_for_internal() if not u.is_external]
        people.sort(key=lambda u: (-u.level_rank, u.username))
        return people

    def _of(self, *roles: str, empty: str = "Choose…") -> list[Choice]:
        return [
            ("", empty),
            *((u.username, _label(u)) for u in self._internal if u.has_role(*roles)),
        ]

    @cached_property
    def developers(self) -> list[Choice]:
        """Every developer, the most senior first; the ladder policies are the services' to
        enforce, so choosing a junior is refused with its reason rather than hidden."""
        return self._of(Role.DEVELOPER)

    @cached_property
    def owners(self) -> list[Choice]:
        return self._of(Role.DEVELOPER, empty="No accountable owner")

    @cached_property
    def guides(self) -> list[Choice]:
        return self._of(Role.DEVELOPER, empty="No guide")

    @cached_property
    def staff(self) -> list[Choice]:
        return self._of(*ON_STAFF)

    @cached_property
    def support(self) -> list[Choice]:
        return self._of(*SUPPORT)

    @cached_property
    def action_owners(self) -> list[Choice]:
        return self._of(*ON_STAFF, Role.RTE, empty="No owner yet")

    @cached_property
    def participants(self) -> list[Choice]:
        if self.incident is None:
            return [("", "Choose…")]
        rows = self.incident.participants.select_related("user").order_by("joined_at", "id")
        return [("", "Choose…"), *((p.user.username, _label(p.user)) for p in rows)]


def _select(choices: list[Choice]) -> forms.Select:
    return forms.Select(choices=choices)


def _text(rows: int, placeholder: str = "") -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "placeholder": placeholder})


def _person(label: str, choices: Callable[[People], list[Choice]]) -> FieldMaker:
    def make(people: People, hint: str) -> forms.Field:
        return forms.CharField(required=False, label=label, widget=_select(choices(people)))

    return make


FieldMaker = Callable[[People, str], forms.Field]

#: How each input of the incident workflow is asked for; ``hint`` is the requirement's message.
FIELDS: dict[str, FieldMaker] = {
    "note": lambda p, hint: forms.CharField(
        required=False, label="Note", widget=_text(3, hint or "What happened")
    ),
    "reason": lambda p, hint: forms.CharField(
        required=False, label="Reason", widget=_text(2, hint or "Why")
    ),
    "review_lead": _person("Review lead", lambda p: p.developers),
    "lead": _person("Lead", lambda p: p.developers),
    "owner": _person("Accountable owner", lambda p: p.owners),
    "scribe": _person("Scribe", lambda p: p.staff),
    "comms": _person("Communications contact", lambda p: p.support),
    "guide": _person("Guide", lambda p: p.guides),
    "severity": lambda p, hint: forms.CharField(
        required=False, label="Severity", widget=_select([("", "Choose…"), *Severity.choices])
    ),
}


class ActionForm(forms.Form):
    """The input of one incident action: the fields it requires, then those it accepts."""

    def __init__(
        self,
        data: Mapping[str, object] | None = None,
        *,
        transition: Transition[Incident],
        people: People,
    ) -> None:
        super().__init__(data, prefix=transition.action)
        self.transition = transition
        self.needed = frozenset(r.field for r in transition.requires)
        hints = {r.field: r.message for r in transition.requires}
        names = [r.field for r in transition.requires] + list(transition.accepts)
        for name in names:
            if name == "participant":
                source = (
                    (lambda p: p.participants)
                    if transition.action == "remove_participant"
                    else (lambda p: p.staff)
                )
                self.fields[name] = _person("Participant", source)(people, "")
            else:
                self.fields[name] = FIELDS[name](people, hints.get(name, ""))

    def transition_data(self) -> dict[str, object]:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return {k: v.strip() if isinstance(v, str) else v for k, v in data.items() if v}


def action_form(
    transition: Transition[Incident], people: People, data: Mapping[str, object] | None = None
) -> ActionForm:
    return ActionForm(data, transition=transition, people=people)


class DeclareForm(forms.Form):
    """Declare an incident from a case or an alert group (one of them given)."""

    title = forms.CharField(required=False, label="Title", max_length=400)
    severity = forms.CharField(
        required=False,
        label="Severity",
        widget=_select([("", "Choose…"), *Severity.choices]),
        help_text="SEV-1 is critical: it also needs an L4 accountable owner.",
    )
    lead = forms.CharField(required=False, label="Lead", help_text="An L3 or L4 developer.")
    owner = forms.CharField(required=False, label="Accountable owner")
    summary = forms.CharField(required=False, label="What is happening", widget=_text(3))
    case = forms.CharField(required=False, label="Case", widget=forms.TextInput())
    alert_group = forms.CharField(required=False, label="Alert group", widget=forms.TextInput())

    def __init__(
        self,
        data: Mapping[str, object] | None = None,
        *,
        people: People,
        initial: Mapping[str, object] | None = None,
        prefix: str | None = None,
    ) -> None:
        super().__init__(data, initial=None if initial is None else dict(initial), prefix=prefix)
        self.fields["lead"].widget = _select(people.developers)
        self.fields["owner"].widget = _select(people.owners)
        self.needed = frozenset({"title", "severity", "lead"})

    def text(self, name: str) -> str:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return str(data.get(name) or "").strip()


class NoteForm(forms.Form):
    body = forms.CharField(
        required=False,
        label="Add a note to the timeline",
        widget=_text(2, "What you see, what you try, what changed"),
    )


class FilterForm(forms.Form):
    """The incident list's filters; an unknown value is named beside its field."""

    state = forms.ChoiceField(
        required=False,
        label="State",
        choices=[("open", "Open"), ("", "Any state"), *IncidentState.choices],
    )
    severity = forms.ChoiceField(
        required=False, label="Severity", choices=[("", "Any severity"), *Severity.choices]
    )

    def filters(self) -> dict[str, str]:
        """The valid filters; an invalid one is left out (and its message shown)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        state = "open" if "state" not in self.data else str(data.get("state", ""))
        return {"state": state, "severity": str(data.get("severity") or "")}


class ReviewForm(forms.Form):
    summary = forms.CharField(required=False, label="Summary", widget=_text(3))
    root_cause = forms.CharField(required=False, label="Root cause", widget=_text(3))
    impact = forms.CharField(
        required=False, label="Impact", widget=_text(2, "Who and what was hurt, and how")
    )
    duration_minutes = forms.IntegerField(
        required=False, label="Duration (minutes)", widget=forms.NumberInput(attrs={"min": 0})
    )
    customers_affected = forms.IntegerField(
        required=False, label="Customers affected", widget=forms.NumberInput(attrs={"min": 0})
    )
    went_well = forms.CharField(required=False, label="What went well", widget=_text(3))
    went_badly = forms.CharField(required=False, label="What went badly", widget=_text(3))

    def changes(self) -> dict[str, object]:
        return dict(self.cleaned_data)


class ActionItemForm(forms.Form):
    title = forms.CharField(required=False, label="Action item", max_length=400)
    kind = forms.CharField(
        required=False, label="Becomes", widget=_select(list(ActionKind.choices))
    )
    description = forms.CharField(required=False, label="Details", widget=_text(2))
    owner = forms.CharField(
        required=False,
        label="Owner",
        help_text="With an owner it becomes a work item at once.",
    )

    def __init__(
        self,
        data: Mapping[str, object] | None = None,
        *,
        people: People,
        initial: Mapping[str, object] | None = None,
        prefix: str | None = None,
    ) -> None:
        super().__init__(data, initial=None if initial is None else dict(initial), prefix=prefix)
        self.fields["owner"].widget = _select(people.action_owners)


class OwnerForm(forms.Form):
    owner = forms.CharField(required=False, label="Owner")

    def __init__(
        self,
        data: Mapping[str, object] | None = None,
        *,
        people: People,
        initial: Mapping[str, object] | None = None,
        prefix: str | None = None,
    ) -> None:
        super().__init__(data, initial=None if initial is None else dict(initial), prefix=prefix)
        self.fields["owner"].widget = _select(people.action_owners)
