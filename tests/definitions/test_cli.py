import io

import pytest
import yaml
from django.core.management import CommandError, call_command

from plumbline.definitions.models import DefinitionVersion


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("definitions", *args, stdout=out, stderr=err)
    return out.getvalue()


@pytest.mark.django_db
def test_export_edit_import_round_trip_creates_a_version(users, tmp_path):
    path = tmp_path / "plumb.yaml"
    run("export", "-o", str(path))
    body = yaml.safe_load(path.read_text())
    body["sla"]["first_touch_hours"] = 1
    path.write_text(yaml.safe_dump(body))
    assert run("import", str(path), "--note", "One-hour follow-up", "--by", "admin") == "Published definitions v2.\n"
    assert DefinitionVersion.objects.get(number=2).body["sla"]["first_touch_hours"] == 1
    assert run("diff", "1", "2") == "changed  sla.first_touch_hours: 4.0 -> 1.0\n"
    assert run("versions").splitlines()[1].endswith("admin\tOne-hour follow-up")


@pytest.mark.django_db
def test_import_reports_every_bad_field_and_refuses_non_admins(users, tmp_path):
    path = tmp_path / "bad.yaml"
    run("export", "-o", str(path))
    body = yaml.safe_load(path.read_text())
    body["engagement"]["half_life_days"] = -1
    body["sla"]["timezone"] = "Nowhere/Land"
    path.write_text(yaml.safe_dump(body))
    with pytest.raises(CommandError) as exc:
        run("import", str(path), "--note", "x", "--by", "admin")
    assert [line.split(":")[0] for line in str(exc.value).splitlines()] == ["engagement.half_life_days",
                                                                            "sla.timezone"]
    with pytest.raises(CommandError):
        run("import", str(path), "--note", "x", "--by", "marketing")
    path.write_text("icp: [unclosed")
    with pytest.raises(CommandError, match="not valid YAML"):
        run("import", str(path), "--note", "x", "--by", "admin")
    assert DefinitionVersion.objects.count() == 1
