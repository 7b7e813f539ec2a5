"""POST /api/v1/imports: the import page's importers over the API, answering with the same report."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from plumbline.crm.actions import do_create_contact
from plumbline.crm.models import Company, Contact, Deal

CSV = b"E-mail,Given name,Shoe size\nann@example.com,Ann,38\nbob@example.com,Bob,44\n"
BAD_CSV = b"E-mail,Given name\nann@example.com,Ann\nnot-an-email,Bob\n"
BAD_ROW = {"line": 3, "column": "E-mail", "field": "email", "code": "invalid_row",
           "message": "'not-an-email' is not a valid email address."}


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Six users per test with the production hasher would dominate the run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def post_import(tokens):
    """post_import(who, data, **fields): multipart POST to /api/v1/imports as `who` (None: anonymous)."""

    def post(who: str | None, data: bytes | None = CSV, **fields: Any):
        headers = {"Authorization": f"Bearer {tokens[who]}"} if who else {}
        body = {"kind": "contacts", **fields}
        if data is not None:
            body["file"] = SimpleUploadedFile("people.csv", data, "text/csv")
        return Client().post("/api/v1/imports", body, headers=headers)

    return post


@pytest.mark.django_db
def test_contacts_import_with_the_guessed_mapping_reports_what_was_written(post_import):
    # given a CSV whose columns the import page would map by itself; when marketing posts it without a mapping
    response = post_import("marketing")
    # then both rows are created and the report names the mapping it used and the column it ignored
    assert response.status_code == 200
    assert response.json() == {
        "message": "Imported contacts: 2 created, 0 updated, 0 unchanged, 0 with errors.",
        "kind": "contacts", "mode": "all-or-nothing", "dry_run": False, "rejected": False,
        "rows": 2, "imported": 2, "created": 2, "updated": 0, "unchanged": 0, "failed": 0,
        "mapping": {"E-mail": "email", "Given name": "first_name"}, "ignored_columns": ["Shoe size"],
        "file_error": None, "errors": [],
    }
    assert list(Contact.objects.order_by("email").values_list("email", "first_name")) == [
        ("ann@example.com", "Ann"), ("bob@example.com", "Bob")]


@pytest.mark.django_db
def test_a_bad_row_rejects_the_whole_file_with_its_line_field_and_reason(post_import):
    response = post_import("admin", BAD_CSV)
    body = response.json()
    assert response.status_code == 400
    assert (body["message"], body["rejected"], body["imported"], body["rows"], body["failed"]) == (
        "Rejected: 1 of 2 rows have errors, so nothing was written (mode all-or-nothing).", True, 0, 2, 1)
    assert body["errors"] == [BAD_ROW]
    assert Contact.objects.count() == 0


@pytest.mark.django_db
def test_good_rows_mode_writes_the_good_rows_and_reports_the_bad_ones(post_import):
    response = post_import("admin", BAD_CSV, mode="good-rows")
    body = response.json()
    assert response.status_code == 200
    assert (body["imported"], body["created"], body["failed"], body["errors"]) == (1, 1, 1, [BAD_ROW])
    assert list(Contact.objects.values_list("email", flat=True)) == ["ann@example.com"]


@pytest.mark.django_db
def test_a_dry_run_reports_without_writing(post_import):
    body = post_import("admin", dry_run="true").json()
    assert (body["dry_run"], body["created"], body["imported"]) == (True, 2, 0)
    assert body["message"] == "Would import contacts: 2 created, 0 updated, 0 unchanged, 0 with errors."
    assert Contact.objects.count() == 0


@pytest.mark.django_db
def test_an_explicit_mapping_overrides_the_guess_and_can_ignore_a_column(post_import):
    # given the default guess would map "Given name"; the caller maps "Shoe size" to title and ignores "Given name"
    mapping = {"Given name": "", "Shoe size": "title"}
    response = post_import("admin", mapping=json.dumps(mapping))
    body = response.json()
    assert response.status_code == 200
    assert (body["mapping"], body["ignored_columns"]) == ({"E-mail": "email", "Shoe size": "title"}, ["Given name"])
    assert Contact.objects.get(email="ann@example.com").title == "38"
    assert Contact.objects.get(email="ann@example.com").first_name == ""


@pytest.mark.django_db
def test_existing_contacts_are_updated_and_counted(post_import):
    do_create_contact(email="ann@example.com", first_name="Annie")
    body = post_import("admin").json()
    assert (body["created"], body["updated"], body["imported"]) == (1, 1, 2)
    assert Contact.objects.get(email="ann@example.com").first_name == "Ann"


@pytest.mark.django_db
@pytest.mark.parametrize("fields, field, message", [
    ({"mapping": "{not json"}, "mapping", 'Send the mapping as a JSON object like {"E-mail": "email"}.'),
    ({"mapping": '["email"]'}, "mapping", "The mapping maps column names (text) to field names (text)."),
    ({"mapping": '{"E-mail": "shoe_size"}'}, "mapping.E-mail", "'shoe_size' is not a contacts field; choose one of "
     "email, first_name, last_name, title, phone, company_domain, company_name, owner, source, consent_status, "
     "lifecycle_stage, lifecycle_reason."),
])
def test_a_malformed_mapping_is_a_422_on_the_mapping_and_writes_nothing(post_import, fields, field, message):
    response = post_import("admin", **fields)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": field, "message": message, "code": "invalid"}]
    assert Contact.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("data, fields, status, field, message", [
    (CSV, {"kind": "secrets"}, 400, "kind", "Unknown kind 'secrets'; choose one of contacts, companies, deals, "
     "touchpoints."),
    (CSV, {"mode": "some"}, 400, "mode", "Unknown mode 'some'; choose one of all-or-nothing, good-rows."),
    (None, {}, 422, "file", "Field required"),
])
def test_bad_kind_mode_or_a_missing_file_is_a_field_error(post_import, data, fields, status, field, message):
    response = post_import("admin", data, **fields)
    assert response.status_code == status
    assert (response.json()["errors"][0]["field"], response.json()["errors"][0]["message"]) == (field, message)
    assert Contact.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("data, fields, message", [
    (b"", {}, "The file is empty: the first line must name the columns."),
    (b"\xffemail\nann@x.com\n", {}, "Line 1: The file is not UTF-8 text (byte 0xff); save it as CSV UTF-8."),
    (b"Given name\nAnn\n", {}, "Line 1: Missing required column email: add it or map a column to it."),
    (CSV, {"mapping": '{"Nope": "email"}'}, "The file has no column 'Nope'; its columns are E-mail, Given name, "
     "Shoe size."),
])
def test_a_file_that_cannot_be_read_is_a_400_report_with_the_file_error(post_import, data, fields, message):
    response = post_import("admin", data, **fields)
    body = response.json()
    assert response.status_code == 400
    assert (body["file_error"], body["rejected"], body["imported"]) == (message, True, 0)
    assert body["errors"] == [{"line": None, "column": None, "field": "file", "message": message,
                               "code": "bad_file"}]
    assert Contact.objects.count() == 0


@pytest.mark.django_db
def test_an_upload_streamed_to_a_temporary_file_imports_the_same(post_import, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 16  # the upload goes to disk, as large files do
    assert post_import("admin").json()["imported"] == 2
    assert Contact.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("who, kind, status", [
    (None, "contacts", 401), ("viewer", "contacts", 403), ("rep1", "contacts", 403), ("marketing", "deals", 403),
    ("viewer", "secrets", 403),
])
def test_roles_without_import_permission_are_refused_and_nothing_is_written(post_import, who, kind, status):
    response = post_import(who, b"name\nAcme pilot\n" if kind == "deals" else CSV, kind=kind)
    assert response.status_code == status
    assert response.json()["errors"][0]["code"] == {401: "unauthorized", 403: "forbidden"}[status]
    assert (Contact.objects.count(), Deal.objects.count()) == (0, 0)


@pytest.mark.django_db
def test_companies_and_deals_go_through_their_own_importers(post_import, pipeline):
    companies = post_import("manager", b"Company,Website\nAcme,https://acme.com\n", kind="companies")
    deals = post_import("manager", b"Deal,Domain,Stage,Value\nAcme pilot,acme.com,Demo,5000\n", kind="deals")
    assert (companies.status_code, companies.json()["mapping"]) == (200, {"Company": "name", "Website": "domain"})
    assert (deals.status_code, deals.json()["created"]) == (200, 1)
    deal = Deal.objects.get()
    assert (deal.name, deal.company, deal.stage.name, str(deal.amount)) == (
        "Acme pilot", Company.objects.get(domain="acme.com"), "Demo", "5000.00")
