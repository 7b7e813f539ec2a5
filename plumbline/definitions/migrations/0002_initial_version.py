"""Version 1 of the plumb line (the documented defaults) exists from the first migrate, so no read ever has to
create it: before, the first page or GET to ask for the definitions in force wrote it."""

from django.db import migrations


def create_version_1(apps, schema_editor):
    from plumbline.definitions.schema import DEFAULT, PlumbLine

    version = apps.get_model("definitions", "DefinitionVersion")
    if not version.objects.exists():
        body = PlumbLine.model_validate(DEFAULT).model_dump(mode="json")
        version.objects.create(number=1, body=body, note="Initial definitions")


class Migration(migrations.Migration):
    dependencies = [("definitions", "0001_initial")]
    operations = [migrations.RunPython(create_version_1, migrations.RunPython.noop)]
