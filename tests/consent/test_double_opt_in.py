"""Double opt-in end to end: request -> the email through a real SMTP server -> the link's GET changes nothing
-> the button's POST (with its CSRF token) grants."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import Client

from plumbline.consent import links
from plumbline.consent.actions import do_confirm_opt_in, do_record_consent, do_request_opt_in
from plumbline.consent.models import ConsentEntry
from plumbline.crm.actions import do_create_contact
from plumbline.events.models import Event


def _run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def _link_path(message, settings) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"\S+/consent/confirm/\S+/", body).group(0)
    assert link.startswith(settings.PUBLIC_BASE_URL)
    return link[len(settings.PUBLIC_BASE_URL):]


def _csrf(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


@pytest.mark.django_db(transaction=True)
def test_the_confirmation_email_link_grants_only_on_the_button_press(seeded, smtp, settings):
    contact = do_create_contact(email="grace@example.org", first_name="Grace", last_name="Hopper")
    # given: a form asked for the newsletter (double opt-in)
    request = do_request_opt_in(contact=contact, subscription="newsletter", source="form",
                                proof={"form": "signup", "text": "Send me the newsletter", "version": 2,
                                       "ip": "198.51.100.7"})
    assert request.status == "requested"
    contact.refresh_from_db()
    assert contact.consent_status == "unknown"
    # when: the worker sends the email
    _run_worker()
    # then: one email reached the SMTP server, to the contact, with the link
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert (message["To"], message["Subject"]) == ("grace@example.org", "Confirm your subscription: Newsletter")
    path = _link_path(message, settings)
    # when: a link scanner GETs the link: the page shows, nothing changes
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get(path)
    assert page.status_code == 200 and "Confirm your subscription" in page.content.decode()
    assert list(ConsentEntry.objects.values_list("status", flat=True)) == ["requested"]
    # and: a POST without the page's CSRF token is refused
    assert Client(enforce_csrf_checks=True).post(path).status_code == 403
    # when: the person presses Confirm
    done = visitor.post(path, {"csrfmiddlewaretoken": _csrf(page.content.decode())})
    # then: granted, from the confirmation, pointing at the request; the contact is opted in; one event each
    assert done.status_code == 200 and "you are subscribed" in done.content.decode()
    granted = ConsentEntry.objects.get(status="granted")
    assert (granted.subscription.code, granted.source, granted.proof["confirms_entry"]) == (
        "newsletter", "confirmation", request.pk)
    assert "ip_hash" in granted.proof
    contact.refresh_from_db()
    assert contact.consent_status == "opted_in"
    assert list(Event.objects.filter(kind__startswith="consent.").order_by("id").values_list("kind", flat=True)) == [
        "consent.requested", "consent.granted"]
    # and: pressing again changes nothing
    again = visitor.post(path, {"csrfmiddlewaretoken": _csrf(page.content.decode())})
    assert again.status_code == 200
    assert ConsentEntry.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_forged_link_is_refused_and_a_withdrawn_request_is_not_granted_by_its_old_link(seeded, smtp):
    contact = do_create_contact(email="alan@example.org")
    request = do_request_opt_in(contact=contact, subscription="events", source="form")
    assert Client().get("/consent/confirm/not-a-token/").status_code == 400
    # given: the person withdrew before confirming
    do_record_consent(contact=contact, channel="email", subscription="events", granted=False, basis="consent",
                      source="preference_centre")
    path = links.confirmation_url(entry_id=request.pk, contact_id=contact.pk).split("127.0.0.1:8000", 1)[-1]
    # when: the old link's button is pressed
    answer = Client().post(path)
    # then: 409, nothing granted
    assert answer.status_code == 409
    assert ConsentEntry.objects.filter(status="granted").count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_request_answered_before_the_worker_sends_gets_no_email(seeded, smtp):
    confirmed = do_create_contact(email="ada@example.org")
    withdrawn = do_create_contact(email="alan@example.org")
    # given: two requests, the first confirmed, the second withdrawn, both before the worker ran
    first = do_request_opt_in(contact=confirmed, subscription="newsletter", source="form")
    do_request_opt_in(contact=withdrawn, subscription="events", source="form")
    do_confirm_opt_in(entry_id=first.pk, contact_id=confirmed.pk)
    do_record_consent(contact=withdrawn, channel="email", subscription=None, granted=False, basis="consent",
                      source="preference_centre")
    # when: the worker runs the queued emails
    _run_worker()
    # then: nobody is asked to confirm what they already answered
    assert smtp.messages == []
