import csv
import io
from io import StringIO

import pytest
from django.core.management import call_command

from plumbline.crm.actions import do_create_company, do_create_contact, do_create_deal
from plumbline.crm.models import Contact
from plumbline.interop.actions import do_import
from plumbline.interop.exporters import export_rows
from plumbline.marketing.actions import do_create_campaign, do_record_touchpoints


@pytest.mark.django_db
def test_every_kind_exports_and_imports_back_without_changes(users, pipeline):
    acme = do_create_company(name="Acme", domain="acme.com", employee_count=50, country="DE")
    do_create_contact(email="ann@acme.com", first_name="=cmd()", title="CTO", owner=users["rep1"])
    do_create_deal(name="Big deal", company=acme, amount=1000)
    do_create_campaign(name="Spring webinar", channel="webinar")
    do_record_touchpoints(items=[{"contact_email": "ann@acme.com", "kind": "webinar_attended",
                                  "utm_campaign": "spring-webinar", "occurred_at": "2026-03-01T10:00:00Z"}])
    for kind in ("companies", "contacts", "deals", "touchpoints"):
        text = "".join(export_rows(kind))
        report = do_import(kind=kind, stream=io.BytesIO(text.encode()))
        assert (report.created, report.updated, report.unchanged, report.failed) == (0, 0, 1, 0), kind
    assert Contact.objects.get().first_name == "=cmd()"


@pytest.mark.django_db
def test_export_command_writes_the_importer_header_and_escapes_formulas(users, tmp_path):
    do_create_contact(email="ann@acme.com", first_name="=cmd()")
    out = StringIO()
    call_command("export", "contacts", stdout=out)
    rows = list(csv.reader(StringIO(out.getvalue())))
    assert rows[0] == ["email", "first_name", "last_name", "title", "phone", "company_domain", "company_name",
                       "owner", "source", "consent_status", "lifecycle_stage"]
    assert rows[1][:2] == ["ann@acme.com", "'=cmd()"]
    path = tmp_path / "c.csv"
    call_command("export", "contacts", "-o", str(path), stderr=StringIO())
    assert path.read_text().splitlines()[1].startswith("ann@acme.com,'=cmd()")
