"""Deleting a company from the UI: a confirmation page, then a POST that calls the same action as the API."""

from __future__ import annotations

import pytest
from django.test import Client

from plumbline.crm.actions import do_log_activity
from plumbline.crm.models import Activity, Company, Contact, Deal


@pytest.mark.django_db
def test_the_confirmation_page_names_the_company_says_what_goes_and_deletes_nothing(record, client_for):
    # given rep2, who owns Acme (one contact, one deal, two activities); when they open the delete page
    do_log_activity(kind="note", company=record.company, subject="Org chart")
    response = client_for("rep2").get(f"/companies/{record.company.pk}/delete/")
    html = response.content.decode()
    # then it asks, says what stays and what goes, and has deleted nothing yet
    assert response.status_code == 200
    assert "<h1>Delete company Acme?</h1>" in html
    assert "<li>Its 1 contact and 1 deal stay, without a company.</li>" in html
    assert "<li>Deleted with it: 2 logged activities.</li>" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert Company.objects.filter(pk=record.company.pk).exists()


@pytest.mark.django_db
def test_confirming_deletes_the_company_keeps_its_people_and_deals_and_returns_to_the_list(record, client_for):
    pk = record.company.pk
    response = client_for("rep2").post(f"/companies/{pk}/delete/", follow=True)
    assert response.redirect_chain == [("/companies/", 302)]
    assert '<li class="msg-success">Company Acme deleted.</li>' in response.content.decode()
    assert not Company.objects.filter(pk=pk).exists()
    assert Contact.objects.get(pk=record.contact.pk).company_id is None
    assert Deal.objects.get(pk=record.deal.pk).company_id is None
    assert Activity.objects.filter(company_id=pk).count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["admin", "marketing", "manager"])
def test_roles_that_may_delete_any_company_can(record, client_for, username):
    assert client_for(username).post(f"/companies/{record.company.pk}/delete/").status_code == 302
    assert not Company.objects.filter(pk=record.company.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("username, message", [
    ("viewer", "Your role (Viewer) may not delete companies; that needs the Admin, Marketing, Sales rep or Sales manager role."),
    ("rep1", "You may delete only the companies you own; the Admin, Marketing and Sales manager roles may delete any."),
])
def test_a_viewer_and_a_rep_who_does_not_own_it_get_403_and_it_stays(record, client_for, username, message):
    client = client_for(username)
    page = client.get(f"/companies/{record.company.pk}/delete/")
    assert page.status_code == 403
    assert message in page.content.decode()
    assert client.post(f"/companies/{record.company.pk}/delete/").status_code == 403
    assert Company.objects.filter(pk=record.company.pk).exists()


@pytest.mark.django_db
def test_the_company_page_offers_delete_only_to_those_who_may(record, client_for):
    link = f'href="/companies/{record.company.pk}/delete/"'
    assert link in client_for("marketing").get(f"/companies/{record.company.pk}/").content.decode()
    assert link not in client_for("rep1").get(f"/companies/{record.company.pk}/").content.decode()
    assert link not in client_for("viewer").get(f"/companies/{record.company.pk}/").content.decode()


@pytest.mark.django_db
def test_anonymous_post_is_sent_to_sign_in_and_deletes_nothing(record):
    response = Client().post(f"/companies/{record.company.pk}/delete/")
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/companies/{record.company.pk}/delete/"
    assert Company.objects.filter(pk=record.company.pk).exists()


@pytest.mark.django_db
def test_a_post_without_the_csrf_token_is_refused(record, users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["admin"])
    assert client.post(f"/companies/{record.company.pk}/delete/").status_code == 403
    assert Company.objects.filter(pk=record.company.pk).exists()


@pytest.mark.django_db
def test_other_methods_are_refused_and_a_missing_company_is_404(record, client_for):
    admin = client_for("admin")
    assert admin.put(f"/companies/{record.company.pk}/delete/").status_code == 405
    assert admin.post("/companies/999999/delete/").status_code == 404
    assert Company.objects.filter(pk=record.company.pk).exists()
