"""New contacts and their lifecycle transitions are written in bulk (COPY on PostgreSQL, INSERT elsewhere)."""

import io

import pytest
from django.db import IntegrityError, connection
from django.utils import timezone

from plumbline.core import bulk
from plumbline.crm.actions.imports import NEW_CONTACT_COLUMNS
from plumbline.crm.models import Company, Contact, LifecycleTransition
from plumbline.interop.actions import do_import

TEXT = (
    "email,first_name,last_name,title,company_domain,company_name,owner,lifecycle_stage,lifecycle_reason\n"
    "ann@example.com,Ann,\"Tab\there, back\\\\slash\",CTO,example.com,Example Corp,rep1,lead,\n"
    "bob@example.com,Bob,\"New\nline\",,,,,,\n"
    "cy@other.org,Cy,Émile 日本,,,,,customer,Signed in person\n"
)


def _import(**kw):
    return do_import(kind="contacts", stream=io.BytesIO(TEXT.encode()), filename="c.csv", **kw)


@pytest.mark.django_db
@pytest.mark.parametrize("copy", [True, False])
def test_copy_and_insert_paths_write_the_same_contacts_and_transitions(users, monkeypatch, copy):
    if copy and connection.vendor != "postgresql":
        pytest.skip("COPY is the PostgreSQL path")
    real = bulk.insert_rows
    monkeypatch.setattr(bulk, "insert_rows", lambda *args, **kw: real(*args, **kw, copy=copy))
    report = _import(by=users["admin"])
    assert (report.created, report.updated, report.failed) == (3, 0, 0), report.errors
    example = Company.objects.get(domain="example.com")
    rows = list(Contact.objects.order_by("email").values_list(
        "email", "first_name", "last_name", "title", "company_id", "owner__username", "lifecycle_stage",
        "consent_status", "custom"))
    assert rows == [
        ("ann@example.com", "Ann", "Tab\there, back\\\\slash", "CTO", example.pk, "rep1", "lead", "unknown", {}),
        ("bob@example.com", "Bob", "New\nline", "", example.pk, None, "subscriber", "unknown", {}),
        ("cy@other.org", "Cy", "Émile 日本", "", None, None, "customer", "unknown", {}),
    ]
    contacts = Contact.objects.all()
    assert all(c.created_at == c.updated_at == c.lifecycle_changed_at for c in contacts)
    transitions = list(LifecycleTransition.objects.order_by("id").values_list(
        "contact__email", "from_stage", "to_stage", "reason", "source", "by__username"))
    assert transitions == [
        ("ann@example.com", "", "lead", "Imported from c.csv", "import", "admin"),
        ("bob@example.com", "", "subscriber", "Imported from c.csv", "import", "admin"),
        ("cy@other.org", "", "customer", "Signed in person", "import", "admin"),
    ]
    # importing the file again creates nothing
    again = _import(by=users["admin"], mode="good-rows")
    assert (again.created, again.updated, again.unchanged, again.failed) == (0, 0, 3, 0)
    assert (Contact.objects.count(), LifecycleTransition.objects.count()) == (3, 3)


@pytest.mark.django_db
def test_dry_run_of_new_contacts_writes_nothing(users):
    report = _import(dry_run=True)
    assert report.created == 3
    assert (Contact.objects.count(), LifecycleTransition.objects.count(), Company.objects.count()) == (0, 0, 0)


@pytest.mark.django_db
def test_a_duplicate_key_from_the_bulk_write_is_an_integrity_error():
    # the importer turns an IntegrityError into a per-row "retry" error, so COPY must raise Django's class too
    now = timezone.now()
    rows = [("dup@example.com", "", "", "", "", "", "unknown", None, None, "lead", now, {}, now, now)]
    bulk.insert_rows(Contact, NEW_CONTACT_COLUMNS, rows)
    with pytest.raises(IntegrityError):
        bulk.insert_rows(Contact, NEW_CONTACT_COLUMNS, rows)
