"""The importers only parse and map columns; the owning apps' bulk verbs apply the record's rules, write the
change feed's events in bulk and rescore what changed."""

import io

import pytest

from plumbline.crm.actions import CompanyResolver, do_create_contact, do_import_contacts, do_import_deals
from plumbline.crm.models import Company, Contact, Deal
from plumbline.events.models import Event
from plumbline.events.runner import drain, head
from plumbline.interop.actions import do_import
from plumbline.interop.models import ImportRun
from plumbline.scoring.consumers import touched_contacts
from plumbline.scoring.models import ContactScore


def _import(kind: str, text: str, **kw):
    return do_import(kind=kind, stream=io.BytesIO(text.encode()), filename="f.csv", **kw)


def _events(kind: str):
    return list(Event.objects.filter(kind=kind).order_by("id").values_list("subject_type", "subject_id", "payload"))


@pytest.mark.django_db
def test_new_contacts_announce_themselves_in_bulk_and_changed_ones_say_what_changed(users):
    do_create_contact(email="old@example.com", title="Intern")
    text = "email,title,lifecycle_stage\nann@example.com,CTO,mql\nbob@example.com,,\nold@example.com,CEO,lead\n"

    report = _import("contacts", text)

    ann, bob, old = (Contact.objects.get(email=f"{n}@example.com") for n in ("ann", "bob", "old"))
    assert (report.created, report.updated) == (2, 1)
    assert [e for e in _events("contact.created") if e[1] != old.pk] == [
        ("contact", ann.pk, {"stage": "mql", "company_id": None, "owner_id": None, "source": "import"}),
        ("contact", bob.pk, {"stage": "subscriber", "company_id": None, "owner_id": None,
                             "source": "import"}),
    ]
    assert _events("contact.updated") == [
        ("contact", old.pk, {"fields": ["lifecycle_changed_at", "lifecycle_stage", "title"], "source": "import"})]
    assert _events("lifecycle.changed") == [
        ("contact", old.pk, {"from": "subscriber", "to": "lead", "reason": "Imported from f.csv", "source": "import"})]
    assert _events("import.finished") == [("importrun", ImportRun.objects.get().pk, {"kind": "contacts"})]


@pytest.mark.django_db
def test_companies_created_or_changed_by_an_import_are_announced(users):
    _import("companies", "name,domain,industry\nAcme,acme.com,Software\n")
    _import("companies", "name,domain,industry\nAcme,acme.com,Hardware\nInitech,initech.com,\n")
    acme, initech = (Company.objects.get(domain=d) for d in ("acme.com", "initech.com"))
    assert [(e.kind, e.subject_id, e.payload) for e in Event.objects.filter(kind__startswith="company.").order_by("id")] == [
        ("company.created", acme.pk, {"source": "import"}),
        ("company.created", initech.pk, {"source": "import"}),
        ("company.updated", acme.pk, {"fields": ["industry"], "source": "import"}),
    ]


@pytest.mark.django_db
def test_a_dry_run_or_a_rejected_import_leaves_no_contact_events(users):
    _import("contacts", "email\nann@example.com\n", dry_run=True)
    _import("contacts", "email\nbob@example.com\nnot an email\n")
    assert Contact.objects.count() == 0
    assert not Event.objects.filter(kind="contact.created").exists()
    assert _events("import.undone") == [("importrun", ImportRun.objects.get().pk, {"kind": "contacts"})]


@pytest.mark.django_db
def test_contacts_whose_fit_fields_change_are_rescored_from_the_feed(users):
    ann = do_create_contact(email="ann@example.com", title="Intern")
    bob = do_create_contact(email="bob@example.com", title="CTO", first_name="Bob")
    drain()
    mark = head()
    # ann's title is read by the fit rules, bob's first name is not
    _import("contacts", "email,title,first_name\nann@example.com,CTO,\nbob@example.com,CTO,Robert\n")
    assert touched_contacts(Event.objects.filter(id__gt=mark, kind="contact.updated")) == {ann.pk: "field change"}
    assert Contact.objects.get(pk=bob.pk).first_name == "Robert"
    drain()
    assert ContactScore.objects.get(contact=ann).fit_score > 0


@pytest.mark.django_db
def test_the_contact_verb_refuses_an_illegal_move_without_writing_the_row(users):
    ann = do_create_contact(email="ann@example.com", lifecycle_stage="customer")
    rows = [{"email": "ann@example.com", "lifecycle_stage": "lead", "title": "CTO"},
            {"email": "cy@example.com", "first_name": "Cy"}]

    results = do_import_contacts(rows=rows, companies=CompanyResolver())

    assert [(r.outcome, [e.field for e in r.errors]) for r in results] == [
        ("", ["lifecycle_stage"]), ("create", [])]
    assert (Contact.objects.get(pk=ann.pk).lifecycle_stage, Contact.objects.get(pk=ann.pk).title) == ("customer", "")
    assert Contact.objects.get(email="cy@example.com").first_name == "Cy"


@pytest.mark.django_db
def test_the_deal_verb_closes_a_deal_moved_to_a_won_stage(users, pipeline):
    won = pipeline.stages.get(kind="won")
    rows = [{"name": "Pilot", "pipeline": pipeline, "stage": None, "company_name": "Acme"}]
    do_import_deals(rows=rows, companies=CompanyResolver())
    deal = Deal.objects.get()
    assert (deal.status, deal.closed_at) == ("open", None)

    [result] = do_import_deals(rows=[{**rows[0], "stage": won}], companies=CompanyResolver())

    deal.refresh_from_db()
    assert (result.outcome, deal.stage, deal.status, deal.closed_at is not None) == ("update", won, "won", True)
    first = pipeline.stages.order_by("position").first()
    assert [(e.kind, e.subject_id) for e in Event.objects.order_by("id")] == [
        ("company.created", deal.company_id), ("deal.created", deal.pk), ("deal.moved", deal.pk),
        ("deal.won", deal.pk)]
    assert Event.objects.get(kind="deal.won").payload == {
        "from_stage_id": first.pk, "to_stage_id": won.pk, "reason": "", "source": "import"}
