"""Teams' sprints, program increments, the backlog's manual overrides and sprint membership.

* A team plans in story points or hours (``TeamCapacity``); its sprints carry a capacity in
  that unit and may belong to a program increment.
* ``SprintEntry`` records each time a work item enters a sprint (planned, expedited, added or
  carried over) and how it left (done, carried over, moved): the record behind burndown,
  velocity and carry-over.
* ``BacklogPin`` is the RTE's override of the backlog order, one per item.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class CapacityUnit(models.TextChoices):
    POINTS = "points", "Story points"
    HOURS = "hours", "Hours"


UNIT_SHORT = {CapacityUnit.POINTS: "pts", CapacityUnit.HOURS: "h"}


class TeamCapacity(models.Model):
    """How a team plans: its unit and the capacity a new sprint gets unless told otherwise."""

    audit_type = "team_capacity"

    team = models.OneToOneField(
        "accounts.Team", primary_key=True, on_delete=models.CASCADE, related_name="planning"
    )
    unit = models.CharField(max_length=6, choices=CapacityUnit.choices, default=CapacityUnit.POINTS)
    default_capacity = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "team capacities"

    def __str__(self) -> str:
        return f"{self.team_id}: {self.unit}"

    @property
    def key(self) -> str:
        return str(self.team.slug)


class ProgramIncrement(models.Model):
    """A group of sprints planned together (SAFe's PI): usually 4-6 sprints of every team."""

    audit_type = "program_increment"

    name = models.CharField(max_length=120, unique=True)
    start = models.DateField()
    end = models.DateField()
    objectives = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["start", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gte=models.F("start")), name="pi_dates")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> str:
        return self.name


class Sprint(models.Model):
    audit_type = "sprint"

    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="sprints")
    name = models.CharField(max_length=120)
    start = models.DateField()
    end = models.DateField()
    goal = models.TextField(blank=True, default="")
    capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text="In the team's unit (story points or hours)."
    )
    increment = models.ForeignKey(
        ProgramIncrement,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sprints",
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["team__name", "start"]
        indexes = [models.Index(fields=["team", "start"], name="sprint_team_start")]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="sprint_name_per_team"),
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="sprint_dates"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team.name}: {self.name}"

    @property
    def key(self) -> str:
        return f"{self.team.slug}/{self.name}"

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class EntryKind(models.TextChoices):
    PLANNED = "planned", "Planned"
    EXPEDITED = "expedited", "Expedited"
    ADDED = "added", "Added during the sprint"
    CARRIED_OVER = "carried_over", "Carried over"


class EntryOutcome(models.TextChoices):
    OPEN = "", "In the sprint"
    DONE = "done", "Done"
    CARRIED_OVER = "carried_over", "Carried over"
    MOVED = "moved", "Moved to another sprint"
    DROPPED = "dropped", "Dropped (rejected)"


class SprintEntry(models.Model):
    """A work item's stay in a sprint: how it came in, with what estimate, and how it left."""

    sprint = models.ForeignKey(Sprint, on_delete=models.PROTECT, related_name="entries")
    item = models.ForeignKey(
        "workitems.WorkItem", on_delete=models.CASCADE, related_name="sprint_entries"
    )
    kind = models.CharField(max_length=12, choices=EntryKind.choices)
    estimate = models.PositiveIntegerField(null=True, blank=True)
    added_at = models.DateTimeField()
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(
        max_length=12, choices=EntryOutcome.choices, blank=True, default=EntryOutcome.OPEN
    )
    outcome_at = models.DateTimeField(null=True, blank=True)
    carried_to = models.ForeignKey(
        Sprint, null=True, blank=True, on_delete=models.PROTECT, related_name="carried_in"
    )

    class Meta:
        ordering = ["sprint", "added_at", "id"]
        verbose_name_plural = "sprint entries"
        constraints = [
            models.UniqueConstraint(fields=["sprint", "item"], name="sprint_entry_once"),
        ]

    def __str__(self) -> str:
        return f"{self.sprint_id}:{self.item_id} {self.kind}"


class BacklogPin(models.Model):
    """The RTE placed this item at ``position`` (1 = top) of its team's backlog."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="pins")
    item = models.OneToOneField(
        "workitems.WorkItem", on_delete=models.CASCADE, related_name="backlog_pin"
    )
    position = models.PositiveIntegerField()
    reason = models.TextField(blank=True, default="")
    pinned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pinned_at = models.DateTimeField()

    class Meta:
        ordering = ["team", "position", "-pinned_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(position__gte=1), name="pin_position_1")
        ]

    def __str__(self) -> str:
        return f"{self.item_id} @ {self.position}"
