"""Cases record who logged them (``logged_by``: the agent who took a call, or the reporter).
Existing cases take the actor of their "created" audit event. The escalation policy moves to
``workitems`` with the rest of the documentation a work item needs (its table follows in
``workitems.0005``)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def backfill_logged_by(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    created = AuditEvent.objects.filter(
        subject_type="case", subject_key=OuterRef("key"), action="created", actor__isnull=False
    ).order_by("at", "id")
    Case.objects.filter(logged_by__isnull=True).update(
        logged_by=Subquery(created.values("actor")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("cases", "0002_case_fixed_version_watcher"),
        ("workitems", "0004_ladder_policies_6_to_8"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="EscalationPolicy")],
            database_operations=[],
        ),
        migrations.AddField(
            model_name="case",
            name="logged_by",
            field=models.ForeignKey(
                blank=True,
                help_text="Who entered the case (an agent logging a call for its reporter, or the reporter themselves).",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="logged_cases",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(backfill_logged_by, migrations.RunPython.noop),
    ]
