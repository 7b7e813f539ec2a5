"""The preference centre: a signed link, no sign-in; GET shows, each POST is ledger rows and feed events."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from plumbline.consent.actions import do_record_consent
from plumbline.consent.links import preferences_url
from plumbline.consent.models import ConsentEntry
from plumbline.consent.queries import current_consent
from plumbline.crm.actions import do_create_contact
from plumbline.crm.models import Contact
from plumbline.events.models import Event


@pytest.fixture
def ada(db):
    contact = do_create_contact(email="ada@example.org", first_name="Ada")
    do_record_consent(contact=contact, channel="email", subscription="newsletter", granted=True, basis="consent",
                      source="form")
    return contact


def _path(contact: Contact) -> str:
    return re.sub(r"^https?://[^/]+", "", preferences_url(contact.pk))


def _states(contact: Contact) -> dict[str, str | None]:
    return {s.type.code: s.status for s in current_consent(contact)}


def test_the_page_shows_each_type_with_its_state_and_a_get_changes_nothing(ada):
    page = Client().get(_path(ada))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'value="newsletter" checked' in html and 'value="events">' in html
    assert "Product news" in html and "Not asked" in html
    assert ConsentEntry.objects.count() == 1


def test_saving_grants_and_withdraws_only_what_changed_with_the_preference_centre_as_source(ada):
    client = Client()
    answer = client.post(_path(ada), {"subscription": ["events"]})
    assert answer.status_code == 302
    assert _states(ada) == {"newsletter": "withdrawn", "product_news": None, "events": "granted"}
    new = list(ConsentEntry.objects.filter(source="preference_centre").order_by("id").values_list(
        "subscription__code", "status"))
    assert new == [("newsletter", "withdrawn"), ("events", "granted")]
    assert "user_agent" in ConsentEntry.objects.filter(source="preference_centre").first().proof
    kinds = list(Event.objects.filter(kind__startswith="consent.").order_by("id").values_list("kind", flat=True))
    assert kinds == ["consent.granted", "consent.withdrawn", "consent.granted"]
    assert "Your preferences are saved." in client.get(_path(ada)).content.decode()


def test_unsubscribe_from_everything_withdraws_all_and_opts_the_contact_out(ada):
    Client().post(_path(ada), {"everything": "1"})
    # the channel's withdrawal covers the types never asked too
    assert _states(ada) == {"newsletter": "withdrawn", "product_news": "withdrawn", "events": "withdrawn"}
    assert Contact.objects.get(pk=ada.pk).consent_status == "opted_out"
    assert list(ConsentEntry.objects.filter(source="preference_centre").order_by("id").values_list(
        "subscription__code", "status")) == [("newsletter", "withdrawn"), (None, "withdrawn")]


def test_a_forged_or_other_purpose_link_is_refused(ada):
    assert Client().get("/consent/preferences/forged/").status_code == 400
    assert Client().post("/consent/preferences/forged/", {"everything": "1"}).status_code == 400
    confirm_token = re.search(r"/consent/preferences/([^/]+)/", _path(ada)).group(1)
    assert Client().get(f"/consent/confirm/{confirm_token}/").status_code == 400
    assert ConsentEntry.objects.count() == 1


def test_an_unknown_type_posted_is_refused_and_writes_nothing(ada):
    answer = Client().post(_path(ada), {"subscription": ["gossip"]})
    assert answer.status_code == 422 and "No subscription type" in answer.content.decode()
    assert ConsentEntry.objects.count() == 1
