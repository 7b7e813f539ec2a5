"""The webhooks consumer of the change feed: one delivery per event and matching active subscription, never two for
a replayed event, and end to end a change in Plumbline arrives signed at a receiver."""

from __future__ import annotations

import json

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from standardwebhooks import Webhook

from plumbline.crm.actions import do_create_contact
from plumbline.events import registry
from plumbline.events.actions import do_replay, emit
from plumbline.events.models import Event
from plumbline.events.runner import drain
from plumbline.marketing.actions import do_record_touchpoint
from plumbline.webhooks.actions import do_create_subscription, do_update_subscription
from plumbline.webhooks.models import Delivery
from plumbline.webhooks.sending import send_due

pytestmark = pytest.mark.django_db


def write(kind: str, subject: tuple[str, int], **payload) -> None:
    with transaction.atomic():
        emit(kind=kind, subject=subject, payload=payload)


def deliveries() -> list[tuple[str, str, int]]:
    return sorted((d.subscription.description, d.kind, d.event_id)
                  for d in Delivery.objects.select_related("subscription"))


def test_the_consumer_is_registered_for_every_kind_and_atomic():
    registered = registry.get("webhooks")
    assert (registered.kinds, registered.atomic, registered.label) == (None, True, "Outbound webhooks")


def test_each_event_goes_to_the_active_subscriptions_whose_kinds_and_filter_match(dns):
    # given subscriptions for every kind, for contact.created only, for MQL lifecycle changes only, and a paused one
    for description, events, wanted in (("all", ["*"], {}), ("created", ["contact.created"], {}),
                                        ("mql", ["lifecycle.changed"], {"payload": {"to": "mql"}}),
                                        ("deals", ["*"], {"subject_type": "deal"})):
        do_create_subscription(by=None, url="https://hooks.example.com/in", events=events, description=description,
                               filter=wanted)
    do_create_subscription(by=None, url="https://hooks.example.com/in", events=["*"], description="paused",
                           is_active=False)
    # when these events happen and the feed runs
    write("contact.created", ("contact", 7), email_domain="acme.com")
    write("lifecycle.changed", ("contact", 7), **{"from": "lead", "to": "mql"})
    write("lifecycle.changed", ("contact", 7), **{"from": "mql", "to": "sal"})
    write("deal.won", ("deal", 3))
    drain()
    # then each got exactly the events it asked for
    created, mql, sal, won = Event.objects.order_by("id").values_list("id", flat=True)
    assert deliveries() == sorted([
        ("all", "contact.created", created), ("all", "lifecycle.changed", mql), ("all", "lifecycle.changed", sal),
        ("all", "deal.won", won), ("created", "contact.created", created), ("mql", "lifecycle.changed", mql),
        ("deals", "deal.won", won),
    ])


def test_the_body_carries_the_event(dns):
    do_create_subscription(by=None, url="https://hooks.example.com/in", events=["deal.won"])
    write("deal.won", ("deal", 3), amount="1200.00")
    drain()
    event = Event.objects.get()
    body = json.loads(Delivery.objects.get().body)
    assert body == {
        "type": "deal.won",
        "timestamp": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "data": {"id": event.pk, "kind": "deal.won", "subject_type": "deal", "subject_id": 3,
                 "payload": {"amount": "1200.00"}, "actor_id": None,
                 "occurred_at": event.occurred_at.isoformat().replace("+00:00", "Z")},
    }


def test_a_replayed_event_never_makes_a_second_delivery(dns):
    # given a delivered feed
    do_create_subscription(by=None, url="https://hooks.example.com/in", events=["*"])
    write("contact.created", ("contact", 1))
    write("contact.updated", ("contact", 1))
    drain()
    first = list(Delivery.objects.order_by("pk").values_list("pk", "message_id"))
    # when an operator replays the webhooks consumer from the start
    do_replay(name="webhooks", from_event=1)
    drain()
    # then the same two deliveries remain, with their ids
    assert list(Delivery.objects.order_by("pk").values_list("pk", "message_id")) == first
    assert len(first) == 2


def test_a_subscription_gets_only_events_recorded_after_it_was_made(dns):
    write("contact.created", ("contact", 1))
    do_create_subscription(by=None, url="https://hooks.example.com/in", events=["*"])
    write("contact.created", ("contact", 2))
    drain()
    assert [json.loads(d.body)["data"]["subject_id"] for d in Delivery.objects.all()] == [2]


def test_a_paused_subscription_records_nothing_until_resumed(dns):
    subscription = do_create_subscription(by=None, url="https://hooks.example.com/in", events=["*"], is_active=False)
    write("contact.created", ("contact", 1))
    drain()
    assert Delivery.objects.count() == 0
    do_update_subscription(by=None, subscription=subscription, changes={"is_active": True})
    write("contact.created", ("contact", 2))
    drain()
    assert Delivery.objects.count() == 1


def test_a_touchpoint_recorded_in_plumbline_arrives_signed_at_the_receiver(allow_local, receiver):
    # given a subscription to touchpoint.recorded at a local receiver
    subscription = do_create_subscription(by=None, url=receiver.url, events=["touchpoint.recorded"])
    contact = do_create_contact(email="jane@acme.com")
    # when a touchpoint is recorded, the feed runs and the due deliveries are sent
    touchpoint = do_record_touchpoint(contact_id=contact.pk, kind="page_view", channel="seo")
    drain()
    assert send_due(now=timezone.now()) == 1
    # then the receiver got it, verified with the secret
    (got,) = receiver.received
    body = Webhook(subscription.secret).verify(got.body, got.headers)
    assert (body["type"], body["data"]["subject_type"], body["data"]["subject_id"]) == (
        "touchpoint.recorded", "touchpoint", touchpoint.pk)


def test_a_batch_of_many_deliveries_is_recorded_whole(dns):
    # given 30 subscriptions to every kind, and 40 events in one batch (1,200 deliveries)
    for i in range(30):
        do_create_subscription(by=None, url=f"https://hooks.example.com/{i}", events=["*"])
    with transaction.atomic():
        for subject_id in range(40):
            emit(kind="contact.created", subject=("contact", subject_id))
    # when the feed runs, then every delivery is there and queued
    drain()
    assert Delivery.objects.count() == 1200
    assert DBTaskResult.objects.filter(task_path="plumbline.webhooks.sending.send_delivery").count() == 1200
