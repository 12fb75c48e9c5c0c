"""The support report's rollup (issue 15): one fact row per case and per-day counts per service,
organisation and team, kept current by ``reporting.rollup`` from the audit trail. The report reads
them for the closed days of its window and computes only today (and partial days) live."""

from __future__ import annotations

from django.db import models


class CaseFact(models.Model):
    """What the report needs of one case, derived from the case and its audit events by
    ``reporting.rollup.facts_for`` (the same predicates as the live computation)."""

    case = models.OneToOneField(
        "cases.Case", primary_key=True, on_delete=models.CASCADE, related_name="report_fact"
    )
    created_at = models.DateTimeField()
    #: the day of ``created_at`` in the server's zone
    day = models.DateField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_day = models.DateField(null=True, blank=True)
    service_id = models.BigIntegerField()
    organisation_id = models.BigIntegerField(default=0)
    #: the team of the case's work item (0: none)
    team_id = models.BigIntegerField(default=0)
    #: the category of the case's work item ("" when never escalated)
    category = models.CharField(max_length=20, blank=True, default="")
    reopened = models.BooleanField(default=False)
    #: development sent the escalation back asking for information at least once
    returned = models.BooleanField(default=False)
    first_response_hours = models.FloatField(null=True, blank=True)
    resolution_hours = models.FloatField(null=True, blank=True)
    #: hours spent in each open state over the completed intervals (null: never in it)
    hours_new = models.FloatField(null=True, blank=True)
    hours_investigating = models.FloatField(null=True, blank=True)
    hours_waiting_on_reporter = models.FloatField(null=True, blank=True)
    hours_escalated = models.FloatField(null=True, blank=True)
    #: the state the case is in and since when (its last state change, or its creation), in
    #: microseconds since 1970 (exact: the report subtracts it from its horizon)
    state = models.CharField(max_length=20)
    since_us = models.BigIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["day"], name="report_fact_day"),
            models.Index(fields=["resolved_day"], name="report_fact_resolved_day"),
            models.Index(fields=["created_at"], name="report_fact_created"),
            models.Index(fields=["resolved_at"], name="report_fact_resolved"),
        ]

    def __str__(self) -> str:
        return f"fact {self.case_id}"


class EscalationDay(models.Model):
    """A day on which a case was escalated (an ``escalate`` state change that day)."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "case"], name="report_escalation_day_case"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} escalated {self.day}"


class DailyRollup(models.Model):
    """Counts per day, service, organisation and team (0: none), from the case facts, and the
    per-case times behind the medians and p90s, so that a window's whole days need no fact row.

    The times are packed doubles (``rollup.pack``), each list sorted: exactly the facts' values,
    so a median or p90 read from them equals the live one."""

    day = models.DateField()
    service_id = models.BigIntegerField()
    organisation_id = models.BigIntegerField(default=0)
    team_id = models.BigIntegerField(default=0)
    opened = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    resolved_at_l2 = models.IntegerField(default=0)
    resolved_reopened = models.IntegerField(default=0)
    #: cases opened that day and escalated, per work item category
    escalated = models.JSONField(default=dict)
    #: first response hours of the cases opened that day (those answered)
    first_response = models.BinaryField(default=b"")
    #: resolution hours of the cases resolved that day
    resolution = models.BinaryField(default=b"")
    #: the hours of the cases opened that day in each open state (``rollup.HOURS`` order) that
    #: no longer grow: every state a closed case was in, the earlier states of an open one
    hours_new = models.BinaryField(default=b"")
    hours_investigating = models.BinaryField(default=b"")
    hours_waiting_on_reporter = models.BinaryField(default=b"")
    hours_escalated = models.BinaryField(default=b"")
    #: the cases opened that day and still in an open state, grouped by state (``rollup.HOURS``
    #: order; ``open_counts``: how many in each): their hours in it before their last entry into
    #: it and that entry (microseconds since 1970); the report adds the hours from the entry to
    #: its horizon
    open_counts = models.BinaryField(default=b"")
    open_hours = models.BinaryField(default=b"")
    open_since = models.BinaryField(default=b"")
    #: the last state change of the cases opened that day (microseconds since 1970): a report
    #: whose horizon comes before it reads that day's facts instead
    last_change_us = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "service_id", "organisation_id", "team_id"],
                name="report_rollup_day_keys",
            ),
        ]

    def __str__(self) -> str:
        return f"rollup {self.day} {self.service_id}/{self.organisation_id}/{self.team_id}"
