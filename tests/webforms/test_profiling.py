"""Progressive profiling: a known visitor is asked only what is not known yet, at most N fields per view."""

from __future__ import annotations

import pytest
from django.test import Client

from plumbline.crm.actions import do_create_contact
from plumbline.crm.models import Contact
from plumbline.tracking.actions import do_identify
from plumbline.webforms.actions import do_update_form
from plumbline.webforms.models import Submission
from plumbline.webforms.queries import known_contact_token
from tests.webforms.conftest import submit, visitor

pytestmark = pytest.mark.django_db


@pytest.fixture
def profiling(newsletter):
    return do_update_form(by=None, form=newsletter, changes={"profiling_max_fields": 2})


@pytest.fixture
def ada(db):
    return do_create_contact(by=None, email="ada@example.com", first_name="Ada")


def asked(**query: str) -> list[str]:
    response = Client().get("/f/newsletter/schema.json", query)
    assert response.status_code == 200
    return [f["key"] for f in response.json()["fields"]]


def test_an_unknown_visitor_is_asked_every_field(profiling):
    assert asked() == ["email", "first_name", "last_name", "company", "title", "newsletter", "events",
                       "utm_campaign"]


def test_a_known_token_asks_at_most_n_unknown_fields_plus_consent_and_hidden(profiling, ada):
    # Ada's email and first name are known: the next two unknown fields, the consent boxes and the hidden field
    assert asked(k=known_contact_token(ada)) == ["last_name", "company", "newsletter", "events", "utm_campaign"]


def test_a_visitor_stitched_to_a_contact_is_known(profiling, ada):
    vid = visitor()
    do_identify(visitor_id=vid, contact=ada, source="test")
    assert asked(vid=vid) == ["last_name", "company", "newsletter", "events", "utm_campaign"]


def test_a_forged_token_is_a_stranger(profiling, ada):
    assert asked(k=known_contact_token(ada) + "x")[0] == "email"


def test_without_profiling_a_known_visitor_gets_every_field(newsletter, ada):
    assert asked(k=known_contact_token(ada))[:2] == ["email", "first_name"]


def test_the_next_view_asks_the_next_fields_and_the_answers_land_on_the_contact(profiling, ada):
    token = known_contact_token(ada)
    # When Ada submits the two fields asked, without her email
    assert submit("newsletter", {"k": token, "last_name": "Lovelace", "company": "Engines"}).status_code == 201
    ada.refresh_from_db()
    assert (ada.last_name, ada.company.name, Contact.objects.count()) == ("Lovelace", "Engines", 1)
    assert Submission.objects.get().contact_id == ada.pk
    # Then the next view asks what is still unknown
    assert asked(k=token) == ["title", "newsletter", "events", "utm_campaign"]
