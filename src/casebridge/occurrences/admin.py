"""Admin: the recurring policy (how many cases, within how many days, near-duplicate score)."""

from __future__ import annotations

from django.contrib import admin

from casebridge.occurrences.models import RecurringPolicy


@admin.register(RecurringPolicy)
class RecurringPolicyAdmin(admin.ModelAdmin[RecurringPolicy]):
    list_display = ("name", "min_cases", "window_days", "near_duplicate_score")
