"""Drop the single-column indexes on Touchpoint.contact and Touchpoint.campaign.

The composite indexes (contact_id, occurred_at) and (campaign_id, occurred_at) serve every lookup by contact or by
campaign (cascades and SET NULL included), so these two only slowed every insert. Only the indexes are dropped:
letting AlterField do it would drop and re-add the foreign keys, which re-checks every touchpoint.
"""

import django.db.models.deletion
from django.db import migrations, models

INDEXES = {
    "marketing_touchpoint_contact_id_7e4aa4a8": "contact_id",
    "marketing_touchpoint_campaign_id_1af1804c": "campaign_id",
}


class Migration(migrations.Migration):

    dependencies = [
        ("crm", "0001_initial"),
        ("marketing", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql=f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX "{name}" ON "marketing_touchpoint" ("{column}")',
                )
                for name, column in INDEXES.items()
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="touchpoint",
                    name="campaign",
                    field=models.ForeignKey(
                        blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL,
                        related_name="touchpoints", to="marketing.campaign",
                    ),
                ),
                migrations.AlterField(
                    model_name="touchpoint",
                    name="contact",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="touchpoints",
                        to="crm.contact",
                    ),
                ),
            ],
        ),
    ]
