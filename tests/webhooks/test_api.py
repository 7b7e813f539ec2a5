"""/api/v1/webhooks: every endpoint, admins only, Idempotency-Key on the creating POSTs, and the SSRF refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from standardwebhooks import Webhook

from plumbline.webhooks.actions import do_create_subscription, do_send_test
from plumbline.webhooks.models import Delivery, Subscription
from plumbline.webhooks.sending import send_due

pytestmark = pytest.mark.django_db

NON_ADMINS = ("marketing", "rep1", "manager", "viewer")


@pytest.fixture
def hook(dns):
    return do_create_subscription(by=None, url="https://hooks.example.com/in", events=["contact.created"])


def test_creating_a_subscription_answers_201_with_its_id_and_secret(api, dns):
    # when an admin subscribes a URL to contact.created
    response = api("admin").call("post", "/webhooks", {"url": "https://hooks.example.com/in",
                                                       "events": ["contact.created"]})
    # then the answer holds the subscription, its id and a Standard Webhooks secret that works for verifying
    assert response.status_code == 201
    body = response.json()
    stored = Subscription.objects.get()
    assert body["id"] == stored.pk
    assert (body["url"], body["events"], body["filter"], body["is_active"]) == (
        "https://hooks.example.com/in", ["contact.created"], {}, True)
    assert body["secret"] == stored.secret and body["secret"].startswith("whsec_")
    Webhook(body["secret"])  # decodes


@pytest.mark.parametrize(("url", "address"), [
    ("http://127.0.0.1/hook", "127.0.0.1"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
    ("https://internal.example.com/hook", "10.0.0.5"),
])
def test_a_target_inside_the_network_is_refused_with_422_on_url(api, dns, url, address):
    dns["internal.example.com"] = ["10.0.0.5"]
    response = api("admin").call("post", "/webhooks", {"url": url, "events": ["*"]})
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert (error["field"], error["code"]) == ("url", "unsafe_target")
    assert f"resolves to {address}" in error["message"]
    assert Subscription.objects.count() == 0


def test_a_local_target_is_taken_when_its_host_is_allowed(api, dns, allow_local):
    response = api("admin").call("post", "/webhooks", {"url": "http://127.0.0.1:9000/hook", "events": ["*"]})
    assert response.status_code == 201


@pytest.mark.parametrize(("body", "field"), [
    ({"url": "ftp://hooks.example.com/x", "events": ["*"]}, "url"),
    ({"url": "https://hooks.example.com/x", "events": []}, "events"),
    ({"url": "https://hooks.example.com/x", "events": ["contact.exploded"]}, "events.0"),
    ({"url": "https://hooks.example.com/x", "events": ["*"], "secret": "whsec_x"}, "secret"),
    ({"url": "https://hooks.example.com/x", "events": ["*"], "filter": {"owner": 3}}, "filter.owner"),
])
def test_bad_input_is_a_422_naming_the_field(api, dns, body, field):
    response = api("admin").call("post", "/webhooks", body)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]


def test_the_filter_is_stored_as_given(api, dns):
    response = api("admin").call("post", "/webhooks", {
        "url": "https://hooks.example.com/in", "events": ["lifecycle.changed"],
        "filter": {"subject_type": "contact", "payload": {"to": "mql"}}})
    assert response.status_code == 201
    assert Subscription.objects.get().filter == {"subject_type": "contact", "payload": {"to": "mql"}}


def test_idempotency_key_replays_the_creation(api, dns):
    admin = api("admin")
    body = {"url": "https://hooks.example.com/in", "events": ["deal.won"]}
    first = admin.call("post", "/webhooks", body, headers={"Idempotency-Key": "create-1"})
    again = admin.call("post", "/webhooks", body, headers={"Idempotency-Key": "create-1"})
    other = admin.call("post", "/webhooks", {**body, "events": ["deal.lost"]}, headers={"Idempotency-Key": "create-1"})
    assert (first.status_code, again.status_code, other.status_code) == (201, 201, 422)
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Subscription.objects.count() == 1


def test_list_read_change_delete(api, hook):
    admin = api("admin")
    listed = admin.call("get", "/webhooks")
    assert listed.status_code == 200
    assert [s["id"] for s in listed.json()["items"]] == [hook.pk] and listed.json()["next_cursor"] is None
    read = admin.call("get", f"/webhooks/{hook.pk}")
    assert (read.status_code, read.json()["secret"]) == (200, hook.secret)
    changed = admin.call("patch", f"/webhooks/{hook.pk}", {"events": ["*"], "is_active": False, "description": "CRM"})
    assert changed.status_code == 200
    after = changed.json()
    assert (after["events"], after["is_active"], after["description"]) == (["*"], False, "CRM")
    assert admin.call("delete", f"/webhooks/{hook.pk}").status_code == 204
    assert admin.call("get", f"/webhooks/{hook.pk}").status_code == 404
    assert Subscription.objects.count() == 0


def test_changing_the_url_to_an_internal_one_is_refused(api, hook):
    response = api("admin").call("patch", f"/webhooks/{hook.pk}", {"url": "http://169.254.169.254/"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "url"
    hook.refresh_from_db()
    assert hook.url == "https://hooks.example.com/in"


def test_the_delivery_log_pages(api, hook):
    now = timezone.now()
    made = [do_send_test(by=None, subscription=hook, now=now + dt.timedelta(seconds=i)) for i in range(3)]
    first = api("admin").call("get", f"/webhooks/{hook.pk}/deliveries", limit=2)
    assert first.status_code == 200
    assert [d["id"] for d in first.json()["items"]] == [made[2].pk, made[1].pk]
    item = first.json()["items"][0]
    assert (item["kind"], item["status"], item["attempts"], item["message_id"]) == (
        "webhook.test", "pending", 0, made[2].message_id)
    second = api("admin").call("get", f"/webhooks/{hook.pk}/deliveries", limit=2, cursor=first.json()["next_cursor"])
    assert [d["id"] for d in second.json()["items"]] == [made[0].pk]
    assert second.json()["next_cursor"] is None


def test_the_delivery_log_filters_by_status_and_reads_in_three_queries(api, hook, django_assert_num_queries):
    now = timezone.now()
    for i in range(5):
        do_send_test(by=None, subscription=hook, now=now + dt.timedelta(seconds=i))
    admin = api("admin")
    admin.call("get", "/webhooks")  # the token's first use is noted once
    with django_assert_num_queries(3):  # the token with its user, the subscription, the page
        response = admin.call("get", f"/webhooks/{hook.pk}/deliveries", status="pending")
    assert len(response.json()["items"]) == 5
    assert admin.call("get", f"/webhooks/{hook.pk}/deliveries", status="delivered").json()["items"] == []


def test_send_test_queues_a_test_delivery_and_honours_idempotency_key(api, hook):
    admin = api("admin")
    first = admin.call("post", f"/webhooks/{hook.pk}/test", headers={"Idempotency-Key": "t-1"})
    again = admin.call("post", f"/webhooks/{hook.pk}/test", headers={"Idempotency-Key": "t-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert Delivery.objects.filter(subscription=hook, kind="webhook.test").count() == 1
    assert admin.call("post", "/webhooks/999999/test").status_code == 404


def test_redeliver_sends_a_given_up_delivery_again_with_the_same_id(api, hook, monkeypatch):
    # given a delivery that was given up
    delivery = do_send_test(by=None, subscription=hook)
    Delivery.objects.filter(pk=delivery.pk).update(status="failed", attempts=8, response_status=500)
    # when an admin redelivers it
    response = api("admin").call("post", f"/webhooks/{hook.pk}/deliveries/{delivery.pk}/redeliver")
    # then it is due again with a fresh round of retries and its own webhook-id
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["attempts"], body["message_id"]) == ("pending", 0, delivery.message_id)
    assert send_due(now=timezone.now() + dt.timedelta(seconds=1)) == 1


def test_redeliver_of_a_delivery_being_sent_is_a_409(api, hook):
    delivery = do_send_test(by=None, subscription=hook)
    Delivery.objects.filter(pk=delivery.pk).update(status="sending",
                                                    next_attempt_at=timezone.now() + dt.timedelta(seconds=50))
    response = api("admin").call("post", f"/webhooks/{hook.pk}/deliveries/{delivery.pk}/redeliver")
    assert response.status_code == 409


def test_redeliver_of_another_subscriptions_delivery_is_a_404(api, hook, dns):
    other = do_create_subscription(by=None, url="https://hooks.example.com/other", events=["*"])
    delivery = do_send_test(by=None, subscription=other)
    response = api("admin").call("post", f"/webhooks/{hook.pk}/deliveries/{delivery.pk}/redeliver")
    assert response.status_code == 404


@pytest.mark.parametrize("who", NON_ADMINS)
def test_only_admins_may_use_webhooks(api, hook, who):
    client = api(who)
    delivery = do_send_test(by=None, subscription=hook)
    calls = [
        ("get", "/webhooks", None), ("post", "/webhooks", {"url": "https://hooks.example.com/x", "events": ["*"]}),
        ("get", f"/webhooks/{hook.pk}", None), ("patch", f"/webhooks/{hook.pk}", {"is_active": False}),
        ("delete", f"/webhooks/{hook.pk}", None), ("get", f"/webhooks/{hook.pk}/deliveries", None),
        ("post", f"/webhooks/{hook.pk}/test", {}),
        ("post", f"/webhooks/{hook.pk}/deliveries/{delivery.pk}/redeliver", {}),
    ]
    assert {path: client.call(method, path, body).status_code for method, path, body in calls} == {
        path: 403 for _, path, _ in calls}
    assert Subscription.objects.count() == 1 and Delivery.objects.count() == 1


def test_anonymous_callers_get_401(api, hook):
    assert api(None).call("get", "/webhooks").status_code == 401
    body = {"url": "https://hooks.example.com/x", "events": ["*"]}
    assert api(None).call("post", "/webhooks", body).status_code == 401


def test_the_openapi_document_lists_the_webhook_operations(api):
    paths = api(None).client.get("/api/v1/openapi.json").json()["paths"]
    assert set(paths["/api/v1/webhooks"]) == {"get", "post"}
    assert set(paths["/api/v1/webhooks/{webhook_id}"]) == {"get", "patch", "delete"}
    assert set(paths["/api/v1/webhooks/{webhook_id}/deliveries"]) == {"get"}
    assert set(paths["/api/v1/webhooks/{webhook_id}/test"]) == {"post"}
    assert set(paths["/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"]) == {"post"}
    created = paths["/api/v1/webhooks"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in created["parameters"]]


def test_the_list_reads_in_two_queries_however_many_subscriptions(api, dns, django_assert_num_queries):
    for i in range(5):
        do_create_subscription(by=None, url=f"https://hooks.example.com/{i}", events=["*"])
    admin = api("admin")
    admin.call("get", "/webhooks")
    with django_assert_num_queries(2):  # the token with its user, the page
        response = admin.call("get", "/webhooks", limit=3)
    assert len(response.json()["items"]) == 3


def test_a_null_filter_clears_it(api, dns):
    hook = do_create_subscription(by=None, url="https://hooks.example.com/in", events=["*"],
                                  filter={"subject_type": "deal"})
    response = api("admin").call("patch", f"/webhooks/{hook.pk}", {"filter": None})
    assert (response.status_code, response.json()["filter"]) == (200, {})
