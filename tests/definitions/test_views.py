import pytest
import yaml
from django.test import Client

from plumbline.definitions.models import DefinitionVersion
from plumbline.definitions.queries import current_version
from tests.conftest import PASSWORD


def client_for(username):
    c = Client()
    assert c.login(username=username, password=PASSWORD)
    return c


@pytest.mark.django_db
@pytest.mark.parametrize("who,read,edit", [
    ("admin", 200, 200), ("marketing", 200, 403), ("rep1", 200, 403), ("manager", 200, 403), ("viewer", 200, 403),
])
def test_everyone_reads_the_plumb_line_only_admins_edit(users, who, read, edit):
    c = client_for(who)
    assert c.get("/definitions/").status_code == read
    assert c.get("/definitions/edit/").status_code == edit
    assert c.get("/definitions/diff/").status_code == read


@pytest.mark.django_db
def test_admin_publishes_from_the_editor_and_sees_the_diff(users):
    c = client_for("admin")
    body = yaml.safe_load(c.get("/definitions/edit/").context["form"].initial["body"])
    body["sla"]["first_touch_hours"] = 2
    r = c.post("/definitions/edit/", {"body": yaml.safe_dump(body), "note": "Two-hour follow-up"})
    assert r.status_code == 302
    assert current_version().number == 2
    page = c.get("/definitions/diff/?old=1&new=2").content.decode()
    assert "sla.first_touch_hours" in page


@pytest.mark.django_db
def test_editor_shows_each_bad_field_and_writes_nothing(users):
    c = client_for("admin")
    body = yaml.safe_load(c.get("/definitions/edit/").context["form"].initial["body"])
    body["reject_reasons"] = []
    r = c.post("/definitions/edit/", {"body": yaml.safe_dump(body), "note": "Oops"})
    assert r.status_code == 400
    assert r.context["field_errors"][0][0] == "reject_reasons"
    r = c.post("/definitions/edit/", {"body": "a: [", "note": "x"})
    assert r.status_code == 400 and "not valid YAML" in r.content.decode()
    assert DefinitionVersion.objects.count() == 1
