"""Index touchpoints by (kind, occurred_at, contact): a segment's "n touchpoints of a kind in the last d days" reads
only that kind's entries of the window, contact ids included, instead of every touchpoint (on the 1M-contact demo,
21M rows). Built in one pass; on the 21M-row demo it took 81 s at a load of 5 and is 1 GB (the table is 2.9 GB) (docs/benchmarks.md, "Segments").
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0004_erasurerecord'),
        ('marketing', '0003_first_touchpoint'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='touchpoint',
            index=models.Index(fields=['kind', 'occurred_at', 'contact'], name='touchpoint_kind_time'),
        ),
    ]
