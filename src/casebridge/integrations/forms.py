"""Forms of the settings pages: a webhook destination and a route."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms

from casebridge.accounts.models import Team
from casebridge.catalog.models import Service
from casebridge.integrations.models import WebhookKind
from casebridge.integrations.notices import SEVERITIES


class DestinationForm(forms.Form):
    kind = forms.ChoiceField(choices=WebhookKind.choices, label="Kind")
    name = forms.CharField(max_length=120, label="Name", help_text="e.g. #incidents")
    url = forms.CharField(
        max_length=2000,
        label="Webhook URL",
        help_text="https only. Kept sealed; only its end is shown again.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    slug = forms.SlugField(
        max_length=64, required=False, label="Slug", help_text="Default: from the name."
    )


class RouteForm(forms.Form):
    topic = forms.CharField(
        max_length=80,
        label="Events",
        help_text="A topic (incident.declared), a family (incident.*) or * for all.",
    )
    services = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Services (none: any)"
    )
    teams = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Teams (none: any)"
    )
    severities = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(s, s) for s in SEVERITIES],
        label="Severities (none: any)",
    )

    def __init__(
        self, data: Mapping[str, object] | None = None, *, prefix: str | None = None
    ) -> None:
        super().__init__(data, prefix=prefix)
        services = self.fields["services"]
        teams = self.fields["teams"]
        assert isinstance(services, forms.MultipleChoiceField)
        assert isinstance(teams, forms.MultipleChoiceField)
        services.choices = list(Service.objects.order_by("name").values_list("slug", "name"))
        teams.choices = list(Team.objects.order_by("name").values_list("slug", "name"))
