import pytest

from plumbline.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from plumbline.crm.actions import (
    do_change_lifecycle,
    do_create_company,
    do_create_contact,
    do_update_contact,
)
from plumbline.crm.models import Contact, CustomField, LifecycleTransition


@pytest.mark.django_db
def test_contact_email_is_normalised_and_linked_to_company_by_domain():
    acme = do_create_company(name="Acme", domain="https://www.ACME.com/about")
    contact = do_create_contact(email="  Jane.Doe@Acme.COM ", first_name="Jane")
    assert acme.domain == "acme.com"
    assert contact.email == "jane.doe@acme.com"
    assert contact.company_id == acme.pk


@pytest.mark.django_db
def test_company_created_later_adopts_contacts_at_its_domain():
    contact = do_create_contact(email="bob@globex.io")
    globex = do_create_company(name="Globex", domain="globex.io")
    contact.refresh_from_db()
    assert contact.company_id == globex.pk


@pytest.mark.django_db
def test_duplicate_email_differing_in_case_and_space_is_a_conflict():
    do_create_contact(email="sam@example.com")
    with pytest.raises(Conflict) as exc:
        do_create_contact(email=" SAM@example.com")
    assert exc.value.field == "email"
    assert Contact.objects.count() == 1


@pytest.mark.django_db
def test_invalid_email_is_refused_with_its_field():
    with pytest.raises(DomainError) as exc:
        do_create_contact(email="not-an-email")
    assert exc.value.field == "email"
    assert Contact.objects.count() == 0


@pytest.mark.django_db
def test_oversized_name_is_refused_and_nothing_is_written():
    with pytest.raises(ValidationFailed) as exc:
        do_create_contact(email="long@example.com", first_name="x" * 101)
    assert exc.value.errors[0].field == "first_name"
    assert Contact.objects.count() == 0
    assert LifecycleTransition.objects.count() == 0


@pytest.mark.django_db
def test_creation_records_the_first_lifecycle_transition():
    contact = do_create_contact(email="a@example.com", lifecycle_stage="lead")
    rows = list(LifecycleTransition.objects.filter(contact=contact).values_list("from_stage", "to_stage"))
    assert rows == [("", "lead")]


@pytest.mark.django_db
def test_lifecycle_moves_forward_and_records_who_and_why(users):
    contact = do_create_contact(email="a@example.com", lifecycle_stage="lead")
    do_change_lifecycle(by=users["marketing"], contact=contact, to_stage="mql", reason="Score 72")
    contact.refresh_from_db()
    last = LifecycleTransition.objects.filter(contact=contact).first()
    assert contact.lifecycle_stage == "mql"
    assert (last.from_stage, last.to_stage, last.by, last.reason) == ("lead", "mql", users["marketing"], "Score 72")


@pytest.mark.django_db
def test_illegal_lifecycle_move_is_refused_and_history_unchanged():
    contact = do_create_contact(email="c@example.com", lifecycle_stage="customer")
    with pytest.raises(DomainError) as exc:
        do_change_lifecycle(contact=contact, to_stage="lead", reason="why not")
    assert exc.value.code == "illegal_move"
    contact.refresh_from_db()
    assert contact.lifecycle_stage == "customer"
    assert LifecycleTransition.objects.filter(contact=contact).count() == 1


@pytest.mark.django_db
def test_recycling_to_lead_needs_a_reason():
    contact = do_create_contact(email="m@example.com", lifecycle_stage="mql")
    with pytest.raises(DomainError) as exc:
        do_change_lifecycle(contact=contact, to_stage="lead")
    assert exc.value.field == "reason"
    do_change_lifecycle(contact=contact, to_stage="lead", reason="Bad timing")
    assert contact.lifecycle_stage == "lead"


@pytest.mark.django_db
def test_sales_rep_edits_only_own_contacts(users):
    mine = do_create_contact(by=users["rep1"], email="mine@example.com")
    theirs = do_create_contact(by=users["rep2"], email="theirs@example.com")
    assert mine.owner == users["rep1"]
    do_update_contact(by=users["rep1"], contact=mine, changes={"title": "CTO"})
    with pytest.raises(PermissionDenied):
        do_update_contact(by=users["rep1"], contact=theirs, changes={"title": "CTO"})


@pytest.mark.django_db
def test_viewer_cannot_create_contacts(users):
    with pytest.raises(PermissionDenied):
        do_create_contact(by=users["viewer"], email="v@example.com")


@pytest.mark.django_db
def test_custom_fields_are_typed():
    CustomField.objects.create(applies_to="contact", key="seats", label="Seats", type="number")
    contact = do_create_contact(email="x@example.com", custom={"seats": "12"})
    assert contact.custom == {"seats": 12}
    with pytest.raises(ValidationFailed) as exc:
        do_update_contact(contact=contact, changes={"custom": {"seats": "many"}})
    assert exc.value.errors[0].field == "custom.seats"
    with pytest.raises(ValidationFailed):
        do_update_contact(contact=contact, changes={"custom": {"unknown": 1}})
