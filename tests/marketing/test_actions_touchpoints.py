import pytest

from plumbline.crm.actions import do_create_contact
from plumbline.marketing.actions import BatchRejected, do_create_campaign, do_record_touchpoints
from plumbline.marketing.models import Touchpoint


@pytest.mark.django_db
def test_batch_matches_contacts_by_id_or_email_and_campaign_by_utm():
    a = do_create_contact(email="a@example.com")
    do_create_contact(email="b@example.com")
    webinar = do_create_campaign(name="Spring webinar", channel="webinar", cost=1000)
    rows = do_record_touchpoints(items=[
        {"contact_id": a.pk, "kind": "page_view", "channel": "seo", "occurred_at": "2026-03-01T10:00:00Z"},
        {"contact_email": "B@Example.com", "kind": "webinar_attended", "utm_campaign": "spring-webinar"},
    ])
    assert len(rows) == 2
    second = Touchpoint.objects.get(contact__email="b@example.com")
    assert (second.campaign, second.channel) == (webinar, "webinar")


@pytest.mark.django_db
def test_batch_with_one_bad_item_writes_nothing_and_reports_each_error():
    do_create_contact(email="a@example.com")
    with pytest.raises(BatchRejected) as exc:
        do_record_touchpoints(items=[
            {"contact_email": "a@example.com", "kind": "page_view", "channel": "seo"},
            {"contact_email": "nobody@example.com", "kind": "teleport", "channel": "seo"},
        ])
    assert Touchpoint.objects.count() == 0
    assert [(i, e.field, e.code) for i, e in exc.value.item_errors] == [(1, "kind", "literal_error")]
    # once every item has the shape of a touchpoint, the records they name are looked up
    with pytest.raises(BatchRejected) as exc:
        do_record_touchpoints(items=[
            {"contact_email": "a@example.com", "kind": "page_view", "channel": "seo"},
            {"contact_email": "nobody@example.com", "kind": "page_view", "channel": "seo"},
            {"contact_email": "a@example.com", "kind": "page_view"},
            {"contact_email": "a@example.com", "kind": "page_view", "campaign_id": 999},
        ])
    assert [(i, e.field, e.code) for i, e in exc.value.item_errors] == [
        (1, "contact_email", "does_not_exist"), (2, "channel", "required"), (3, "campaign_id", "does_not_exist")]
    assert Touchpoint.objects.count() == 0


@pytest.mark.django_db
def test_print_campaign_gets_a_vanity_slug():
    campaign = do_create_campaign(name="Trade magazine Q3", channel="print", cost=500)
    assert campaign.vanity_slug == "trade-magazine-q3"
    assert campaign.utm_campaign == "trade-magazine-q3"


@pytest.mark.django_db
def test_batch_survives_junk_items_and_reports_them():
    do_create_contact(email="a@example.com")
    with pytest.raises(BatchRejected) as exc:
        do_record_touchpoints(items=[
            "not an object",
            {"contact_id": [1], "kind": "page_view", "channel": "seo"},
            {"contact_email": "a@example.com", "campaign_id": {"x": 1}, "utm_campaign": ["y"], "kind": "page_view"},
        ])
    assert sorted({i for i, _ in exc.value.item_errors}) == [0, 1, 2]
    assert Touchpoint.objects.count() == 0
