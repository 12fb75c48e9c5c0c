"""The forms of the Azure DevOps settings pages; the services validate what they carry."""

from __future__ import annotations

from typing import TypedDict

from django import forms
from django.forms import BoundField
from django.http import QueryDict

from casebridge.accounts.models import Team
from casebridge.integrations.azure_devops.models import Connection
from casebridge.integrations.azure_devops.processes import (
    CATEGORIES,
    FIELDS,
    PROCESS_LABELS,
    PROCESSES,
    TYPES,
    ado_states,
    casebridge_states,
)


class ConnectForm(forms.Form):
    name = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"placeholder": "e.g. Shop development"})
    )
    organization_url = forms.CharField(
        required=False,
        label="Organisation or collection URL",
        help_text="https://dev.azure.com/{organization} (Services) or "
        "https://{server}/tfs/{collection} (Server).",
        widget=forms.URLInput(attrs={"placeholder": "https://dev.azure.com/fabrikam"}),
    )
    project = forms.CharField(required=False)
    pat = forms.CharField(
        required=False,
        label="Personal access token",
        help_text="Scope: Work Items (Read & write). Sealed at rest and never shown again.",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    pat_env = forms.CharField(
        required=False,
        label="…or the environment variable holding it",
        widget=forms.TextInput(attrs={"placeholder": "AZURE_DEVOPS_PAT", "class": "mono"}),
    )
    slug = forms.SlugField(required=False, help_text="Default: from the name.")
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        required=False,
        to_field_name="slug",
        empty_label="Every team",
    )
    category = forms.ChoiceField(
        choices=(("", "Every category"), *((c, c.capitalize()) for c in CATEGORIES)),
        required=False,
    )
    process = forms.ChoiceField(
        choices=(("", "Read it from the project"), *((p, PROCESS_LABELS[p]) for p in PROCESSES)),
        required=False,
    )
    area_path = forms.CharField(required=False, help_text="Default: the project's root.")
    iteration_path = forms.CharField(required=False, help_text="Default: the project's root.")

    def __init__(self, data: QueryDict | None = None) -> None:
        super().__init__(data)
        team = self.fields["team"]
        assert isinstance(team, forms.ModelChoiceField)
        team.queryset = Team.objects.order_by("name")

    def to_input(self) -> ConnectInput:
        data = self.cleaned_data

        def text(name: str) -> str:
            return str(data.get(name) or "")

        team = data.get("team")
        return ConnectInput(
            name=text("name"),
            organization_url=text("organization_url"),
            project=text("project"),
            pat=text("pat"),
            pat_env=text("pat_env"),
            slug=text("slug"),
            team=team if isinstance(team, Team) else None,
            category=text("category"),
            process=text("process"),
            area_path=text("area_path"),
            iteration_path=text("iteration_path"),
        )


def _slot(prefix: str, index: int) -> str:
    return f"{prefix}_{index}"


class ConnectInput(TypedDict):
    """``connection_connect``'s keywords, from the connect page."""

    name: str
    organization_url: str
    project: str
    pat: str
    pat_env: str
    slug: str
    team: Team | None
    category: str
    process: str
    area_path: str
    iteration_path: str


class MappingInput(TypedDict, total=False):
    """``connection_map``'s keywords, from the mapping page."""

    type_name: str
    to_ado: dict[str, str]
    from_ado: dict[str, str]
    fields: dict[str, str]
    iterations: dict[str, str | None]


class MappingForm(forms.Form):
    """One category's mapping: a select per Casebridge state, per Azure DevOps state, and a text
    field per Casebridge field. ``aliases`` turns the service's field names into this form's."""

    def __init__(
        self, data: QueryDict | None = None, *, connection: Connection, category: str
    ) -> None:
        super().__init__(data)
        self.category = category
        current = connection.mapping[category]
        self.current_type = str(current["type"])
        theirs = ado_states(connection.process, self.current_type)
        ours = casebridge_states(category)
        self.fields["type"] = forms.ChoiceField(
            choices=[(t, t) for t in TYPES[connection.process][category]],
            initial=self.current_type,
            label="Work item type",
            help_text="Changing the type starts its states from the defaults.",
        )
        self.aliases = {f"mapping.{category}.type": "type"}
        self.to_ado: list[tuple[str, str]] = []
        for index, state in enumerate(ours):
            name = _slot("to_ado", index)
            self.fields[name] = forms.ChoiceField(
                choices=[(s, s) for s in theirs],
                initial=current["to_ado"].get(state),
                label=state,
                required=False,
            )
            self.aliases[f"mapping.{category}.to_ado.{state}"] = name
            self.to_ado.append((state, name))
        self.from_ado: list[tuple[str, str]] = []
        for index, state in enumerate(theirs):
            name = _slot("from_ado", index)
            self.fields[name] = forms.ChoiceField(
                choices=[(s, s) for s in ours],
                initial=current["from_ado"].get(state),
                label=state,
                required=False,
            )
            self.aliases[f"mapping.{category}.from_ado.{state}"] = name
            self.from_ado.append((state, name))
        self.field_names: list[tuple[str, str]] = []
        for index, field in enumerate(FIELDS):
            name = _slot("field", index)
            self.fields[name] = forms.CharField(
                initial=current["fields"].get(field, ""),
                label=field,
                required=False,
                widget=forms.TextInput(attrs={"class": "mono", "placeholder": "(in the text)"}),
            )
            self.aliases[f"mapping.{category}.fields.{field}"] = name
            self.field_names.append((field, name))
        self.known_paths = dict(connection.iterations or {})
        self.fields["iterations"] = forms.CharField(
            initial="\n".join(f"{path} = {key}" for path, key in self.known_paths.items()),
            label="Iterations (every category)",
            required=False,
            widget=forms.Textarea(attrs={"class": "mono", "rows": 4}),
            help_text="One per line: Shop\\Iteration 7 = core-team/Sprint 12 (nothing after = "
            "means no sprint). Other paths: the sprint named like their last part.",
        )
        for path in self.known_paths:
            self.aliases[f"iterations.{path}"] = "iterations"

    def clean_iterations(self) -> dict[str, str]:
        given: dict[str, str] = {}
        for line in str(self.cleaned_data.get("iterations") or "").splitlines():
            if not line.strip():
                continue
            path, sep, key = line.partition("=")
            if not sep or not path.strip():
                raise forms.ValidationError(f"Write 'PATH = team/Sprint', not '{line.strip()}'.")
            given[path.strip()] = key.strip()
            self.aliases[f"iterations.{path.strip()}"] = "iterations"
        return given

    @property
    def to_ado_rows(self) -> list[BoundField]:
        return [self[name] for _, name in self.to_ado]

    @property
    def from_ado_rows(self) -> list[BoundField]:
        return [self[name] for _, name in self.from_ado]

    @property
    def field_rows(self) -> list[BoundField]:
        return [self[name] for _, name in self.field_names]

    def to_input(self) -> MappingInput:
        data = self.cleaned_data
        if data["type"] != self.current_type:
            return {"type_name": data["type"]}
        return {
            "type_name": data["type"],
            "to_ado": {state: data[name] for state, name in self.to_ado if data[name]},
            "from_ado": {state: data[name] for state, name in self.from_ado if data[name]},
            "fields": {field: data[name].strip() for field, name in self.field_names},
            "iterations": {
                **{path: None for path in self.known_paths if path not in data["iterations"]},
                **data["iterations"],
            },
        }
