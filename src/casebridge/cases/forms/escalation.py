"""The escalation form: a category and its documentation, or an existing work item."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Unpack

from django import forms
from django.urls import reverse_lazy

from casebridge.web.pages import FormOptions
from casebridge.workitems.documentation import CATEGORY_DOCS
from casebridge.workitems.models import Category, ImprovementArea

LINK = "link"
ESCALATION_CHOICES = (
    (Category.BUG.value, "Bug"),
    (Category.FEATURE.value, "Feature request"),
    (Category.IMPROVEMENT.value, "Improvement"),
    (LINK, "Link to an existing work item"),
)
#: The fields each choice shows and sends; the rest are hidden and ignored. A bug's version
#: is part of its environment documentation (the gate's "version" item).
CATEGORY_FIELDS: dict[str, tuple[str, ...]] = {
    **{
        category: ("title", *docs, *(("version",) if category == Category.BUG else ()))
        for category, docs in CATEGORY_DOCS.items()
    },
    LINK: ("work_item",),
}


def _text(label: str, placeholder: str = "", rows: int = 4) -> forms.CharField:
    attrs: dict[str, object] = {"rows": rows}
    if placeholder:
        attrs["placeholder"] = placeholder
    return forms.CharField(required=False, label=label, widget=forms.Textarea(attrs=attrs))


class EscalateForm(forms.Form):
    category = forms.ChoiceField(
        choices=ESCALATION_CHOICES, widget=forms.RadioSelect, required=False, label="Escalate as"
    )
    work_item = forms.CharField(
        required=False,
        label="Work item",
        # a type-ahead over open work items (workitems:lookup answers with a datalist and a list)
        widget=forms.TextInput(
            attrs={
                "placeholder": "BUG-7, or words of its title",
                "autocomplete": "off",
                "list": "work-item-options",
                "hx-get": reverse_lazy("workitems:lookup"),
                "hx-trigger": "input changed delay:250ms",
                "hx-target": "#work-item-matches",
                "hx-swap": "outerHTML",
                "hx-sync": "this:replace",
            }
        ),
    )
    title = forms.CharField(required=False, label="Title")
    description = _text("Description", rows=4)
    steps_to_reproduce = _text("Steps to reproduce", "1. …\n2. …\n3. …", rows=4)
    expected_result = _text("Expected result", "What should happen", rows=2)
    actual_result = _text("Actual result", "What happens instead", rows=2)
    version = forms.CharField(required=False, label="Version")
    log_excerpt = _text("Log excerpt", "Paste the relevant lines, or attach a log file", rows=5)
    justification = _text("Justification", "The problem, and who is asking", rows=3)
    impact_assessment = _text("Impact assessment", "Customers, revenue, risk affected", rows=3)
    rationale = _text("Rationale", rows=3)
    expected_benefit = _text("Expected benefit", rows=3)
    area = forms.ChoiceField(
        choices=(("", "Choose…"), *ImprovementArea.choices), required=False, label="Area"
    )

    def __init__(
        self, data: Mapping[str, object] | None = None, **options: Unpack[FormOptions]
    ) -> None:
        super().__init__(data, **options)
        self.fields["log_excerpt"].widget.attrs["class"] = "mono"

    def value(self, name: str) -> str:
        """A field's value as typed (bound) or prefilled (unbound)."""
        if not self.is_bound:
            return str(self.initial.get(name) or "")
        cleaned = getattr(self, "cleaned_data", {})
        if name in cleaned:
            return str(cleaned[name] or "")
        return str(self.data.get(name) or "")

    def chosen(self) -> str:
        value = self.value("category")
        return value if value in CATEGORY_FIELDS else ""

    def docs(self) -> dict[str, str]:
        """The documentation fields of the chosen category, as typed."""
        names = CATEGORY_FIELDS.get(self.chosen(), ())
        return {name: self.value(name) for name in names if name not in ("title", "work_item")}

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("category") == LINK and not str(data.get("work_item") or "").strip():
            self.add_error("work_item", "Give the key of the work item, e.g. BUG-7.")
        return data

    def transition_data(self) -> dict[str, object]:
        data = self.cleaned_data
        if data.get("category") == LINK:
            return {"work_item": str(data["work_item"]).strip().upper()}
        return {
            "category": data.get("category") or "",
            "title": str(data.get("title") or "").strip(),
            "docs": self.docs(),
        }
