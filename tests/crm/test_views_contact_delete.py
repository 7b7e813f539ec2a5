"""Deleting a contact from the UI: a confirmation page, then a POST that calls the same action as the API."""

from __future__ import annotations

import pytest
from django.test import Client

from plumbline.crm.models import Activity, Contact, Deal, DealContact, LifecycleTransition


@pytest.mark.django_db
def test_the_confirmation_page_names_the_contact_says_what_goes_and_deletes_nothing(record, client_for):
    # given rep2, who owns the contact (one note, on one deal); when they open the delete page
    response = client_for("rep2").get(f"/contacts/{record.contact.pk}/delete/")
    html = response.content.decode()
    # then it asks, counts what goes with it, posts with a CSRF token and has deleted nothing yet
    assert response.status_code == 200
    assert "<h1>Delete contact Jane Doe?</h1>" in html
    assert ("<li>Deleted with it: its lifecycle history, 1 logged activity, touchpoints, scores, lead assignments "
            "and objections.</li>") in html
    assert "<li>It is taken off 1 deal; the deals stay.</li>" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert Contact.objects.filter(pk=record.contact.pk).exists()


@pytest.mark.django_db
def test_confirming_deletes_the_contact_and_returns_to_the_list_with_a_message(record, client_for):
    pk = record.contact.pk
    response = client_for("rep2").post(f"/contacts/{pk}/delete/", follow=True)
    assert response.redirect_chain == [("/contacts/", 302)]
    assert '<li class="msg-success">Contact Jane Doe deleted.</li>' in response.content.decode()
    assert not Contact.objects.filter(pk=pk).exists()
    assert (LifecycleTransition.objects.filter(contact_id=pk).count(), Activity.objects.filter(contact_id=pk).count(),
            DealContact.objects.filter(contact_id=pk).count()) == (0, 0, 0)
    assert Deal.objects.filter(pk=record.deal.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["admin", "marketing", "manager"])
def test_roles_that_may_delete_any_contact_can(record, client_for, username):
    assert client_for(username).post(f"/contacts/{record.contact.pk}/delete/").status_code == 302
    assert not Contact.objects.filter(pk=record.contact.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("username, message", [
    ("viewer", "Your role (Viewer) may not delete contacts; that needs the Admin, Marketing, Sales rep or Sales manager role."),
    ("rep1", "You may delete only the contacts you own; the Admin, Marketing and Sales manager roles may delete any."),
])
def test_a_viewer_and_a_rep_who_does_not_own_it_get_403_and_it_stays(record, client_for, username, message):
    client = client_for(username)
    page = client.get(f"/contacts/{record.contact.pk}/delete/")
    assert page.status_code == 403
    assert message in page.content.decode()
    assert client.post(f"/contacts/{record.contact.pk}/delete/").status_code == 403
    assert Contact.objects.filter(pk=record.contact.pk).exists()


@pytest.mark.django_db
def test_the_contact_page_offers_delete_only_to_those_who_may(record, client_for):
    link = f'href="/contacts/{record.contact.pk}/delete/"'
    assert link in client_for("rep2").get(f"/contacts/{record.contact.pk}/").content.decode()
    assert link not in client_for("rep1").get(f"/contacts/{record.contact.pk}/").content.decode()
    assert link not in client_for("viewer").get(f"/contacts/{record.contact.pk}/").content.decode()


@pytest.mark.django_db
def test_anonymous_post_is_sent_to_sign_in_and_deletes_nothing(record):
    response = Client().post(f"/contacts/{record.contact.pk}/delete/")
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/contacts/{record.contact.pk}/delete/"
    assert Contact.objects.filter(pk=record.contact.pk).exists()


@pytest.mark.django_db
def test_a_post_without_the_csrf_token_is_refused(record, users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["admin"])
    assert client.post(f"/contacts/{record.contact.pk}/delete/").status_code == 403
    assert Contact.objects.filter(pk=record.contact.pk).exists()


@pytest.mark.django_db
def test_other_methods_are_refused_and_a_missing_contact_is_404(record, client_for):
    admin = client_for("admin")
    assert admin.delete(f"/contacts/{record.contact.pk}/delete/").status_code == 405
    assert admin.post("/contacts/999999/delete/").status_code == 404
    assert Contact.objects.filter(pk=record.contact.pk).exists()
