"""Deleting a deal from the UI: a confirmation page, then a POST that calls the same action as the API."""

from __future__ import annotations

import pytest
from django.test import Client

from plumbline.crm.actions import do_log_activity
from plumbline.crm.models import Activity, Deal, DealContact, DealTransition


@pytest.mark.django_db
def test_the_confirmation_page_names_the_deal_and_deletes_nothing(record, client_for):
    # given the deal's owner and one activity logged on the deal
    do_log_activity(kind="note", deal=record.deal, subject="Pricing call")
    # when they open the delete page
    response = client_for("rep2").get(f"/deals/{record.deal.pk}/delete/")
    html = response.content.decode()
    # then it asks, says what goes with the deal, posts with a CSRF token and has deleted nothing yet
    assert response.status_code == 200
    assert "<h1>Delete deal Acme expansion?</h1>" in html
    assert ("<li>Deleted with it: its stage history, its contacts&#x27; roles on it, 1 logged activity, "
            "qualification answers and objections.</li>") in html
    assert '<form method="post" class="form-actions">' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert f'href="/deals/{record.deal.pk}/"' in html
    assert Deal.objects.filter(pk=record.deal.pk).exists()


@pytest.mark.django_db
def test_confirming_deletes_the_deal_with_its_history_and_returns_to_its_board(record, client_for, pipeline):
    do_log_activity(kind="note", deal=record.deal, subject="Pricing call")
    pk = record.deal.pk
    response = client_for("rep2").post(f"/deals/{pk}/delete/", follow=True)
    assert response.redirect_chain == [(f"/deals/?pipeline={pipeline.pk}", 302)]
    assert '<li class="msg-success">Deal Acme expansion deleted.</li>' in response.content.decode()
    assert not Deal.objects.filter(pk=pk).exists()
    assert (DealTransition.objects.filter(deal_id=pk).count(), DealContact.objects.filter(deal_id=pk).count(),
            Activity.objects.filter(deal_id=pk).count()) == (0, 0, 0)
    assert list(Deal.objects.values_list("name", flat=True)) == ["Rep1 deal"]


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["rep1", "viewer", "marketing"])
def test_roles_that_may_not_delete_the_deal_get_403_and_it_stays(record, client_for, username):
    client = client_for(username)
    assert client.get(f"/deals/{record.deal.pk}/delete/").status_code == 403
    assert client.post(f"/deals/{record.deal.pk}/delete/").status_code == 403
    assert Deal.objects.filter(pk=record.deal.pk).exists()


@pytest.mark.django_db
def test_the_detail_page_offers_delete_only_to_those_who_may(record, client_for):
    link = f'href="/deals/{record.deal.pk}/delete/"'
    assert link in client_for("manager").get(f"/deals/{record.deal.pk}/").content.decode()
    assert link not in client_for("rep1").get(f"/deals/{record.deal.pk}/").content.decode()
    assert link not in client_for("viewer").get(f"/deals/{record.deal.pk}/").content.decode()


@pytest.mark.django_db
def test_anonymous_post_is_sent_to_sign_in_and_deletes_nothing(record):
    response = Client().post(f"/deals/{record.deal.pk}/delete/")
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/deals/{record.deal.pk}/delete/"
    assert Deal.objects.filter(pk=record.deal.pk).exists()


@pytest.mark.django_db
def test_a_post_without_the_csrf_token_is_refused(record, users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["admin"])
    assert client.post(f"/deals/{record.deal.pk}/delete/").status_code == 403
    assert Deal.objects.filter(pk=record.deal.pk).exists()


@pytest.mark.django_db
def test_other_methods_are_refused_and_a_missing_deal_is_404(record, client_for):
    admin = client_for("admin")
    assert admin.delete(f"/deals/{record.deal.pk}/delete/").status_code == 405
    assert admin.post("/deals/999999/delete/").status_code == 404
    assert Deal.objects.filter(pk=record.deal.pk).exists()
