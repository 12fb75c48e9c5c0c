"""The queue's filters and the new-case form."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.db.models import QuerySet
from django.urls import reverse_lazy

from casebridge.accounts.models import Organisation, Role, User
from casebridge.accounts.selectors import organisation_list_for, user_list_for
from casebridge.cases.forms.actions import ViewerForm
from casebridge.cases.models import OPEN_STATES, Impact, Source
from casebridge.cases.selectors import CaseFilters
from casebridge.cases.services import CaseInput
from casebridge.catalog.models import Component, Environment, Service
from casebridge.catalog.selectors import component_list, service_list

STATE_TABS: tuple[tuple[str, str], ...] = (
    ("open", "Open"),
    ("new", "New"),
    ("investigating", "Investigating"),
    ("waiting_on_reporter", "Waiting"),
    ("escalated", "Escalated"),
    ("resolved", "Resolved"),
    ("closed", "Closed"),
    ("all", "All"),
)
OWNER_CHOICES = (("", "Anyone"), ("me", "Me"), ("none", "Unassigned"))
SORT_CHOICES = (
    ("oldest", "Oldest first"),
    ("newest", "Newest first"),
    ("breach", "Time to breach"),
    ("impact", "Highest impact first"),
)


class QueueFilterForm(forms.Form):
    """The L2 queue's filters, all from the query string; a bad value falls back to its default."""

    state = forms.ChoiceField(choices=STATE_TABS, required=False)
    service = forms.ChoiceField(required=False, label="Service")
    source = forms.ChoiceField(
        choices=(("", "Any source"), *Source.choices), required=False, label="Source"
    )
    owner = forms.ChoiceField(choices=OWNER_CHOICES, required=False, label="Owner")
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False, label="Sort")
    q = forms.CharField(required=False, max_length=200, label="Find")

    def __init__(self, data: Mapping[str, object], *, services: list[Service]) -> None:
        super().__init__(data)
        field = self.fields["service"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "All services"), *((s.slug, s.name) for s in services)]

    def value(self, name: str, default: str = "") -> str:
        if not self.is_valid() and name in self.errors:
            return default
        return str(self.cleaned_data.get(name) or default)

    def filters(self, viewer: User) -> CaseFilters:
        state = self.value("state", "open")
        states: tuple[str, ...] = {"open": tuple(OPEN_STATES), "all": ()}.get(state, (state,))
        owner = {"me": viewer.username, "none": "none"}.get(self.value("owner"), "")
        return CaseFilters(
            states=states,
            service=self.value("service"),
            source=self.value("source"),
            owner=owner,
            sort=self.value("sort", "oldest"),
            text=self.value("q"),
        )


# --- intake --------------------------------------------------------------------------------------


class ComponentField(forms.ChoiceField):
    """A select of components; whether it belongs to the service is the service's call, so that
    its error comes with all the others at once."""

    def validate(self, value: object) -> None:
        forms.Field.validate(self, value)


