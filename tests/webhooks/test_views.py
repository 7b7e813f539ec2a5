"""The webhook pages: admins only, create and edit with labels and field errors, the delivery log with its
send-test and redeliver buttons, and the navigation link."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from plumbline.webhooks.actions import do_create_subscription, do_send_test
from plumbline.webhooks.models import Delivery, Subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def hook(dns):
    return do_create_subscription(by=None, url="https://hooks.example.com/in", events=["contact.created", "deal.won"],
                                  description="Data warehouse", filter={"subject_type": "contact"})


@pytest.mark.parametrize("who", ["marketing", "rep1", "manager", "viewer"])
def test_non_admins_get_403_on_every_webhook_page(page_client, hook, who):
    client = page_client(who)
    delivery = do_send_test(by=None, subscription=hook)
    gets = ["/webhooks/", "/webhooks/new/", f"/webhooks/{hook.pk}/", f"/webhooks/{hook.pk}/edit/"]
    posts = [f"/webhooks/{hook.pk}/test/", f"/webhooks/{hook.pk}/delete/",
             f"/webhooks/{hook.pk}/deliveries/{delivery.pk}/redeliver/"]
    statuses = {u: client.get(u).status_code for u in gets} | {u: client.post(u).status_code for u in posts}
    assert statuses == dict.fromkeys(gets + posts, 403)
    assert b"/webhooks/" not in client.get("/").content  # no link in the navigation
    assert (Subscription.objects.count(), Delivery.objects.count()) == (1, 1)


def test_the_admin_sees_the_list_with_labels_and_a_nav_link(page_client, hook):
    client = page_client("admin")
    assert b'href="/webhooks/"' in client.get("/").content
    page = client.get("/webhooks/").content.decode()
    assert "https://hooks.example.com/in" in page and "Data warehouse" in page
    assert "Contact created, Deal won" in page
    assert "contact.created" not in page


def test_creating_a_webhook_from_the_form(page_client, dns):
    client = page_client("admin")
    assert "Became a marketing-qualified lead" in client.get("/webhooks/new/").content.decode()
    response = client.post("/webhooks/new/", {
        "url": "https://hooks.example.com/new", "events": ["deal.won", "deal.lost"], "subject_type": "deal",
        "payload_key": "pipeline", "payload_value": "New business", "is_active": "on"})
    subscription = Subscription.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/webhooks/{subscription.pk}/"
    assert (subscription.events, subscription.filter, subscription.is_active) == (
        ["deal.lost", "deal.won"], {"subject_type": "deal", "payload": {"pipeline": "New business"}}, True)
    page = client.get(response["Location"]).content.decode()
    assert subscription.secret in page and "Deal lost, Deal won" in page


def test_an_internal_url_shows_the_refusal_next_to_the_field(page_client, dns):
    response = page_client("admin").post("/webhooks/new/", {"url": "http://169.254.169.254/", "all_events": "on"})
    assert response.status_code == 422
    assert "169.254.169.254, which is a cloud metadata address" in response.content.decode()
    assert 'id="id_url-error"' in response.content.decode()
    assert Subscription.objects.count() == 0


def test_a_form_without_events_is_refused(page_client, dns):
    response = page_client("admin").post("/webhooks/new/", {"url": "https://hooks.example.com/x"})
    assert response.status_code == 400
    assert "Pick at least one event" in response.content.decode()


def test_editing_keeps_what_is_not_changed(page_client, hook):
    client = page_client("admin")
    form = client.get(f"/webhooks/{hook.pk}/edit/").content.decode()
    assert 'value="https://hooks.example.com/in"' in form
    response = client.post(f"/webhooks/{hook.pk}/edit/", {
        "url": "https://hooks.example.com/in", "description": "Warehouse", "all_events": "on",
        "subject_type": "contact"})
    assert response.status_code == 302
    hook.refresh_from_db()
    assert (hook.events, hook.description, hook.filter, hook.is_active) == (
        ["*"], "Warehouse", {"subject_type": "contact"}, False)


def test_send_test_and_redeliver_buttons(page_client, hook):
    client = page_client("admin")
    assert client.post(f"/webhooks/{hook.pk}/test/").status_code == 302
    delivery = Delivery.objects.get()
    assert delivery.kind == "webhook.test"
    Delivery.objects.filter(pk=delivery.pk).update(status="failed", attempts=8, last_error="answered 500 Oops")
    page = client.get(f"/webhooks/{hook.pk}/").content.decode()
    assert "Test message" in page and "Gave up" in page and "answered 500 Oops" in page
    assert client.post(f"/webhooks/{hook.pk}/deliveries/{delivery.pk}/redeliver/").status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 0)


def test_the_delivery_log_pages(page_client, hook):
    now = timezone.now()
    for i in range(30):
        do_send_test(by=None, subscription=hook, now=now + dt.timedelta(seconds=i))
    client = page_client("admin")
    first = client.get(f"/webhooks/{hook.pk}/").content.decode()
    second = client.get(f"/webhooks/{hook.pk}/?page=2").content.decode()
    assert first.count('name="redeliver"') == 25 and second.count('name="redeliver"') == 5
    assert "Page 1 of 2" in first


def test_deleting_a_webhook(page_client, hook):
    response = page_client("admin").post(f"/webhooks/{hook.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/webhooks/"
    assert Subscription.objects.count() == 0
