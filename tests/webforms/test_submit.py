"""A valid submission writes the contact, company, submission, touchpoint, consent and identity in one go."""

from __future__ import annotations

import pytest

from plumbline.accounts.models import Notification
from plumbline.consent.models import ConsentEntry
from plumbline.crm.actions import do_create_contact
from plumbline.crm.models import Company, Contact, CustomField
from plumbline.events.models import Event
from plumbline.marketing.actions import do_create_campaign
from plumbline.marketing.models import Touchpoint
from plumbline.tracking.models import Visitor
from plumbline.webforms.actions import do_update_form
from plumbline.webforms.models import Submission
from tests.webforms.conftest import submit, visitor

pytestmark = pytest.mark.django_db


def test_a_new_visitor_becomes_a_contact_with_company_submission_and_touchpoint(newsletter):
    # Given a campaign whose UTM key the visit carries
    campaign = do_create_campaign(by=None, name="Spring launch", channel="paid_social", utm_campaign="spring")
    vid = visitor()
    # When a visitor submits the newsletter form from a tagged link
    response = submit("newsletter", {"email": "  Ada@Example.COM ", "first_name": "Ada", "last_name": "Lovelace",
                                     "company": "Analytical Engines", "visitor_id": vid,
                                     "page_url": "https://www.acme.test/blog", "utm_source": "linkedin",
                                     "utm_medium": "paid_social", "utm_campaign": "spring"})
    # Then the answer is 201 with the thank-you message
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["message"], body["redirect_url"], body["replayed"]) == ("Thanks: check your inbox.", "", False)
    # and the contact exists with a normalised email, linked to a new company
    contact = Contact.objects.get()
    assert (contact.email, contact.first_name, contact.last_name, contact.source) == (
        "ada@example.com", "Ada", "Lovelace", "form")
    assert contact.company.name == "Analytical Engines"
    assert Company.objects.count() == 1
    # and the submission holds the answers, the UTM parameters, the page, a hashed address
    submission = Submission.objects.get()
    assert submission.pk == body["submission_id"]
    assert submission.contact == contact
    assert submission.answers == {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace",
                                  "company": "Analytical Engines", "title": None, "newsletter": False,
                                  "events": False, "utm_campaign": "spring"}
    assert submission.utm == {"utm_source": "linkedin", "utm_medium": "paid_social", "utm_campaign": "spring"}
    assert (submission.page_url, submission.visitor_id, len(submission.ip_hash)) == (
        "https://www.acme.test/blog", vid, 64)
    assert "203.0.113.7" not in submission.ip_hash
    # and one form_submit touchpoint of the campaign named by utm_campaign
    tp = Touchpoint.objects.get()
    assert (tp.contact_id, tp.kind, tp.campaign_id, tp.channel, tp.source, tp.utm_campaign, tp.content) == (
        contact.pk, "form_submit", campaign.pk, "paid_social", "linkedin", "spring", "Form: Newsletter")
    # and the visitor is stitched to the contact, and the feed says a form was submitted
    assert Visitor.objects.get(visitor_id=vid).contact_id == contact.pk
    event = Event.objects.get(kind="form.submitted")
    assert event.payload == {"form_id": newsletter.pk, "contact_id": contact.pk, "campaign_id": campaign.pk}


def test_without_a_utm_campaign_the_touchpoint_takes_the_forms_campaign(newsletter):
    campaign = do_create_campaign(by=None, name="Trade show", channel="event")
    do_update_form(by=None, form=newsletter, changes={"campaign": campaign})
    assert submit("newsletter", {"email": "bob@example.com"}).status_code == 201
    tp = Touchpoint.objects.get()
    assert (tp.kind, tp.campaign_id, tp.channel) == ("form_submit", campaign.pk, "event")


def test_without_any_campaign_the_utm_medium_names_the_channel(newsletter):
    assert submit("newsletter", {"email": "bob@example.com", "utm_medium": "email",
                                 "utm_campaign": "unknown-key"}).status_code == 201
    tp = Touchpoint.objects.get()
    assert (tp.campaign_id, tp.channel, tp.utm_campaign) == (None, "email", "unknown-key")


def test_a_known_contact_is_updated_and_blank_answers_never_overwrite(newsletter):
    # Given a contact with a name, a title and a company
    company = Company.objects.create(name="Existing Ltd")
    known = do_create_contact(by=None, email="ada@example.com", first_name="Ada", last_name="Lovelace",
                              title="CTO", company=company)
    # When they submit with a blank last name, a new title and another company name
    response = submit("newsletter", {"email": "ADA@example.com", "first_name": "", "last_name": "   ",
                                     "title": "Chief Engineer", "company": "Other Corp"})
    assert response.status_code == 201
    # Then the known values stay, the new title is taken, the company link stays, no contact is added
    known.refresh_from_db()
    assert (known.first_name, known.last_name, known.title, known.company_id) == (
        "Ada", "Lovelace", "Chief Engineer", company.pk)
    assert Contact.objects.count() == 1
    assert Company.objects.count() == 1
    assert Submission.objects.get().contact_id == known.pk


def test_a_company_of_the_same_name_is_linked_not_duplicated(newsletter):
    company = Company.objects.create(name="Acme")
    assert submit("newsletter", {"email": "x@example.com", "company": "ACME"}).status_code == 201
    assert Contact.objects.get().company_id == company.pk
    assert Company.objects.count() == 1


def test_custom_fields_are_stored_on_the_contact(newsletter):
    CustomField.objects.create(applies_to="contact", key="team_size", label="Team size", type="number")
    fields = [{"label": "Email", "key": "email", "type": "email", "maps_to": "contact.email"},
              {"label": "Team size", "key": "size", "type": "text", "maps_to": "custom.team_size"}]
    do_update_form(by=None, form=newsletter, changes={"fields": fields})
    assert submit("newsletter", {"email": "x@example.com", "size": "42"}).status_code == 201
    assert Contact.objects.get().custom == {"team_size": 42}


def test_ticked_consent_boxes_request_double_opt_in_and_unticked_ones_record_nothing(newsletter):
    response = submit("newsletter", {"email": "x@example.com", "newsletter": True, "events": False})
    assert response.status_code == 201
    contact = Contact.objects.get()
    entries = list(ConsentEntry.objects.filter(contact=contact).values_list(
        "channel", "subscription__code", "status", "source"))
    assert entries == [("email", "newsletter", "requested", "form")]
    proof = ConsentEntry.objects.get().proof
    assert (proof["form"], proof["field"], proof["text"]) == (
        "newsletter", "newsletter", "Send me the monthly newsletter")
    assert "ip" not in proof and len(proof["ip_hash"]) == 64


def test_the_forms_owner_is_notified(newsletter, users):
    do_update_form(by=None, form=newsletter, changes={"notify": users["marketing"]})
    assert submit("newsletter", {"email": "x@example.com"}).status_code == 201
    note = Notification.objects.get(user=users["marketing"])
    assert (note.kind, note.message) == ("form.submitted", "x@example.com submitted the form Newsletter.")
    assert note.url == f"/contacts/{Contact.objects.get().pk}/"
