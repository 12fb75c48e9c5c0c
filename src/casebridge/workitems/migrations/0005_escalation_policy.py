"""The escalation policy (what a category needs before escalation and re-categorisation) joins
the documentation it governs in ``workitems``: the model's state moves here from ``cases``
(``cases.0003``) and its table is renamed; the rows are kept."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("workitems", "0004_ladder_policies_6_to_8"),
        ("cases", "0003_case_logged_by_escalation_policy_to_workitems"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="EscalationPolicy",
                    fields=[
                        (
                            "category",
                            models.CharField(max_length=12, primary_key=True, serialize=False),
                        ),
                        (
                            "required",
                            models.JSONField(
                                help_text="Codes of the required items, see workitems.documentation."
                            ),
                        ),
                    ],
                    options={
                        "verbose_name_plural": "escalation policies",
                        "db_table": "cases_escalationpolicy",
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="escalationpolicy", table=None),
    ]
