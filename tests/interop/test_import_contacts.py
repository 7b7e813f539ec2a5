import io
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from plumbline.consent.models import ConsentEntry
from plumbline.core.errors import PermissionDenied
from plumbline.crm.actions import do_create_company, do_create_contact
from plumbline.crm.models import Company, Contact, LifecycleTransition
from plumbline.interop.actions import do_import

GOOD = (
    "Email,First name,Last name,Company,Website,Stage,Owner\n"
    " Ann@Example.com ,Ann,Lee,Example Corp,https://www.example.com/,lead,rep1\n"
    "bob@example.com,Bob,Ray,,,mql,\n"
)


def _import(text: str | bytes, **kw):
    data = text.encode() if isinstance(text, str) else text
    return do_import(kind=kw.pop("kind", "contacts"), stream=io.BytesIO(data), filename="c.csv", **kw)


@pytest.mark.django_db
def test_contacts_import_normalises_links_companies_and_records_lifecycle(users):
    report = _import(GOOD)
    assert (report.rows, report.created, report.updated, report.failed) == (2, 2, 0, 0)
    ann = Contact.objects.get(email="ann@example.com")
    assert (ann.first_name, ann.owner, ann.lifecycle_stage) == ("Ann", users["rep1"], "lead")
    assert (ann.company.name, ann.company.domain) == ("Example Corp", "example.com")
    # Bob names no company but his email is at example.com, so he joins it.
    assert Contact.objects.get(email="bob@example.com").company == ann.company
    assert list(LifecycleTransition.objects.filter(contact=ann).values_list("from_stage", "to_stage", "source")) == [
        ("", "lead", "import")]
    assert report.mapping["Website"] == "company_domain"


@pytest.mark.django_db
def test_reimporting_the_same_file_creates_no_duplicates(users):
    _import(GOOD)
    again = _import(GOOD)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert Contact.objects.count() == 2
    assert Company.objects.count() == 1
    assert LifecycleTransition.objects.count() == 2


@pytest.mark.django_db
def test_all_or_nothing_rejects_the_whole_file_and_reports_line_column_and_reason(users):
    text = GOOD + "not-an-email,X,Y,,,,\nc@example.com,C,D,,,wizard,nobody\n"
    report = _import(text)
    assert report.rejected
    assert Contact.objects.count() == 0
    assert Company.objects.count() == 0
    assert [(e.line, e.column) for e in report.errors] == [(4, "Email"), (5, "Stage"), (5, "Owner")]
    assert report.errors[0].message == "'not-an-email' is not a valid email address."


@pytest.mark.django_db
def test_good_rows_mode_imports_the_valid_rows_and_reports_the_bad_ones(users):
    report = _import(GOOD + "not-an-email,X,Y,,,,\n", mode="good-rows")
    assert not report.rejected
    assert (report.created, report.failed) == (2, 1)
    assert sorted(Contact.objects.values_list("email", flat=True)) == ["ann@example.com", "bob@example.com"]


@pytest.mark.django_db
def test_dry_run_previews_the_rows_and_writes_nothing(users):
    report = _import(GOOD, dry_run=True)
    assert report.created == 2
    assert [(p["line"], p["action"]) for p in report.preview] == [(2, "create"), (3, "create")]
    assert Contact.objects.count() == 0


@pytest.mark.django_db
def test_an_illegal_lifecycle_move_is_a_row_error(users):
    contact = do_create_contact(email="ann@example.com", lifecycle_stage="customer")
    report = _import("email,lifecycle_stage\nann@example.com,mql\n")
    assert report.rejected
    assert (report.errors[0].line, report.errors[0].column) == (2, "lifecycle_stage")
    assert "cannot move" in report.errors[0].message
    contact.refresh_from_db()
    assert contact.lifecycle_stage == "customer"


@pytest.mark.django_db
def test_update_changes_only_the_filled_cells_and_records_the_stage_change(users):
    do_create_company(name="Example", domain="example.com")
    contact = do_create_contact(email="ann@example.com", first_name="Ann", title="CTO")
    report = _import("email,title,first_name,lifecycle_stage\nANN@example.com,CEO,,lead\n")
    assert (report.updated, report.created) == (1, 0)
    contact.refresh_from_db()
    assert (contact.first_name, contact.title, contact.lifecycle_stage) == ("Ann", "CEO", "lead")
    assert contact.lifecycle_transitions.first().from_stage == "subscriber"


@pytest.mark.parametrize("data, message", [
    (b"", "The file is empty"),
    (b"email,name\n\"ann@example.com,Ann\n", "unbalanced quote"),
    (b"email\n\xff\xfeann@example.com\n", "not UTF-8"),
    (b"first_name,last_name\nAnn,Lee\n", "Missing required column email"),
    (b"email,email\na@b.com,c@d.com\n", "appears twice"),
])
@pytest.mark.django_db
def test_malformed_files_get_a_clear_file_error_and_write_nothing(users, data, message):
    report = _import(data)
    assert report.rejected
    assert message in report.file_error
    assert Contact.objects.count() == 0


@pytest.mark.django_db
def test_a_row_with_the_wrong_number_of_columns_is_reported(users):
    report = _import("email,first_name\nann@example.com,Ann,extra\n")
    assert [(e.line, e.column) for e in report.errors] == [(2, None)]
    assert "Expected 2 columns" in report.errors[0].message


@pytest.mark.django_db
def test_explicit_mapping_overrides_the_guess_and_unknown_fields_are_refused(users):
    report = _import("Mail,Nick\nann@example.com,Annie\n", mapping={"Mail": "email", "Nick": "first_name"})
    assert Contact.objects.get().first_name == "Annie"
    bad = _import("Mail\nann@example.com\n", mapping={"Mail": "shoe_size"})
    assert "'shoe_size' is not a contacts field" in bad.file_error
    assert report.created == 1


@pytest.mark.django_db
def test_roles_without_import_permission_cannot_import(users):
    with pytest.raises(PermissionDenied):
        _import(GOOD, by=users["rep1"])
    with pytest.raises(PermissionDenied):
        _import("name\nBig deal\n", kind="deals", by=users["marketing"])
    assert _import(GOOD, by=users["marketing"]).created == 2


@pytest.mark.django_db
def test_import_command_prints_the_report_as_json_and_fails_when_rejected(users, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(GOOD + "bad,X,Y,,,,\n")
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("import", "contacts", str(path), "--format", "json", "--no-progress", stdout=out)
    report = json.loads(out.getvalue())
    assert report["errors"] == [{"line": 4, "column": "Email", "message": "'bad' is not a valid email address."}]
    out = StringIO()
    call_command("import", "contacts", str(path), "--mode", "good-rows", "--map", "Website=company_domain",
                 "--no-progress", stdout=out)
    assert out.getvalue().startswith("Imported contacts: 3 rows, 2 created, 0 updated, 0 unchanged, 1 with errors.")


@pytest.mark.django_db
def test_a_consent_column_reaches_the_ledger_for_contacts_it_knew_nothing_of(users):
    # when: a file says who opted in and out
    report = _import("Email,Consent\nann@example.com,opted_in\nbob@example.com,opted_out\ncy@example.com,unknown\n",
                     by=users["admin"])
    assert (report.created, report.failed) == (3, 0)
    # then: the ledger holds a channel-wide email entry from the import for each decided one, none for the unknown
    assert sorted(ConsentEntry.objects.values_list("contact__email", "channel", "status", "source")) == [
        ("ann@example.com", "email", "granted", "import"), ("bob@example.com", "email", "withdrawn", "import")]
