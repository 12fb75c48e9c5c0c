"""Forms of the settings pages. They parse; the services validate and refuse."""

from __future__ import annotations

from collections.abc import MutableMapping

from django import forms
from django.http import QueryDict

from casebridge.accounts.models import Level, Organisation, Role, Team, TeamKind, User
from casebridge.catalog.models import Environment, Service
from casebridge.monitoring.models import AuthScheme, IntegrationKind
from casebridge.sprints.models import CapacityUnit
from casebridge.workitems.documentation import ITEMS

DOMAINS_HELP = "One per line or separated by commas, e.g. acme.example."


def split_list(text: str) -> list[str]:
    return [part.strip() for part in text.replace(",", "\n").splitlines() if part.strip()]


def _organisation_choices() -> list[tuple[str, str]]:
    return [("", "None"), *Organisation.objects.order_by("name").values_list("slug", "name")]


def _team_choices(empty: str = "None") -> list[tuple[str, str]]:
    return [("", empty), *Team.objects.order_by("name").values_list("slug", "name")]


class OrganisationForm(forms.Form):
    name = forms.CharField(max_length=200, label="Name")
    slug = forms.CharField(
        max_length=80, required=False, label="Slug", help_text="Its key; default: from the name."
    )
    email_domains = forms.CharField(
        required=False,
        max_length=5000,
        label="E-mail domains",
        help_text=DOMAINS_HELP,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class OrganisationEditForm(OrganisationForm):
    slug = None  # type: ignore[assignment]  # the key stays


class PartnersForm(forms.Form):
    partners = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Partners serving it"
    )

    def __init__(
        self, data: QueryDict | None = None, *, initial: MutableMapping[str, object] | None = None
    ) -> None:
        super().__init__(data, initial=initial)
        field = self.fields["partners"]
        assert isinstance(field, forms.MultipleChoiceField)
        partners = User.objects.filter(role_grants__role=Role.PARTNER, is_active=True)
        field.choices = [(u.username, u.display_name) for u in partners.order_by("username")]


class ServiceForm(forms.Form):
    name = forms.CharField(max_length=120, label="Name")
    slug = forms.CharField(
        max_length=80, required=False, label="Slug", help_text="Default: from the name."
    )
    description = forms.CharField(
        required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 2})
    )
    owner_team = forms.ChoiceField(required=False, label="Owner team")

    def __init__(
        self, data: QueryDict | None = None, *, initial: MutableMapping[str, object] | None = None
    ) -> None:
        super().__init__(data, initial=initial)
        field = self.fields["owner_team"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _team_choices()


class ServiceEditForm(ServiceForm):
    slug = None  # type: ignore[assignment]


class ComponentForm(forms.Form):
    name = forms.CharField(max_length=120, label="Component")
    critical = forms.BooleanField(
        required=False, label="Critical (work on it needs an L3+ assignee: policy 4)"
    )


class FirstComponentForm(ComponentForm):
    name = forms.CharField(
        max_length=120, required=False, label="First component", help_text="Optional."
    )


class TeamForm(forms.Form):
    name = forms.CharField(max_length=120, label="Name")
    kind = forms.ChoiceField(choices=TeamKind.choices, label="Kind")


class MemberForm(forms.Form):
    username = forms.ChoiceField(label="Add a member")

    def __init__(self, data: QueryDict | None = None, *, team: Team) -> None:
        super().__init__(data)
        field = self.fields["username"]
        assert isinstance(field, forms.ChoiceField)
        staff = (
            User.objects.filter(is_active=True)
            .exclude(pk__in=team.members.values("pk"))
            .exclude(role_grants__role__in=[Role.REPORTER, Role.PARTNER])
            .order_by("username")
        )
        field.choices = [(u.username, f"{u.display_name} ({u.username})") for u in staff]


class CapacityForm(forms.Form):
    unit = forms.ChoiceField(choices=CapacityUnit.choices, label="Plans in")
    default_capacity = forms.IntegerField(
        required=False, min_value=0, max_value=100_000, label="Default capacity of a sprint"
    )


class UserForm(forms.Form):
    username = forms.CharField(max_length=150, label="Username")
    email = forms.CharField(max_length=254, label="E-mail")
    first_name = forms.CharField(max_length=150, required=False, label="First name")
    last_name = forms.CharField(max_length=150, required=False, label="Last name")
    roles = forms.MultipleChoiceField(
        choices=Role.choices, widget=forms.CheckboxSelectMultiple, label="Roles"
    )
    level = forms.ChoiceField(
        choices=[("", "None"), *Level.choices], required=False, label="Developer level"
    )
    organisation = forms.ChoiceField(
        required=False, label="Organisation", help_text="For customers."
    )
    password = forms.CharField(
        required=False,
        max_length=200,
        label="Password",
        help_text="Leave empty for single sign-on or a password set later.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(
        self, data: QueryDict | None = None, *, initial: MutableMapping[str, object] | None = None
    ) -> None:
        super().__init__(data, initial=initial)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _organisation_choices()


class UserEditForm(UserForm):
    username = None  # type: ignore[assignment]
    password = None  # type: ignore[assignment]
    active = forms.BooleanField(required=False, label="Active (may sign in and use tokens)")


class TokenForm(forms.Form):
    name = forms.CharField(max_length=120, label="Token name", help_text="e.g. ci, laptop")
    scope = forms.ChoiceField(choices=[("read", "Read"), ("write", "Read and write")])
    expires_in_days = forms.IntegerField(
        min_value=1, max_value=366, initial=90, label="Expires in (days)"
    )


class GateForm(forms.Form):
    required = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(code, item.label) for code, item in ITEMS.items()],
        label="Required before escalation",
    )


