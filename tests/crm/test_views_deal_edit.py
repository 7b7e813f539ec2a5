"""Editing a deal's own fields from its page: the same action as PATCH /api/v1/deals/{id}."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from plumbline.crm.actions import do_create_company
from plumbline.crm.models import Deal, DealTransition
from tests.ui.test_forms import field_error

FORM = {"name": "Acme renewal", "amount": "15000.50", "currency": "eur", "expected_close_date": "2030-06-30",
        "company": "initech.io", "owner": ""}


def _stored(deal: Deal) -> tuple:
    d = Deal.objects.get(pk=deal.pk)
    return d.name, d.amount, d.currency, d.expected_close_date, d.owner_id, d.company_id, d.stage_id


@pytest.mark.django_db
def test_owner_sees_the_form_filled_with_the_deal_and_without_pipeline_or_contact_inputs(record, client_for):
    # given rep2, who owns the deal; when they open its edit page
    response = client_for("rep2").get(f"/deals/{record.deal.pk}/edit/")
    html = response.content.decode()
    # then the deal's values fill the form and stage/pipeline/contacts are not editable here
    assert response.status_code == 200
    assert '<h1>Edit Acme expansion</h1>' in html
    assert 'name="name" value="Acme expansion"' in html
    assert 'name="amount" value="12000.00"' in html
    assert 'name="company" value="acme.com"' in html
    assert 'name="pipeline"' not in html
    assert 'name="contact"' not in html
    assert 'name="csrfmiddlewaretoken"' in html


@pytest.mark.django_db
def test_saving_the_form_changes_the_deal_and_records_no_move(record, client_for, users):
    # given a second company and the deal's owner
    initech = do_create_company(name="Initech", domain="initech.io")
    stage_before = record.deal.stage_id
    # when the owner saves new values, naming the owner and trying to slip in a stage
    response = client_for("rep2").post(f"/deals/{record.deal.pk}/edit/",
                                       {**FORM, "owner": users["rep2"].pk, "stage": "999", "pipeline": "999"})
    # then the deal holds exactly the new values, still in its stage, with no new transition
    assert response.status_code == 302
    assert response["Location"] == f"/deals/{record.deal.pk}/"
    assert _stored(record.deal) == ("Acme renewal", Decimal("15000.50"), "EUR", dt.date(2030, 6, 30),
                                    users["rep2"].pk, initech.pk, stage_before)
    assert DealTransition.objects.filter(deal=record.deal).count() == 1


@pytest.mark.django_db
def test_the_deal_page_confirms_the_save_and_links_to_edit_and_delete(record, client_for):
    client = client_for("manager")
    response = client.post(f"/deals/{record.deal.pk}/edit/", {**FORM, "company": ""}, follow=True)
    html = response.content.decode()
    assert '<li class="msg-success">Deal saved.</li>' in html
    assert f'href="/deals/{record.deal.pk}/edit/"' in html
    assert f'href="/deals/{record.deal.pk}/delete/"' in html
    assert Deal.objects.get(pk=record.deal.pk).company_id is None


@pytest.mark.django_db
def test_negative_amount_is_an_inline_error_and_changes_nothing(record, client_for):
    before = _stored(record.deal)
    response = client_for("admin").post(f"/deals/{record.deal.pk}/edit/", {**FORM, "amount": "-5"})
    assert response.status_code == 400
    assert "Ensure this value is greater than or equal to 0." in field_error(response.content.decode(), "amount")
    assert _stored(record.deal) == before


@pytest.mark.django_db
def test_unknown_company_and_empty_name_are_inline_errors_and_change_nothing(record, client_for):
    before = _stored(record.deal)
    response = client_for("admin").post(f"/deals/{record.deal.pk}/edit/",
                                        {**FORM, "name": "", "company": "Nowhere Ltd"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "This field is required." in field_error(html, "name")
    assert "No company named or at &#x27;Nowhere Ltd&#x27;; create it first." in field_error(html, "company")
    assert "<h1>Edit Acme expansion</h1>" in html
    assert _stored(record.deal) == before


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["rep1", "viewer", "marketing"])
def test_roles_that_may_not_change_the_deal_get_403_on_get_and_post(record, client_for, username):
    # given rep1 (not the owner), a viewer and marketing (deals are read-only to them)
    before = _stored(record.deal)
    client = client_for(username)
    # when they open or post the edit page, then they are refused and the deal is untouched
    assert client.get(f"/deals/{record.deal.pk}/edit/").status_code == 403
    assert client.post(f"/deals/{record.deal.pk}/edit/", FORM).status_code == 403
    assert _stored(record.deal) == before


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in_and_change_nothing(record):
    before = _stored(record.deal)
    response = Client().post(f"/deals/{record.deal.pk}/edit/", FORM)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/deals/{record.deal.pk}/edit/"
    assert _stored(record.deal) == before


@pytest.mark.django_db
def test_a_post_without_the_csrf_token_is_refused(record, users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["admin"])
    before = _stored(record.deal)
    assert client.post(f"/deals/{record.deal.pk}/edit/", FORM).status_code == 403
    assert _stored(record.deal) == before


@pytest.mark.django_db
def test_editing_a_missing_deal_is_404(record, client_for):
    assert client_for("admin").get("/deals/999999/edit/").status_code == 404
