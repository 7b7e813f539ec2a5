"""`plumbline webhooks list | send-due`."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from plumbline.webhooks.actions import do_create_subscription, do_send_test
from plumbline.webhooks.models import Delivery

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("webhooks", *args, stdout=out)
    return out.getvalue()


def test_send_due_sends_what_is_due(allow_local, receiver):
    subscription = do_create_subscription(by=None, url=receiver.url, events=["*"])
    do_send_test(by=None, subscription=subscription)
    assert run("send-due") == "Attempted 1 due deliveries.\n"
    assert len(receiver.received) == 1
    assert Delivery.objects.get().status == "delivered"


def test_list_shows_each_subscription_with_labels_and_counts(dns):
    subscription = do_create_subscription(by=None, url="https://hooks.example.com/in", events=["deal.won"],
                                          is_active=False)
    do_send_test(by=None, subscription=subscription)
    assert run("list") == (f"{subscription.pk}  https://hooks.example.com/in  (paused)  Deal won  "
                           "[1 waiting to be sent, 0 being sent, 0 delivered, 0 gave up]\n")
