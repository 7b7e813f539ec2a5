"""Hits become touchpoints once their visitor is known: earlier ones retroactively with their own times, later
ones as they are processed; bots never; identify beacons find or create the contact; /go/ scans count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from plumbline.core.errors import ValidationFailed
from plumbline.crm.actions import do_create_contact
from plumbline.crm.models import Contact
from plumbline.events.models import Event
from plumbline.marketing.actions import do_create_campaign
from plumbline.marketing.models import Touchpoint
from plumbline.tracking.actions import do_identify, do_process_hits
from plumbline.tracking.models import Hit, Visitor
from plumbline.tracking.queries import COOKIE
from tests.tracking.helpers import batch, event, post, vid

BOT = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"


def ms(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


def touchpoints(contact) -> list[tuple]:
    return list(Touchpoint.objects.filter(contact=contact).order_by("occurred_at", "pk")
                .values_list("kind", "channel", "content", "occurred_at"))


def test_page_views_before_and_after_identification_become_the_contacts_touchpoints(site):
    # Given a visitor who read two pages (one from Google search) an hour ago, anonymously, processed as such
    visitor, now = vid(), timezone.now().replace(microsecond=0)
    earlier = now - dt.timedelta(hours=1)
    post(batch(site.key, [event(url="https://www.acme.test/blog", ts=ms(earlier)),
                          event(url="https://www.acme.test/pricing", ts=ms(earlier + dt.timedelta(minutes=1)))],
               visitor=visitor, referrer="https://www.google.com/"))
    assert do_process_hits() == 2
    contact = do_create_contact(email="ada@acme.test", first_name="Ada")
    assert touchpoints(contact) == []
    # When the visitor is identified as the contact
    made = do_identify(visitor_id=visitor, contact=contact, source="form", at=now)
    # Then the earlier views are the contact's touchpoints at their own times, channel from the referrer
    assert made == 2
    assert touchpoints(contact) == [("page_view", "seo", "/blog", earlier),
                                    ("pricing_view", "seo", "/pricing", earlier + dt.timedelta(minutes=1))]
    # and a later page view goes straight to the contact when processed
    post(batch(site.key, [event(url="https://www.acme.test/docs", ts=ms(now))], visitor=visitor))
    assert do_process_hits() == 1
    assert touchpoints(contact)[-1] == ("page_view", "direct", "/docs", now)
    assert Hit.objects.filter(contact=contact).count() == 3
    assert Event.objects.filter(kind="visitor.identified", subject_id=contact.pk).count() == 1
    assert Event.objects.filter(kind="touchpoint.recorded").count() == 3


def test_identifying_twice_makes_no_second_touchpoint(site):
    visitor = vid()
    post(batch(site.key, [event()], visitor=visitor))
    contact = do_create_contact(email="bo@acme.test")
    assert do_identify(visitor_id=visitor, contact=contact, source="form") == 1
    assert do_identify(visitor_id=visitor, contact=contact, source="form") == 0
    assert do_process_hits() == 0
    assert Touchpoint.objects.filter(contact=contact).count() == 1


def test_a_forged_visitor_id_is_refused(db):
    contact = do_create_contact(email="cy@acme.test")
    with pytest.raises(ValidationFailed):
        do_identify(visitor_id="not-a-visitor", contact=contact, source="form")
    assert Visitor.objects.count() == 0


def test_bot_hits_are_stitched_but_never_touchpoints(site):
    visitor = vid()
    post(batch(site.key, [event(), event()], visitor=visitor), ua=BOT)
    post(batch(site.key, [event()], visitor=visitor))
    contact = do_create_contact(email="di@acme.test")
    assert do_identify(visitor_id=visitor, contact=contact, source="form") == 1
    assert Touchpoint.objects.filter(contact=contact).count() == 1
    assert Hit.objects.filter(contact=contact).count() == 3
    assert Hit.objects.filter(contact=contact, touchpoint_id__isnull=True).values_list("bot", flat=True)[0] == "crawler"


def test_an_identify_beacon_creates_the_contact_and_stitches_the_visit(site):
    visitor = vid()
    post(batch(site.key, [event(url="https://www.acme.test/?utm_campaign=spring"),
                          event("identify", email="Eve@Acme.test"),
                          event("custom", name="demo_requested")],
               visitor=visitor, utm_source="newsletter", utm_medium="email", utm_campaign="spring"))
    campaign = do_create_campaign(name="Spring", channel="email", utm_campaign="spring")
    assert do_process_hits() == 3
    contact = Contact.objects.get(email="eve@acme.test")
    rows = list(Touchpoint.objects.filter(contact=contact).order_by("kind")
                .values_list("kind", "channel", "campaign_id", "medium"))
    assert rows == [("demo_request", "email", campaign.pk, "email"), ("page_view", "email", campaign.pk, "email")]


def test_a_qr_scan_is_a_hit_of_the_visitor_stitched_later(db):
    campaign = do_create_campaign(name="Trade show flyer", channel="print", landing_url="https://acme.test/show")
    response = Client().get(f"/go/{campaign.vanity_slug}", HTTP_USER_AGENT="Mozilla/5.0 (iPhone) Safari/604.1")
    assert response.status_code == 302
    assert response["Location"] == ("https://acme.test/show?utm_source=print&utm_medium=qr"
                                    "&utm_campaign=trade-show-flyer")
    visitor = response.cookies[COOKIE].value
    assert Hit.objects.filter(visitor_id=visitor, kind="qr_scan", campaign=campaign).count() == 1
    assert do_process_hits() == 1
    contact = do_create_contact(email="fay@acme.test")
    assert do_identify(visitor_id=visitor, contact=contact, source="form") == 1
    assert list(Touchpoint.objects.filter(contact=contact).values_list("kind", "channel", "campaign_id")) == [
        ("qr_scan", "print", campaign.pk)]


def test_a_qr_scan_with_global_privacy_control_records_nothing(db):
    campaign = do_create_campaign(name="Flyer", channel="print", landing_url="https://acme.test/")
    response = Client().get(f"/go/{campaign.vanity_slug}", HTTP_SEC_GPC="1")
    assert response.status_code == 302
    assert COOKIE not in response.cookies
    assert Hit.objects.count() == 0


def test_one_address_may_name_only_so_many_contacts_a_day_through_identify(site, settings):
    # given: identify beacons may name 2 contacts a day from one address
    settings.TRACKING_IDENTIFY_PER_ADDRESS_PER_DAY = 2
    for n in range(3):
        post(batch(site.key, [event("identify", email=f"person{n}@acme.test")]))
    post(batch(site.key, [event("identify", email="elsewhere@acme.test")]), REMOTE_ADDR="198.51.100.9")
    # when: the hits are processed
    assert do_process_hits() == 4
    # then: the first two of the first address and the other address's one are contacts; the third stays anonymous
    assert sorted(Contact.objects.values_list("email", flat=True)) == [
        "elsewhere@acme.test", "person0@acme.test", "person1@acme.test"]
    assert Hit.objects.filter(kind="identify", contact__isnull=True).count() == 1
