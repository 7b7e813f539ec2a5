"""The three subscription types every instance starts with; admins add, rename or retire them."""

from django.db import migrations

SEED = [
    ("newsletter", "Newsletter", "Our monthly newsletter: articles, guides and what is new.", 1),
    ("product_news", "Product news", "Announcements of new features and releases.", 2),
    ("events", "Events", "Invitations to webinars, meetups and conferences.", 3),
]


def seed(apps, schema_editor):
    SubscriptionType = apps.get_model("consent", "SubscriptionType")
    for code, label, description, position in SEED:
        SubscriptionType.objects.get_or_create(code=code, defaults={
            "label": label, "description": description, "channel": "email", "double_opt_in": True,
            "active": True, "position": position})


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
