"""Forms of the SLA settings pages: a calendar, a policy and a fix target for work items."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict

from casebridge.accounts.models import EXTERNAL_ROLES, Organisation, User
from casebridge.cases.models import CaseState, Impact, Source
from casebridge.catalog.models import Service
from casebridge.sla.calendars import TIME
from casebridge.sla.hours import WEEKDAYS
from casebridge.sla.models import Calendar, EscalationAction, ItemPolicy, Policy
from casebridge.workitems.models import Category, Priority

DAY_LABELS = dict(
    zip(
        WEEKDAYS,
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        strict=True,
    )
)
PAUSABLE = [
    (CaseState.WAITING_ON_REPORTER.value, CaseState.WAITING_ON_REPORTER.label),
    (CaseState.ESCALATED.value, CaseState.ESCALATED.label),
    (CaseState.INVESTIGATING.value, CaseState.INVESTIGATING.label),
    (CaseState.NEW.value, CaseState.NEW.label),
]


def _spans_text(spans: list[list[str]]) -> str:
    return ", ".join(f"{a}-{b}" for a, b in spans)


def _spans(text: str) -> list[list[str]] | None:
    """``09:00-12:00, 13:00-17:00`` to spans; None when unreadable."""
    spans = []
    for raw in text.split(","):
        part = raw.strip()
        if not part:
            continue
        start, dash, end = part.partition("-")
        span = [start.strip().zfill(5), end.strip().zfill(5)]
        if not dash or not all(TIME.match(t) for t in span):
            return None
        spans.append(span)
    return spans


class CalendarForm(forms.Form):
    name = forms.CharField(max_length=120, label="Name")
    slug = forms.SlugField(
        max_length=60, required=False, label="Slug", help_text="Default: from the name."
    )
    timezone = forms.CharField(
        max_length=64, label="Time zone", initial="UTC", help_text="IANA name, e.g. Europe/Berlin."
    )
    always_open = forms.BooleanField(required=False, label="24x7 (every minute counts)")
    holiday_country = forms.CharField(
        max_length=2,
        required=False,
        label="Holidays of country",
        help_text="ISO code, e.g. DE; empty: none.",
    )
    holiday_subdivision = forms.CharField(
        max_length=10,
        required=False,
        label="Region",
        help_text="e.g. BY for Bavaria; empty: national.",
    )
    extra_holidays = forms.CharField(
        required=False,
        label="Our own closed days",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Dates YYYY-MM-DD, separated by commas or lines.",
        max_length=4000,
    )

    def __init__(
        self,
        data: QueryDict | None = None,
        *,
        initial: dict[str, object] | None = None,
        editing: bool = False,
    ) -> None:
        super().__init__(data, initial=initial)
        if editing:
            del self.fields["slug"]
        for day in WEEKDAYS:
            self.fields[f"hours_{day}"] = forms.CharField(
                required=False,
                max_length=100,
                label=DAY_LABELS[day],
                help_text="e.g. 09:00-17:00 (several: 08:00-12:00, 13:00-17:00); empty: closed.",
            )

    @staticmethod
    def initial_of(c: Calendar) -> dict[str, object]:
        initial: dict[str, object] = {
            "name": c.name,
            "timezone": c.timezone,
            "always_open": c.always_open,
            "holiday_country": c.holiday_country,
            "holiday_subdivision": c.holiday_subdivision,
            "extra_holidays": ", ".join(c.extra_holidays),
        }
        for day in WEEKDAYS:
            initial[f"hours_{day}"] = _spans_text(c.hours.get(day, []))
        return initial

    def values(self) -> dict[str, object]:
        data = self.cleaned_data
        hours: dict[str, object] = {}
        for day in WEEKDAYS:
            spans = _spans(data.get(f"hours_{day}", ""))
            if spans is None:
                self.add_error(f"hours_{day}", "Write spans such as 09:00-17:00.")
                hours[day] = [[""]]  # refused by the service too
            elif spans:
                hours[day] = spans
        extra = [d.strip() for d in data["extra_holidays"].replace("\n", ",").split(",")]
        return {
            "name": data["name"],
            "timezone": data["timezone"].strip(),
            "always_open": data["always_open"],
            "hours": hours,
            "holiday_country": data["holiday_country"].strip(),
            "holiday_subdivision": data["holiday_subdivision"].strip(),
            "extra_holidays": [d for d in extra if d],
        }


class _TargetsForm(forms.Form):
    """What a policy's and a fix target's forms share: a slug only when creating, the calendars
    and the staff who may be the lead told of warnings and breaches (``leads``) as choices."""

    def __init__(
        self,
        data: QueryDict | None = None,
        *,
        initial: dict[str, object] | None = None,
        editing: bool = False,
    ) -> None:
        super().__init__(data, initial=initial)
        if editing:
            del self.fields["slug"]
        self.choose("calendar", [(c.slug, c.name) for c in Calendar.objects.order_by("name")])
        staff = self.leads().distinct().order_by("username")
        self.choose(
            "lead",
            [("", "Nobody")] + [(u.username, u.get_full_name() or u.username) for u in staff],
        )

    def choose(self, name: str, choices: list[tuple[str, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    @staticmethod
    def leads() -> QuerySet[User]:
        raise NotImplementedError


class PolicyForm(_TargetsForm):
    name = forms.CharField(max_length=120, label="Name")
    slug = forms.SlugField(
        max_length=60, required=False, label="Slug", help_text="Default: from the name."
    )
    calendar = forms.ChoiceField(label="Counts in the calendar")
    active = forms.BooleanField(required=False, initial=True, label="Active")
    impacts = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Impacts (none: any)",
        choices=[(i.value, i.label.split(":")[0]) for i in Impact],
    )
    sources = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Sources (none: any)",
        choices=Source.choices,
    )
    services = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Services (none: any)"
    )
    organisations = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Organisations (none: any)"
    )
    tiers = forms.CharField(
        required=False,
        max_length=400,
        label="Contract tiers (none: any)",
        help_text="e.g. gold, platinum",
    )
    first_response_minutes = forms.IntegerField(
        required=False, min_value=1, max_value=527040, label="First response (business minutes)"
    )
    triage_minutes = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=527040,
        label="Triage of escalated bugs (business minutes)",
    )
    resolution_minutes = forms.IntegerField(
        required=False, min_value=1, max_value=527040, label="Resolution (business minutes)"
    )
    warn_percent = forms.IntegerField(
        min_value=1, max_value=99, initial=75, label="Warn at (% of the target)"
    )
    pause_states = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=PAUSABLE,
        initial=["waiting_on_reporter"],
        label="Clocks pause while the case is",
    )
    customer_visible = forms.BooleanField(required=False, label="Customers see these commitments")
    escalation_action = forms.ChoiceField(
        required=False, choices=EscalationAction.choices, label="On a breach"
    )
    lead = forms.ChoiceField(required=False, label="L2 lead (told of warnings and breaches)")

    def __init__(
        self,
        data: QueryDict | None = None,
        *,
        initial: dict[str, object] | None = None,
        editing: bool = False,
    ) -> None:
        super().__init__(data, initial=initial, editing=editing)
        self.choose("services", [(s.slug, s.name) for s in Service.objects.order_by("name")])
        self.choose(
            "organisations", [(o.slug, o.name) for o in Organisation.objects.order_by("name")]
        )

    @staticmethod
    def leads() -> QuerySet[User]:
        return User.objects.filter(role_grants__role__in=["l2_engineer", "admin"], is_active=True)

    @staticmethod
    def initial_of(p: Policy) -> dict[str, object]:
        return {
            "name": p.name,
            "calendar": p.calendar.slug,
            "active": p.active,
            "impacts": p.impacts,
            "sources": p.sources,
            "services": p.services,
            "organisations": p.organisations,
            "tiers": ", ".join(p.tiers),
            "first_response_minutes": p.first_response_minutes,
            "triage_minutes": p.triage_minutes,
            "resolution_minutes": p.resolution_minutes,
            "warn_percent": p.warn_percent,
            "pause_states": p.pause_states,
            "customer_visible": p.customer_visible,
            "escalation_action": p.escalation_action,
            "lead": p.lead.username if p.lead else "",
        }

    def values(self) -> dict[str, object]:
        data = dict(self.cleaned_data)
        data.pop("slug", None)
        data["tiers"] = [t.strip().lower() for t in data["tiers"].split(",") if t.strip()]
        data["lead"] = data["lead"] or None
        data["warn_percent"] = data["warn_percent"] or 75
        return data


class ItemTargetForm(_TargetsForm):
    """A fix target for work items (``sla.items``)."""

    name = forms.CharField(max_length=120, label="Name")
    slug = forms.SlugField(
        max_length=60, required=False, label="Slug", help_text="Default: from the name."
    )
    active = forms.BooleanField(required=False, initial=True, label="Active")
    categories = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Categories (none: any)",
        choices=Category.choices,
    )
    priorities = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Priorities (none: any)",
        choices=Priority.choices,
    )
    calendar = forms.ChoiceField(label="Counts in the calendar")
    fix_minutes = forms.IntegerField(
        min_value=1, max_value=527040, label="Fixed within (business minutes)"
    )
    warn_percent = forms.IntegerField(
        min_value=1, max_value=99, initial=75, label="Warn at (% of the target)"
    )
    lead = forms.ChoiceField(required=False, label="Lead (told of warnings and breaches)")

    @staticmethod
    def leads() -> QuerySet[User]:
        return User.objects.filter(is_active=True, role_grants__isnull=False).exclude(
            role_grants__role__in=EXTERNAL_ROLES
        )

    @staticmethod
    def initial_of(p: ItemPolicy) -> dict[str, object]:
        return {
            "name": p.name, "calendar": p.calendar.slug, "active": p.active,
            "categories": p.categories, "priorities": p.priorities,
            "fix_minutes": p.fix_minutes, "warn_percent": p.warn_percent,
            "lead": p.lead.username if p.lead else "",
        }  # fmt: skip

    def values(self) -> dict[str, object]:
        data = dict(self.cleaned_data)
        data.pop("slug", None)
        data["lead"] = data["lead"] or None
        return data
