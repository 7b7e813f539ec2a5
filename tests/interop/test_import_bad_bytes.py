"""A NUL byte in a cell is refused per row with its line (as the JSON API refuses it), for every import kind, through
the action, the API and the CLI; a file that is not UTF-8 is refused naming the line of the bad bytes."""

from __future__ import annotations

import io
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from plumbline.crm.actions import do_create_contact
from plumbline.crm.models import Company, Contact, Deal
from plumbline.interop.actions import do_import
from plumbline.interop.importers.base import RowError
from plumbline.marketing.models import Touchpoint

pytestmark = pytest.mark.django_db

FILES = {
    "contacts": (b"email,first_name\nann@example.com,Ann\nbob@example.com,B\x00b\n", Contact, "first_name"),
    "companies": (b"name,domain\nAcme,acme.com\nIni\x00tech,initech.com\n", Company, "name"),
    "deals": (b"name,amount\nPilot,100\nRenewal\x00,200\n", Deal, "name"),
    "touchpoints": (b"contact_email,kind,channel,occurred_at,source\n"
                    b"ann@example.com,page_view,seo,2026-03-01T10:00:00Z,google\n"
                    b"ann@example.com,page_view,seo,2026-03-02T10:00:00Z,goo\x00gle\n", Touchpoint, "source"),
}


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.parametrize("kind", list(FILES))
def test_a_nul_in_a_cell_is_a_row_error_with_its_line_for_every_kind(users, pipeline, kind):
    data, model, column = FILES[kind]
    if kind == "touchpoints":
        do_create_contact(email="ann@example.com")
    before = model.objects.count()
    # when the file is imported all-or-nothing
    report = do_import(kind=kind, stream=io.BytesIO(data), filename="x.csv")
    # then line 3 is refused on its column, as the JSON API refuses NUL, and nothing is written
    assert report.errors == [RowError(3, column, "must not contain NUL characters.")]
    assert (report.rejected, report.failed, model.objects.count()) == (True, 1, before)
    # and in good-rows mode the other row is written
    report = do_import(kind=kind, stream=io.BytesIO(data), filename="x.csv", mode="good-rows")
    assert (report.created, report.failed, model.objects.count()) == (1, 1, before + 1)
    assert not any("\x00" in str(v) for v in model.objects.values_list(column, flat=True))


def test_the_api_answers_400_with_the_line_not_a_500(tokens):
    data = FILES["contacts"][0]
    response = Client().post("/api/v1/imports", {"kind": "contacts", "file": SimpleUploadedFile("c.csv", data)},
                             headers={"Authorization": f"Bearer {tokens['marketing']}"})
    assert response.status_code == 400, response.content
    assert response.json()["errors"] == [{"line": 3, "column": "first_name", "field": "first_name",
                                          "message": "must not contain NUL characters.", "code": "invalid_row"}]
    assert Contact.objects.count() == 0


def test_the_cli_reports_the_line_without_a_traceback(tmp_path, users):
    path = tmp_path / "c.csv"
    path.write_bytes(FILES["contacts"][0])
    out = StringIO()
    call_command("import", "contacts", str(path), "--mode", "good-rows", "--no-progress", stdout=out)
    assert "line 3, column first_name: must not contain NUL characters." in out.getvalue()
    assert list(Contact.objects.values_list("email", flat=True)) == ["ann@example.com"]


def test_a_file_that_is_not_utf8_names_the_line_of_the_bad_bytes(users):
    # given 3000 good rows (more than one decoding block and one chunk) and a Latin-1 name on line 3002
    rows = b"".join(b"p%d@example.com,Ann\n" % i for i in range(3000))
    data = b"email,first_name\n" + rows + b"renee@example.com,Ren\xe9e\n"
    report = do_import(kind="contacts", stream=io.BytesIO(data), filename="x.csv")
    assert report.file_error == "Line 3002: The file is not UTF-8 text (byte 0xe9); save it as CSV UTF-8."
    assert (report.rejected, Contact.objects.count()) == (True, 0)


def test_bad_bytes_inside_a_quoted_cell_over_several_lines_name_their_own_line(users):
    data = b'email,title\nann@example.com,"Head of\nthings\nand caf\xe9s"\n'
    report = do_import(kind="contacts", stream=io.BytesIO(data), filename="x.csv")
    assert report.file_error == "Line 4: The file is not UTF-8 text (byte 0xe9); save it as CSV UTF-8."
