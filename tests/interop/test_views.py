import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from plumbline.crm.actions import do_create_contact
from plumbline.crm.models import Contact

CSV = b"E-mail,Given name\nann@example.com,Ann\nnot-an-email,Bob\n"


def _upload(client, data=CSV, kind="contacts"):
    response = client.post("/import/", {"kind": kind, "file": SimpleUploadedFile("c.csv", data, "text/csv")})
    assert response.status_code == 302
    return response["Location"]


@pytest.mark.django_db
def test_upload_guesses_the_mapping_previews_every_error_then_imports_the_good_rows(client, users):
    client.force_login(users["marketing"])
    url = _upload(client)
    page = client.get(url).content.decode()
    assert re.search(r'name="map-0".*?<option value="email" selected>', page, re.S)
    assert re.search(r'name="map-1".*?<option value="first_name" selected>', page, re.S)
    preview = client.post(url, {"map-0": "email", "map-1": "first_name", "mode": "good-rows", "action": "preview"})
    assert preview.status_code == 200
    text = preview.content.decode()
    assert "Preview: nothing written yet" in text
    assert "<td>3</td><td>E-mail</td><td>&#x27;not-an-email&#x27; is not a valid email address.</td>" in text
    assert Contact.objects.count() == 0
    done = client.post(url, {"map-0": "email", "map-1": "first_name", "mode": "good-rows", "action": "import"},
                       follow=True)
    assert done.status_code == 200
    assert "<td>3</td><td>E-mail</td>" in done.content.decode()
    assert list(Contact.objects.values_list("email", "first_name")) == [("ann@example.com", "Ann")]


@pytest.mark.django_db
def test_all_or_nothing_in_the_ui_rejects_the_file_with_400(client, users):
    client.force_login(users["admin"])
    url = _upload(client)
    response = client.post(url, {"map-0": "email", "map-1": "first_name", "mode": "all-or-nothing", "action": "import"})
    assert response.status_code == 400
    assert "Rejected: nothing was written" in response.content.decode()
    assert Contact.objects.count() == 0


@pytest.mark.django_db
def test_a_malformed_upload_shows_a_clear_error_not_a_500(client, users):
    client.force_login(users["admin"])
    url = _upload(client, data=b"")
    response = client.get(url)
    assert response.status_code == 400
    assert "The file is empty" in response.content.decode()


@pytest.mark.parametrize("username, status", [("viewer", 403), ("rep1", 403), ("manager", 302), ("marketing", 302)])
@pytest.mark.django_db
def test_only_roles_with_import_permission_can_upload(client, users, username, status):
    client.force_login(users[username])
    response = client.post("/import/", {"kind": "contacts", "file": SimpleUploadedFile("c.csv", CSV)})
    assert response.status_code == status


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_login(client):
    assert client.get("/import/")["Location"].startswith("/login/")
    assert client.get("/export/contacts.csv")["Location"].startswith("/login/")


@pytest.mark.django_db
def test_export_streams_csv_with_the_import_header(client, users):
    do_create_contact(email="ann@example.com", first_name="Ann")
    client.force_login(users["viewer"])
    response = client.get("/export/contacts.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="plumbline-contacts.csv"'
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines()[1] == "ann@example.com,Ann,,,,,,,,unknown,subscriber"
    assert client.get("/export/secrets.csv").status_code == 404
