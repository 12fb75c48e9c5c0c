"""The new-sprint form of the planning page. It only parses; ``sprint_create`` decides what is
valid (names, dates that overlap another sprint, capacity), and its messages land beside the
fields."""

from __future__ import annotations

from datetime import timedelta

from django import forms

from casebridge.accounts.models import Team
from casebridge.sprints.selectors.sprints import free_days, sprint_name_suggestion

SPRINT_DAYS = 14


class SprintEditForm(forms.Form):
    """What may change on a sprint that is not closed: its dates, capacity and goal."""

    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    capacity = forms.IntegerField(
        required=False, min_value=0, max_value=100_000, help_text="In the team's unit."
    )
    goal = forms.CharField(required=False, max_length=2000, widget=forms.Textarea({"rows": 2}))


class SprintForm(forms.Form):
    name = forms.CharField(max_length=120)
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    capacity = forms.IntegerField(
        required=False, min_value=0, help_text="In the team's unit; empty: the team's default."
    )
    goal = forms.CharField(required=False, max_length=2000)

    @classmethod
    def suggested(cls, team: Team) -> SprintForm:
        """Prefilled: from the first free day (today, or the day after the team's last
        sprint), two weeks long or up to the team's next sprint, named after the last one."""
        start, until = free_days(team)
        end = start + timedelta(days=SPRINT_DAYS - 1)
        return cls(
            prefix="new",
            initial={
                "name": sprint_name_suggestion(team),
                "start": start,
                "end": min(end, until) if until else end,
            },
        )
