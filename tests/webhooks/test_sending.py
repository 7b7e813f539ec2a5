"""Sending: a signed Standard Webhooks message reaches a local receiver, failed attempts are retried on the
schedule with the same webhook-id and then given up, and the SSRF guard holds at send time. Time is simulated
(`now` is passed in); nothing sleeps."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from standardwebhooks import Webhook

from plumbline.webhooks import sender
from plumbline.webhooks.actions import do_create_subscription, do_send_test
from plumbline.webhooks.models import Delivery
from plumbline.webhooks.sending import CLAIM_LEASE, MAX_ATTEMPTS, RETRY_DELAYS, attempt, claim, send_due

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscription(allow_local, receiver):
    return do_create_subscription(by=None, url=receiver.url, events=["contact.created"])


def test_a_test_message_arrives_signed_and_verifies(subscription, receiver):
    # given a test message queued to a receiver on 127.0.0.1 (allowed through WEBHOOK_ALLOWED_HOSTS)
    now = timezone.now()
    delivery = do_send_test(by=None, subscription=subscription, now=now)
    # when the due deliveries are sent
    assert send_due(now=now) == 1
    # then the receiver got it, and standardwebhooks verifies it with the subscription's secret
    (got,) = receiver.received
    assert got.path == "/hooks/plumbline"
    body = Webhook(subscription.secret).verify(got.body, got.headers)
    assert body["type"] == "webhook.test"
    assert body["data"] == {"subscription_id": subscription.pk, "message": "A test message from Plumbline."}
    assert got.headers["webhook-id"] == delivery.message_id
    assert got.headers["webhook-timestamp"] == str(int(now.timestamp()))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status, delivery.delivered_at) == (
        "delivered", 1, 200, now)


def test_a_500_is_retried_on_the_schedule_with_the_same_webhook_id(subscription, receiver):
    # given a receiver that answers 500 twice, then 200
    receiver.statuses = [500, 500]
    start = timezone.now()
    delivery = do_send_test(by=None, subscription=subscription, now=start)
    # when it is sent, then retried once 5 s later, then 5 min after that
    send_due(now=start)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("pending", 1, 500)
    assert delivery.last_error == "answered 500 Internal Server Error"
    assert delivery.next_attempt_at == start + dt.timedelta(seconds=5)
    assert send_due(now=start + dt.timedelta(seconds=4)) == 0  # not due yet
    assert send_due(now=start + dt.timedelta(seconds=5)) == 1
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == start + dt.timedelta(seconds=5) + dt.timedelta(minutes=5)
    send_due(now=delivery.next_attempt_at)
    # then three attempts reached the receiver, every one with the same webhook-id and a valid signature
    assert [r.headers["webhook-id"] for r in receiver.received] == [delivery.message_id] * 3
    wh = Webhook(subscription.secret)
    for got in receiver.received:
        at = dt.datetime.fromtimestamp(int(got.headers["webhook-timestamp"]), dt.UTC)
        assert got.headers["webhook-signature"] == wh.sign(delivery.message_id, at, got.body)
    assert json.loads(receiver.received[0].body) == json.loads(receiver.received[2].body)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status, delivery.last_error) == (
        "delivered", 3, 200, "")


def test_each_retry_is_queued_with_the_failed_attempt(subscription, receiver):
    receiver.statuses = [503]
    start = timezone.now()
    delivery = do_send_test(by=None, subscription=subscription, now=start)
    DBTaskResult.objects.all().delete()
    send_due(now=start)
    (queued,) = DBTaskResult.objects.all()
    assert queued.task_path == "plumbline.webhooks.sending.send_delivery"
    assert queued.args_kwargs["args"] == [delivery.pk]
    assert queued.run_after == start + RETRY_DELAYS[0]


def test_a_delivery_failing_for_about_a_day_is_given_up(subscription, receiver):
    # given a receiver that always answers 500
    receiver.statuses = [500] * 20
    now = start = timezone.now()
    delivery = do_send_test(by=None, subscription=subscription, now=start)
    # when every retry falls due and fails
    while send_due(now=now):
        delivery.refresh_from_db()
        now = delivery.next_attempt_at
    # then it was tried eight times over about 27.6 hours, and is given up (dead-lettered)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, len(receiver.received)) == ("failed", MAX_ATTEMPTS, 8)
    assert delivery.last_attempt_at - start == sum(RETRY_DELAYS, dt.timedelta())
    assert delivery.last_attempt_at - start == dt.timedelta(hours=27, minutes=35, seconds=5)
    assert send_due(now=now + dt.timedelta(days=2)) == 0


def test_a_redirect_is_not_followed(subscription, receiver):
    receiver.statuses = [302]
    receiver.headers[302] = {"Location": "http://169.254.169.254/latest/meta-data/"}
    now = timezone.now()
    delivery = do_send_test(by=None, subscription=subscription, now=now)
    send_due(now=now)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_status, len(receiver.received)) == ("pending", 302, 1)
    assert delivery.last_error == "answered 302: redirects are not followed"


def test_a_host_that_now_resolves_inside_is_refused_at_send_time(dns, receiver, settings):
    # given a subscription created while its name resolved to a public address
    settings.WEBHOOK_ALLOWED_HOSTS = []
    dns["rebind.example.com"] = ["93.184.215.14"]
    subscription = do_create_subscription(by=None, url="http://rebind.example.com/hook", events=["*"])
    # when the name resolves to the metadata address by the time the message is sent
    dns["rebind.example.com"] = ["169.254.169.254"]
    now = timezone.now()
    delivery = do_send_test(by=None, subscription=subscription, now=now)
    send_due(now=now)
    # then no connection is made and the attempt fails, saying why
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("pending", 1, None)
    assert delivery.last_error.startswith(
        "refused: rebind.example.com resolves to 169.254.169.254, which is a cloud metadata address")


def test_the_sender_connects_to_the_address_it_checked(dns, receiver, settings):
    # given a name allowed explicitly, resolving to the receiver's address when checked
    settings.WEBHOOK_ALLOWED_HOSTS = ["receiver.test"]
    dns["receiver.test"] = ["127.0.0.1"]
    subscription = do_create_subscription(by=None, url=f"http://receiver.test:{receiver.port}/in",
                                          events=["*"])
    now = timezone.now()
    do_send_test(by=None, subscription=subscription, now=now)
    send_due(now=now)
    # then the request went to that address, naming the host in the Host header (no second DNS lookup)
    (got,) = receiver.received
    assert got.headers["Host"] == f"receiver.test:{receiver.port}"


def test_a_claim_whose_sender_died_is_sent_again_with_the_same_id(subscription, receiver):
    # given a delivery claimed by a sender that was killed before it could record anything
    now = timezone.now()
    delivery = do_send_test(by=None, subscription=subscription, now=now)
    assert claim(delivery.pk, now) == 1
    # when its lease has not lapsed, nobody else sends it
    assert send_due(now=now + CLAIM_LEASE - dt.timedelta(seconds=1)) == 0
    # when the lease lapses, it is sent again with the same webhook-id
    assert send_due(now=now + CLAIM_LEASE) == 1
    (got,) = receiver.received
    assert got.headers["webhook-id"] == delivery.message_id
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)


def test_a_late_outcome_of_a_lapsed_claim_is_not_recorded(subscription, receiver):
    # given a claim that lapsed and was taken over by another sender, which delivered the message
    now = timezone.now()
    delivery = do_send_test(by=None, subscription=subscription, now=now)
    claim(delivery.pk, now)
    assert attempt(delivery.pk, now=now + CLAIM_LEASE) == "delivered"
    # then the first sender cannot take it again
    assert claim(delivery.pk, now + CLAIM_LEASE) is None
    assert Delivery.objects.get(pk=delivery.pk).status == "delivered"


def test_a_paused_subscription_still_gets_test_messages(subscription, receiver):
    subscription.is_active = False
    subscription.save(update_fields=["is_active"])
    now = timezone.now()
    do_send_test(by=None, subscription=subscription, now=now)
    send_due(now=now)
    assert len(receiver.received) == 1


def test_a_receiver_that_never_answers_is_cut_off_at_the_total_timeout(subscription, receiver, monkeypatch):
    # given a receiver that holds the request without answering, and a total timeout shortened for the test
    release = threading.Event()
    receiver.on_request = lambda: release.wait(30)
    monkeypatch.setattr(sender, "TOTAL_TIMEOUT", 0.5)
    now = timezone.now()
    delivery = do_send_test(by=None, subscription=subscription, now=now)
    # when it is sent
    send_due(now=now)
    release.set()
    # then the attempt ends as timed out and is retried later
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_status, delivery.last_error) == ("pending", None, "no answer: timed out")


class _Endless:
    """A response body that never ends, counting what was read of it."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def read(self, size: int) -> bytes:
        self.read_bytes += size
        return b"x" * size


