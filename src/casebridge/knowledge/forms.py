"""The form of a known resolution; the service validates it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Unpack

from django import forms

from casebridge.catalog.models import Service
from casebridge.catalog.selectors import service_list
from casebridge.knowledge.models import FixKind, KnownResolution
from casebridge.knowledge.services import KnownResolutionInput
from casebridge.web.pages import FormOptions


class KnownResolutionForm(forms.Form):
    title = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Payment gateway pool exhausted"}),
    )
    symptoms = forms.CharField(
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": "Messages, behaviour, conditions L2 will recognise"}
        ),
    )
    steps = forms.CharField(
        required=False,
        label="Steps of the fix",
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "1. …\n2. …", "class": "mono"}),
    )
    fix_kind = forms.ChoiceField(
        choices=(("", "Choose…"), *FixKind.choices), required=False, label="Kind of fix"
    )
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.none(),
        required=False,
        to_field_name="slug",
        widget=forms.CheckboxSelectMultiple,
    )
    signatures = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Log signatures"
    )
    log_lines = forms.CharField(
        required=False,
        label="Log lines it fixes",
        help_text="One log line per line: each becomes a signature (ids, numbers, hosts and "
        "times masked), so cases whose logs show it get this fix suggested.",
        widget=forms.Textarea(
            attrs={"rows": 3, "class": "mono", "placeholder": "ERROR PKIX path building failed"}
        ),
    )

    def __init__(
        self,
        data: Mapping[str, object] | None = None,
        *,
        signature_choices: list[tuple[str, str]] | None = None,
        **options: Unpack[FormOptions],
    ) -> None:
        super().__init__(data, **options)
        services = self.fields["services"]
        assert isinstance(services, forms.ModelMultipleChoiceField)
        services.queryset = service_list()
        signatures = self.fields["signatures"]
        assert isinstance(signatures, forms.MultipleChoiceField)
        signatures.choices = signature_choices or []

    @classmethod
    def initial_of(cls, item: KnownResolution) -> dict[str, object]:
        return {
            "title": item.title,
            "symptoms": item.symptoms,
            "steps": item.steps,
            "fix_kind": item.fix_kind,
            "services": [s.slug for s in item.services.all()],
            "signatures": [s.pk for s in item.signatures.all()],
        }

    def to_input(self) -> KnownResolutionInput:
        data = self.cleaned_data
        return KnownResolutionInput(
            title=data.get("title") or "",
            symptoms=data.get("symptoms") or "",
            steps=data.get("steps") or "",
            fix_kind=data.get("fix_kind") or "",
            services=list(data.get("services") or []),
            signatures=list(data.get("signatures") or []),
            log_lines=data.get("log_lines") or "",
        )