class LadderForm(forms.Form):
    enabled = forms.BooleanField(required=False, label="On")
    min_level = forms.ChoiceField(
        choices=[(str(n), f"L{n}") for n in range(1, 5)], label="Senior level"
    )


class RecurringForm(forms.Form):
    min_cases = forms.IntegerField(min_value=2, max_value=1000, label="Cases")
    window_days = forms.IntegerField(min_value=1, max_value=365, label="Within days")
    near_duplicate_score = forms.FloatField(
        min_value=0.01, max_value=1.0, label="Near-duplicate likeness (0-1)"
    )


class AutoCloseForm(forms.Form):
    auto_close_days = forms.IntegerField(
        min_value=1,
        max_value=365,
        label="Close resolved cases after (days)",
        help_text="Unless the reporter confirms or reopens first.",
    )


class IntegrationForm(forms.Form):
    kind = forms.ChoiceField(choices=IntegrationKind.choices, label="Kind")
    name = forms.CharField(max_length=120, label="Name")
    slug = forms.CharField(
        max_length=64, required=False, label="Slug", help_text="Default: from the name."
    )
    service = forms.ChoiceField(label="Service", help_text="For alerts naming no known service.")
    environment = forms.ChoiceField(choices=Environment.choices, label="Environment")
    auth = forms.ChoiceField(choices=AuthScheme.choices, label="Authentication")

    def __init__(
        self, data: QueryDict | None = None, *, initial: MutableMapping[str, object] | None = None
    ) -> None:
        super().__init__(data, initial=initial)
        field = self.fields["service"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = list(Service.objects.order_by("name").values_list("slug", "name"))


class GroupingForm(forms.Form):
    grouping_labels = forms.CharField(
        required=False,
        max_length=1000,
        label="Group by labels",
        help_text="Label names, comma-separated (default alertname, service, environment); "
        "empty: each alert its own group.",
    )
    use_group_labels = forms.BooleanField(
        required=False,
        label="Use Alertmanager's groupLabels when a notification has them",
    )
    storm_threshold = forms.IntegerField(
        min_value=0,
        max_value=100_000,
        label="Storm threshold (new groups a minute on one service)",
        help_text="0: the server's CASEBRIDGE_STORM_GROUPS_PER_MINUTE.",
    )


class AuditFilterForm(forms.Form):
    actor = forms.CharField(required=False, max_length=150, label="Who")
    subject_type = forms.ChoiceField(required=False, label="What")
    since = forms.DateField(required=False, label="From", widget=forms.DateInput({"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput({"type": "date"}))

    def __init__(self, data: QueryDict | None = None, *, types: dict[str, str]) -> None:
        super().__init__(data)
        field = self.fields["subject_type"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Every setting"), *types.items()]
