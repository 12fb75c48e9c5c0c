"""What a page shows of a workflow's actions: the ones the viewer can take now (a button, or a
small form of the transition's input), the others with the reasons they are not available, and
a refused attempt with every reason. Work-item pages and incident rooms share these."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms


@dataclass(frozen=True)
class ActionView:
    action: str
    label: str
    style: str
    description: str
    form: forms.Form
    open: bool

    @property
    def kind(self) -> str:
        return "form" if self.form.fields else "button"


@dataclass(frozen=True)
class Unavailable:
    action: str
    label: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Refusal:
    action: str
    label: str
    reasons: tuple[str, ...]
