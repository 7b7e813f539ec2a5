"""Merging from the UI: find the duplicate (or pick a suggestion), compare field by field, merge, undo."""

from __future__ import annotations

import pytest
from django.test import Client

from plumbline.crm.actions import do_create_company, do_create_contact
from plumbline.crm.models import Contact, ContactMerge
from plumbline.marketing.actions import do_record_touchpoint
from plumbline.marketing.models import Touchpoint


@pytest.fixture
def twins(users):
    acme = do_create_company(name="Acme", domain="acme.com")
    jane = do_create_contact(email="jane@acme.com", first_name="Jane", last_name="Doe", owner=users["rep2"])
    dup = do_create_contact(email="jdoe@gmail.com", first_name="jane", last_name="DOE", title="CFO", company=acme,
                            owner=users["rep2"])
    do_create_contact(email="john@acme.com", first_name="John", last_name="Roe")
    touch = do_record_touchpoint(contact_id=dup.pk, kind="webinar_attended", channel="webinar")
    return jane, dup, touch


@pytest.mark.django_db
def test_the_merge_page_suggests_duplicates_and_finds_one_by_email(twins, client_for):
    jane, dup, _ = twins
    client = client_for("rep2")
    html = client.get(f"/contacts/{jane.pk}/").content.decode()
    assert f'href="/contacts/{jane.pk}/merge/">Merge a duplicate</a>' in html
    page = client.get(f"/contacts/{jane.pk}/merge/").content.decode()
    assert f'href="/contacts/{jane.pk}/merge/?other={dup.pk}">jane DOE</a>' in page  # same name, any case
    assert "John Roe" not in page
    found = client.get(f"/contacts/{jane.pk}/merge/?find=JDOE@gmail.com")
    html = found.content.decode()
    assert found.status_code == 200
    assert f'<input type="hidden" name="other" value="{dup.pk}">' in html
    assert "1 touchpoints" in html or "1 touchpoint" in html
    # the title differs and Jane's is blank: the duplicate's is picked by default
    assert '<input type="radio" name="keep_title" value="other" checked>' in html
    assert '<input type="radio" name="keep_first_name" value="survivor" checked>' in html
    assert f'href="/contacts/{dup.pk}/merge/?other={jane.pk}">Keep jdoe@gmail.com instead</a>' in html
    missing = client.get(f"/contacts/{jane.pk}/merge/?find=nobody@example.com")
    assert missing.status_code == 404 and "No contact with email nobody@example.com." in missing.content.decode()


@pytest.mark.django_db
def test_merging_and_undoing_from_the_contact_page(twins, client_for):
    jane, dup, touch = twins
    client = client_for("rep2")
    response = client.post(f"/contacts/{jane.pk}/merge/", {"other": dup.pk, "keep_first_name": "survivor",
                                                           "keep_title": "other", "keep_company": "other"},
                           follow=True)
    assert response.redirect_chain == [(f"/contacts/{jane.pk}/", 302)]
    html = response.content.decode()
    assert "Merged jdoe@gmail.com into this contact." in html
    merge = ContactMerge.objects.get()
    assert f'href="/merges/{merge.pk}/undo/">Undo…</a>' in html
    confirm = client.get(f"/merges/{merge.pk}/undo/").content.decode()
    assert "Undo the merge of jdoe@gmail.com into Jane Doe?" in confirm
    assert "2 rows (activities, touchpoints, deal roles and the like) move back to it from Jane Doe." in confirm
    assert "Jane Doe gets back its own title where nobody has changed it since." in confirm
    assert Touchpoint.objects.get(pk=touch.pk).contact_id == jane.pk  # asking undid nothing
    kept = Contact.objects.get(pk=jane.pk)
    assert (kept.first_name, kept.title, kept.company.name) == ("Jane", "CFO", "Acme")
    assert Touchpoint.objects.get(pk=touch.pk).contact_id == jane.pk and not Contact.objects.filter(pk=dup.pk).exists()
    undone = client.post(f"/merges/{merge.pk}/undo/", follow=True)
    assert undone.redirect_chain == [(f"/contacts/{dup.pk}/", 302)]
    assert "Merge undone: jdoe@gmail.com is back with its own history." in undone.content.decode()
    assert Touchpoint.objects.get(pk=touch.pk).contact_id == dup.pk
    assert Contact.objects.get(pk=jane.pk).title == ""
    again = client.post(f"/merges/{merge.pk}/undo/", follow=True)
    assert "This merge was already undone." in again.content.decode()


@pytest.mark.django_db
def test_merge_refusals_and_permissions(twins, client_for, users):
    jane, dup, _ = twins
    assert client_for("viewer").get(f"/contacts/{jane.pk}/merge/").status_code == 403
    assert client_for("rep1").get(f"/contacts/{jane.pk}/merge/").status_code == 403  # rep2's contact
    itself = client_for("rep2").post(f"/contacts/{jane.pk}/merge/?other={jane.pk}", {"other": jane.pk})
    assert itself.status_code == 400 and "That is this contact" in itself.content.decode()
    mine = do_create_contact(email="mine@example.com", owner=users["rep1"])
    refused = client_for("rep1").post(f"/contacts/{mine.pk}/merge/", {"other": dup.pk})
    assert refused.status_code == 403  # rep1 may not delete rep2's contact
    assert Contact.objects.filter(pk=dup.pk).exists() and not ContactMerge.objects.exists()
    anonymous = Client().get(f"/contacts/{jane.pk}/merge/")
    assert anonymous.status_code == 302


@pytest.mark.django_db
def test_a_merged_away_contacts_address_leads_to_the_survivor_with_a_note(twins, client_for, users):
    # given jdoe@gmail.com merged into Jane
    jane, dup, _ = twins
    client = client_for("rep2")
    client.post(f"/contacts/{jane.pk}/merge/", {"other": dup.pk})

    # when someone opens the merged-away contact's page
    response = client.get(f"/contacts/{dup.pk}/", follow=True)

    # then they land on Jane's page, told where the contact went
    assert response.redirect_chain == [(f"/contacts/{jane.pk}/", 302)]
    assert "jdoe@gmail.com was merged into Jane Doe on " in response.content.decode()


@pytest.mark.django_db
def test_a_chain_of_merges_leads_to_the_last_survivor_and_an_unknown_id_is_a_404_page(twins, client_for, users):
    jane, dup, _ = twins
    third = do_create_contact(email="jane.doe@home.example", first_name="Jane", last_name="Doe", owner=users["rep2"])
    client = client_for("rep2")
    client.post(f"/contacts/{jane.pk}/merge/", {"other": dup.pk})  # dup -> jane
    client.post(f"/contacts/{third.pk}/merge/", {"other": jane.pk})  # jane -> third

    response = client.get(f"/contacts/{dup.pk}/")
    missing = client.get("/contacts/987654/")

    assert response.status_code == 302 and response["Location"] == f"/contacts/{third.pk}/"
    assert missing.status_code == 404 and "There is nothing at this address" in missing.content.decode()


@pytest.mark.django_db
def test_undo_confirmation_is_refused_to_who_may_not_undo(twins, client_for):
    jane, dup, _ = twins
    client_for("rep2").post(f"/contacts/{jane.pk}/merge/", {"other": dup.pk})
    merge = ContactMerge.objects.get()
    assert client_for("viewer").get(f"/merges/{merge.pk}/undo/").status_code == 403
    assert client_for("rep1").get(f"/merges/{merge.pk}/undo/").status_code == 403
