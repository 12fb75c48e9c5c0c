"""The input of the actions on a case, and of comments and files."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Unpack

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.datastructures import MultiValueDict

from casebridge.accounts.models import Role, User
from casebridge.accounts.selectors import users_with_role
from casebridge.cases.models import Resolution
from casebridge.knowledge.selectors import known_resolution_list_for
from casebridge.web.pages import FormOptions

# --- the actions on a case -----------------------------------------------------------------------


class ViewerForm(forms.Form):
    """A form whose fields depend on who fills it in: ``for_viewer`` adjusts them, and the
    viewer stays at hand as ``self.viewer``."""

    def __init__(
        self,
        data: Mapping[str, object] | None = None,
        *,
        viewer: User,
        **options: Unpack[FormOptions],
    ) -> None:
        super().__init__(data, **options)
        self.viewer = viewer
        self.for_viewer(viewer)

    def for_viewer(self, viewer: User) -> None:
        """Adjust the fields to the viewer (by default nothing changes)."""


class ActionForm(ViewerForm):
    """An action's input; ``transition_data`` is what ``case_transition`` receives."""

    def transition_data(self) -> dict[str, object]:
        return {name: self.cleaned_data.get(name) for name in self.fields}


class TakeForm(ActionForm):
    """Take it myself (no owner), or assign it to another L2 engineer (``assign`` is set)."""

    owner = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        to_field_name="username",
        empty_label="Choose…",
        label="Engineer",
    )
    assign = forms.BooleanField(required=False, widget=forms.HiddenInput, initial=True)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("assign") and not data.get("owner"):
            self.add_error("owner", "Choose the engineer who takes the case.")
        return data

    def transition_data(self) -> dict[str, object]:
        return {"owner": self.cleaned_data.get("owner")}

    def for_viewer(self, viewer: User) -> None:
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = users_with_role(Role.L2_ENGINEER).exclude(pk=self.viewer.pk)


class QuestionForm(ActionForm):
    question = forms.CharField(
        required=False,
        label="Question for the reporter",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "What do you need to know?"}),
    )


RESOLUTIONS = [
    ("", "Choose…"),
    *(
        (value, label)
        for value, label in Resolution.choices
        if value not in (Resolution.FIXED, Resolution.INCIDENT)
    ),
]


class ResolveForm(ActionForm):
    resolution = forms.ChoiceField(choices=RESOLUTIONS, required=False)
    known_resolution = forms.ChoiceField(required=False, label="Known resolution applied")
    action_taken = forms.CharField(
        required=False,
        label="Action taken",
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": "e.g. restarted payment-gateway on node 3"}
        ),
    )
    duplicate_of = forms.CharField(
        required=False,
        label="Duplicate of",
        widget=forms.TextInput(attrs={"placeholder": "CB-123", "autocomplete": "off"}),
    )
    note = forms.CharField(
        required=False,
        label="Note",
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Why there is no fault, …"}),
    )

    def for_viewer(self, viewer: User) -> None:
        field = self.fields["known_resolution"]
        assert isinstance(field, forms.ChoiceField)
        items = known_resolution_list_for(self.viewer)[:200]
        field.choices = [("", "Choose…"), *((k.key, f"{k.key} · {k.title}") for k in items)]

    def transition_data(self) -> dict[str, object]:
        data = super().transition_data()
        data["duplicate_of"] = str(data.get("duplicate_of") or "").strip().upper()
        return data


class ReasonForm(ActionForm):
    reason = forms.CharField(
        required=False,
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "What is still wrong?"}),
    )


class EmptyForm(ActionForm):
    pass


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "take": TakeForm,
    "request_info": QuestionForm,
    "resolve": ResolveForm,
    "reopen": ReasonForm,
    "answer": EmptyForm,
    "close": EmptyForm,
}

# --- comments and files ---------------------------------------------------------------------------


class CommentForm(ViewerForm):
    body = forms.CharField(
        required=False,
        label="Comment",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Write a reply…"}),
    )
    internal = forms.BooleanField(
        required=False, label="Internal note (never shown to the customer)"
    )

    def for_viewer(self, viewer: User) -> None:
        if viewer.is_external:
            del self.fields["internal"]


VISIBILITY = (
    ("internal", "Internal: support and development only"),
    ("public", "Public: the customer sees it too"),
)


class AttachmentForm(forms.Form):
    """A file, and for support staff whether the customer may see it: internal unless they
    choose public (a log is full of host names and internal details)."""

    file = forms.FileField(label="Add a file", required=False)
    internal = forms.ChoiceField(
        choices=VISIBILITY,
        required=False,
        initial="internal",
        label="Who may see it",
        widget=forms.RadioSelect,
    )

    def __init__(
        self,
        data: Mapping[str, object] | None = None,
        files: MultiValueDict[str, UploadedFile[bytes]] | None = None,
        *,
        viewer: User,
    ) -> None:
        super().__init__(data, files)
        if viewer.is_external:
            del self.fields["internal"]

    def internal_choice(self) -> bool | None:
        """True (internal), False (public), or None: not said, the uploader's default."""
        value = self.cleaned_data.get("internal")
        return {"internal": True, "public": False}.get(str(value or ""))

    def clean_file(self) -> UploadedFile[bytes]:
        upload: UploadedFile[bytes] | None = self.cleaned_data.get("file")
        if not upload:
            raise forms.ValidationError("Choose a file to upload.")
        return upload
