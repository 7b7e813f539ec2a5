"""The import's rough edges: email headers in their common spellings, the same email twice in one file, errors in
line order, and a result page that survives a refresh."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from plumbline.crm.actions import do_create_contact
from plumbline.crm.models import Contact
from plumbline.interop.actions import do_import, guess_mapping
from plumbline.interop.importers.base import RowError

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.parametrize("header", ["E-mail Address", "Email address", "E-Mail", "email_address", "EmailAddress",
                                    "E-mail", "EMAIL"])
def test_common_spellings_of_the_email_column_are_recognised(header):
    assert guess_mapping("contacts", [header, "First Name"]) == {header: "email", "First Name": "first_name"}


def test_the_same_email_twice_in_a_file_is_a_row_error_naming_both_lines(users):
    data = b"email,first_name\nann@example.com,Ann\nbob@example.com,Bob\n Ann@Example.com ,Annie\n"
    report = do_import(kind="contacts", stream=io.BytesIO(data), filename="x.csv")
    assert report.errors == [RowError(4, "email", "ann@example.com is also on line 2; a file may hold each contact "
                                                  "once.")]
    assert (report.rejected, Contact.objects.count()) == (True, 0)
    report = do_import(kind="contacts", stream=io.BytesIO(data), filename="x.csv", mode="good-rows")
    assert (report.created, report.failed) == (2, 1)
    assert Contact.objects.get(email="ann@example.com").first_name == "Ann"


def test_errors_are_sorted_by_line(users):
    # given a contact that is a customer, so line 2 can only be refused when its chunk is written (after line 3's
    # own check)
    do_create_contact(email="ann@example.com", lifecycle_stage="customer")
    data = b"email,lifecycle_stage\nann@example.com,subscriber\nnot-an-email,lead\n"
    report = do_import(kind="contacts", stream=io.BytesIO(data), filename="x.csv", mode="good-rows")
    assert [e.line for e in report.errors] == [2, 3]


def _upload(client):
    data = b"Email address,First name\nann@example.com,Ann\n"
    response = client.post("/import/", {"kind": "contacts", "file": SimpleUploadedFile("c.csv", data, "text/csv")})
    return response["Location"]


def test_refreshing_the_result_page_shows_the_stored_result(client, users):
    client.force_login(users["marketing"])
    url = _upload(client)
    done = client.post(url, {"map-0": "email", "map-1": "first_name", "mode": "all-or-nothing", "action": "import"})
    assert done.status_code == 302
    result = done["Location"]
    for _ in range(2):  # the first view and a refresh
        page = client.get(result)
        assert page.status_code == 200
        assert "Imported contacts from c.csv" in page.content.decode()
    # the old form URL (back button, or a re-post) leads to the result too, and nothing is imported twice
    assert client.get(url)["Location"] == result
    assert Contact.objects.count() == 1


def test_a_result_that_is_gone_explains_itself_with_a_way_back(client, users):
    client.force_login(users["marketing"])
    for url in ("/import/0123456789abcdef/done", "/import/0123456789abcdef/"):
        page = client.get(url)
        assert page.status_code == 404
        text = page.content.decode()
        assert "This import is no longer here" in text and 'href="/import/"' in text