class CaseForm(ViewerForm):
    """A new case. Staff may name the organisation and reporter; customers report for their own
    organisation, partners for one they serve."""

    title = forms.CharField(
        widget=forms.TextInput(
            attrs={"placeholder": "What is wrong, in one line", "autocomplete": "off"}
        )
    )
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(
            attrs={
                "rows": 6,
                "placeholder": "What happened, since when, who is affected, error messages…",
            }
        ),
    )
    service = forms.ModelChoiceField(
        queryset=Service.objects.none(),
        to_field_name="slug",
        empty_label="Choose a service…",
        error_messages={"required": "Choose the affected service."},
    )
    component = ComponentField(required=False)
    environment = forms.ChoiceField(choices=Environment.choices, initial=Environment.PRODUCTION)
    impact = forms.ChoiceField(choices=Impact.choices, initial=Impact.MEDIUM)
    version = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"placeholder": "e.g. 4.2.1"})
    )
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), required=False, to_field_name="slug", empty_label="—"
    )
    reporter = ComponentField(
        required=False,
        label="Reporter",
        help_text="The customer who reported it (the caller), if not you.",
    )

    def for_viewer(self, viewer: User) -> None:
        service_field = self.fields["service"]
        assert isinstance(service_field, forms.ModelChoiceField)
        service_field.queryset = service_list()
        service_field.widget.attrs.update(
            {
                "hx-get": reverse_lazy("cases:components"),
                "hx-target": "#id_component",
                "hx-trigger": "change",
                "hx-swap": "innerHTML",
            }
        )
        self._components = {str(c.pk): c for c in component_list()}
        component = self.fields["component"]
        assert isinstance(component, forms.ChoiceField)
        component.choices = component_choices(list(self._components.values()), self._service_slug())
        organisation = self.fields["organisation"]
        reporter = self.fields["reporter"]
        assert isinstance(organisation, forms.ModelChoiceField)
        if viewer.is_external and not viewer.has_role(Role.PARTNER):
            del self.fields["organisation"], self.fields["reporter"]
            return
        organisation.queryset = organisation_list_for(viewer)
        if viewer.is_external:
            organisation.required = True
            organisation.empty_label = "Choose the customer…"
            del self.fields["reporter"]
            return
        self._people = user_list_for(viewer, role=Role.REPORTER)
        assert isinstance(reporter, forms.ChoiceField)
        reporter.choices = reporter_choices(self._people, self._value("organisation"))
        organisation.widget.attrs.update(
            {
                "hx-get": reverse_lazy("cases:reporters"),
                "hx-target": "#id_reporter",
                "hx-trigger": "change",
                "hx-swap": "innerHTML",
            }
        )

    def _service_slug(self) -> str:
        return self._value("service")

    def _value(self, name: str) -> str:
        if self.is_bound:
            return str(self.data.get(name) or "")
        return str(self.initial.get(name) or "")

    def clean_reporter(self) -> User | None:
        """A person of the list; whether they belong to the organisation is the service's call."""
        value = str(self.cleaned_data.get("reporter") or "")
        if not value:
            return None
        person = self._people.filter(username=value).first()
        if person is None:
            raise forms.ValidationError("Choose a person from the list.")
        return person

    def clean_component(self) -> Component | None:
        value = str(self.cleaned_data.get("component") or "")
        if value and value not in self._components:
            raise forms.ValidationError("Choose a component from the list.")
        return self._components.get(value)

    def to_input(self) -> CaseInput:
        data = self.cleaned_data
        return CaseInput(
            title=data["title"],
            description=data.get("description") or "",
            service=data["service"],
            component=data.get("component"),
            environment=data["environment"],
            impact=data["impact"],
            version=data.get("version") or "",
            organisation=data.get("organisation"),
            reporter=data.get("reporter"),
        )


def reporter_choices(
    people: QuerySet[User], organisation_slug: str = ""
) -> list[tuple[str, object]]:
    """The people of the chosen organisation; without one, all of them grouped by organisation."""
    blank: list[tuple[str, object]] = [("", "Me")]

    def label(user: User) -> str:
        name = user.display_name
        return f"{name} ({user.username})" if name != user.username else name

    if organisation_slug:
        chosen = people.filter(organisation__slug=organisation_slug)
        return blank + [(u.username, label(u)) for u in chosen]
    groups: dict[str, list[tuple[str, str]]] = {}
    for user in sorted(
        people, key=lambda u: (u.organisation.name if u.organisation else "~", u.username)
    ):
        group = user.organisation.name if user.organisation else "No organisation"
        groups.setdefault(group, []).append((user.username, label(user)))
    return blank + list(groups.items())


def component_choices(
    components: list[Component], service_slug: str = ""
) -> list[tuple[str, object]]:
    """The components of the chosen service; without one, all of them grouped by service."""
    blank: list[tuple[str, object]] = [("", "— not sure —")]
    if service_slug:
        return blank + [(str(c.pk), c.name) for c in components if c.service.slug == service_slug]
    groups: dict[str, list[tuple[str, str]]] = {}
    for component in components:
        groups.setdefault(component.service.name, []).append((str(component.pk), component.name))
    return blank + list(groups.items())