def test_at_most_64_kib_of_an_answer_is_read():
    body = _Endless()
    sender._read_capped(body, deadline=float("inf"))
    assert body.read_bytes == sender.MAX_RESPONSE_BYTES == 64 * 1024


def test_https_goes_to_the_checked_address_with_the_certificate_checked_against_the_name(
        dns, tls_receiver, settings):
    # given an HTTPS receiver with a certificate for receiver.test, a name that resolves to it and is allowed
    receiver, _ = tls_receiver
    settings.WEBHOOK_ALLOWED_HOSTS = ["receiver.test"]
    dns["receiver.test"] = ["127.0.0.1"]
    subscription = do_create_subscription(by=None, url=f"https://receiver.test:{receiver.port}/in", events=["*"])
    now = timezone.now()
    delivery = do_send_test(by=None, subscription=subscription, now=now)
    # when it is sent
    send_due(now=now)
    # then it arrived over TLS and verifies
    (got,) = receiver.received
    Webhook(subscription.secret).verify(got.body, got.headers)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_status) == ("delivered", 200)


def test_https_to_a_certificate_for_another_name_fails(dns, tls_receiver, settings):
    # given a receiver whose certificate names another host than the URL's
    receiver, serve_as = tls_receiver
    serve_as("someone-else.test")
    settings.WEBHOOK_ALLOWED_HOSTS = ["receiver.test"]
    dns["receiver.test"] = ["127.0.0.1"]
    subscription = do_create_subscription(by=None, url=f"https://receiver.test:{receiver.port}/in", events=["*"])
    now = timezone.now()
    delivery = do_send_test(by=None, subscription=subscription, now=now)
    # when it is sent, then nothing is posted and the attempt fails on the certificate
    send_due(now=now)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_status, receiver.received) == ("pending", None, [])
    assert "certificate verify failed" in delivery.last_error


def test_an_unexpected_error_while_sending_is_recorded_and_retried(subscription, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(sender, "post", broken)
    now = timezone.now()
    delivery = do_send_test(by=None, subscription=subscription, now=now)
    send_due(now=now)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("pending", 1, "internal error: RuntimeError")
