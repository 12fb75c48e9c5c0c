"""Forms of the occurrence pages. They only parse; the services decide what is valid."""

from __future__ import annotations

from django import forms

from casebridge.catalog.models import Component, Service
from casebridge.core.schemas import bounded_int
from casebridge.workitems.documentation import CATEGORY_DOCS
from casebridge.workitems.models import Category, ImprovementArea


def _docs(form: forms.Form, category: str) -> dict[str, object]:
    """The documentation of ``category`` (``workitems.documentation``) that this form asks for."""
    data = form.cleaned_data
    return {name: data.get(name) or "" for name in CATEGORY_DOCS[category] if name in form.fields}


class DraftForm(forms.Form):
    """The fields of the new-case form that similarity looks at."""

    title = forms.CharField(required=False)
    description = forms.CharField(required=False)
    service = forms.CharField(required=False)
    component = forms.CharField(required=False)
    version = forms.CharField(required=False)

    def draft(self) -> dict[str, str]:
        data = self.cleaned_data if self.is_valid() else {}
        service = Service.objects.filter(slug=data.get("service") or "").first()
        component_id = bounded_int(data.get("component") or "")
        component = (
            Component.objects.filter(pk=component_id, service=service).first()
            if service is not None and component_id is not None
            else None
        )
        return {
            "title": str(data.get("title") or "")[:200],
            "description": str(data.get("description") or "")[:50_000],
            "service": service.name if service else "",
            "component": component.name if component else "",
            "version": str(data.get("version") or "")[:64],
        }

    @property
    def has_text(self) -> bool:
        draft = self.draft()
        return len(draft["title"].strip()) >= 3 or len(draft["description"].strip()) >= 10


class RelatedForm(forms.Form):
    other = forms.CharField(required=False, label="Case")


class LinkAllForm(forms.Form):
    work_item = forms.CharField(
        required=False,
        label="Work item",
        widget=forms.TextInput(attrs={"placeholder": "BUG-12", "autocomplete": "off"}),
    )


class BugForm(forms.Form):
    """A bug from the cluster: what the escalation gate asks of a bug."""

    title = forms.CharField(required=False)
    steps_to_reproduce = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Steps to reproduce"
    )
    expected_result = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Expected result"
    )
    actual_result = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Actual result"
    )
    log_excerpt = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "mono"}),
        label="Log excerpt",
    )

    def docs(self) -> dict[str, object]:
        return _docs(self, Category.BUG)


class ImprovementForm(forms.Form):
    title = forms.CharField(required=False)
    rationale = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    expected_benefit = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Expected benefit"
    )
    area = forms.ChoiceField(choices=(("", "Choose…"), *ImprovementArea.choices), required=False)

    def docs(self) -> dict[str, object]:
        return _docs(self, Category.IMPROVEMENT)


class DismissForm(forms.Form):
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "e.g. expected warning at startup"}),
    )


CLUSTER_FORMS: dict[str, type[forms.Form]] = {
    "link": LinkAllForm,
    "bug": BugForm,
    "improvement": ImprovementForm,
    "dismiss": DismissForm,
}
