"""Each contact's first touchpoint in a table of its own (docs/decisions/0003-first-touchpoint.md), filled from
the touchpoints in one statement: DISTINCT ON over (contact_id, occurred_at, id) on PostgreSQL; a window on SQLite,
which reads the (contact_id, occurred_at) index in order (SQLite indexes end with the rowid, the id). Nothing is
checked or indexed row by row: Django adds the table's foreign keys (PostgreSQL) and its campaign index at the end
of the migration, after this load, in one pass each; SQLite migrates with foreign key checks off.
"""

import django.db.models.deletion
from django.db import migrations, models

COLUMNS = "contact_id, touchpoint_id, occurred_at, channel, campaign_id"
FIRSTS = {
    "postgresql": (
        "SELECT DISTINCT ON (contact_id) contact_id, id, occurred_at, channel, campaign_id "
        "FROM marketing_touchpoint ORDER BY contact_id, occurred_at, id"
    ),
    "sqlite": (
        "SELECT contact_id, id, occurred_at, channel, campaign_id FROM ("
        "SELECT contact_id, id, occurred_at, channel, campaign_id, ROW_NUMBER() OVER ("
        "PARTITION BY contact_id ORDER BY occurred_at, id) AS n FROM marketing_touchpoint) f WHERE n = 1"
    ),
}


def backfill(apps, schema_editor):
    """Store the first touchpoint (earliest occurred_at, ties to the lowest id) of every contact that has any."""
    connection = schema_editor.connection
    sql = f"INSERT INTO marketing_firsttouchpoint ({COLUMNS}) {FIRSTS.get(connection.vendor, FIRSTS['sqlite'])}"
    with connection.cursor() as cursor:
        cursor.execute(sql)
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE marketing_firsttouchpoint")  # the planner would otherwise think it empty


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0001_initial'),
        ('marketing', '0002_touchpoint_drop_redundant_fk_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='FirstTouchpoint',
            fields=[
                ('contact', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='first_touchpoint', serialize=False, to='crm.contact')),
                ('touchpoint_id', models.BigIntegerField()),
                ('occurred_at', models.DateTimeField()),
                ('channel', models.CharField(choices=[('email', 'Email'), ('paid_search', 'Paid search'), ('paid_social', 'Paid social'), ('organic_social', 'Organic social'), ('seo', 'SEO'), ('video', 'Video'), ('print', 'Print'), ('event', 'Event'), ('webinar', 'Webinar'), ('outbound', 'Outbound'), ('referral', 'Referral'), ('partner', 'Partner'), ('direct', 'Direct')], max_length=20)),
                ('campaign', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='marketing.campaign')),
            ],
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
    ]
