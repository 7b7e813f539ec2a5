"""The first touchpoint stored per contact (earliest occurred_at, ties to the lowest id) stays exact through every
action that writes touchpoints: out-of-order arrival, ties, corrections, deletions, campaign deletion, contact
deletion, moving touchpoints between contacts (what a merge and its undo do), and the migration's backfill."""

from __future__ import annotations

import datetime as dt
import importlib
import threading
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from plumbline.crm.actions import do_create_contact, do_delete_contact
from plumbline.crm.models import Contact
from plumbline.marketing import first_touch
from plumbline.marketing.actions import (
    do_create_campaign,
    do_delete_campaign,
    do_delete_touchpoint,
    do_record_touchpoint,
    do_record_touchpoint_batch,
    do_record_touchpoints,
    do_update_touchpoint,
)
from plumbline.marketing.models import FirstTouchpoint, Touchpoint

T = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


def day(n: float) -> dt.datetime:
    return T + dt.timedelta(days=n)


def stored() -> dict[int, tuple]:
    """contact id -> (touchpoint id, occurred_at, channel, campaign id), as stored."""
    return {f.contact_id: (f.touchpoint_id, f.occurred_at, f.channel, f.campaign_id)
            for f in FirstTouchpoint.objects.all()}


def recomputed() -> dict[int, tuple]:
    """The same, from every touchpoint, sorted in Python."""
    firsts: dict[int, tuple] = {}
    for t in sorted(Touchpoint.objects.all(), key=lambda t: (t.occurred_at, t.pk)):
        firsts.setdefault(t.contact_id, (t.pk, t.occurred_at, t.channel, t.campaign_id))
    return firsts


def touch(contact: Contact, at: dt.datetime, channel: str = "seo", campaign=None) -> Touchpoint:
    return do_record_touchpoint(contact_id=contact.pk, kind="page_view", channel=channel, occurred_at=at,
                                campaign_id=campaign.pk if campaign else None)


@pytest.fixture
def ann(db) -> Contact:
    return do_create_contact(email="ann@example.com")


@pytest.fixture
def bob(db) -> Contact:
    return do_create_contact(email="bob@example.com")


def test_a_contact_without_touchpoints_has_no_first_touch(ann):
    assert stored() == {}


def test_a_touchpoint_dated_before_the_stored_first_touch_replaces_it(ann):
    webinar = do_create_campaign(name="Webinar", channel="webinar", cost=100)
    later = touch(ann, day(10), "email")
    assert stored() == {ann.pk: (later.pk, day(10), "email", None)}

    earlier = touch(ann, day(5), "webinar", webinar)
    touch(ann, day(7), "paid_search")

    assert stored() == {ann.pk: (earlier.pk, day(5), "webinar", webinar.pk)}


def test_touchpoints_at_the_same_instant_go_to_the_lowest_id_whatever_arrives_later(ann):
    ids = do_record_touchpoint_batch(items=[
        {"contact_id": ann.pk, "kind": "page_view", "channel": "seo", "occurred_at": day(1)},
        {"contact_id": ann.pk, "kind": "page_view", "channel": "email", "occurred_at": day(1)},
    ])
    touch(ann, day(1), "video")

    assert stored() == {ann.pk: (min(ids), day(1), "seo", None)}


def test_one_batch_out_of_order_for_many_contacts_stores_each_first(ann, bob):
    carl = do_create_contact(email="carl@example.com")
    touch(bob, day(3), "print")
    items = [{"contact_id": c.pk, "kind": "page_view", "channel": ch, "occurred_at": day(n)}
             for c, ch, n in ((ann, "seo", 9), (bob, "email", 4), (ann, "video", 2), (bob, "seo", 1),
                              (ann, "event", 2), (carl, "direct", 6))]

    do_record_touchpoints(items=items)

    assert stored() == recomputed()
    assert {c: v[2] for c, v in stored().items()} == {ann.pk: "video", bob.pk: "seo", carl.pk: "direct"}


def test_a_batch_costs_as_many_queries_for_one_touchpoint_as_for_two_hundred(ann, bob):
    touch(ann, day(5))
    one = [{"contact_id": ann.pk, "kind": "page_view", "channel": "seo", "occurred_at": day(1)}]
    many = [{"contact_id": c.pk, "kind": "page_view", "channel": "email", "occurred_at": day(n)}
            for n in range(-50, 50) for c in (ann, bob)]
    do_record_touchpoint_batch(items=one)  # the feed's pump is queued once; both batches below find it waiting
    with CaptureQueriesContext(connection) as for_one:
        do_record_touchpoint_batch(items=one)

    with CaptureQueriesContext(connection) as for_many:
        do_record_touchpoint_batch(items=many)

    assert len(for_many) == len(for_one)
    assert stored() == recomputed()


def test_correcting_the_first_touch_later_hands_the_first_to_the_next(ann):
    first, second = touch(ann, day(1), "seo"), touch(ann, day(2), "email")

    do_update_touchpoint(touchpoint=first, changes={"occurred_at": day(3)})

    assert stored() == {ann.pk: (second.pk, day(2), "email", None)}


def test_correcting_another_touchpoint_earlier_makes_it_the_first(ann):
    touch(ann, day(1), "seo")
    other = touch(ann, day(2), "email")

    do_update_touchpoint(touchpoint=other, changes={"occurred_at": day(-1)})

    assert stored() == {ann.pk: (other.pk, day(-1), "email", None)}


def test_correcting_the_first_touchs_channel_and_campaign_is_stored(ann):
    search = do_create_campaign(name="Search", channel="paid_search", cost=100)
    first = touch(ann, day(1), "seo")
    touch(ann, day(2), "email")

    do_update_touchpoint(touchpoint=first, changes={"channel": "paid_search", "campaign_id": search.pk})

    assert stored() == {ann.pk: (first.pk, day(1), "paid_search", search.pk)}


def test_a_correction_through_a_stale_object_stores_what_was_saved(ann):
    first = touch(ann, day(1), "seo")
    touch(ann, day(2), "email")
    stale = Touchpoint.objects.get(pk=first.pk)
    do_update_touchpoint(touchpoint=first, changes={"occurred_at": day(5)})

    do_update_touchpoint(touchpoint=stale, changes={"value": "3"})  # saves day(1) again

    assert stored() == recomputed() == {ann.pk: (first.pk, day(1), "seo", None)}


def test_deleting_the_first_touch_hands_it_to_the_next_and_deleting_the_last_leaves_none(ann):
    first, second = touch(ann, day(1), "seo"), touch(ann, day(2), "email")

    do_delete_touchpoint(touchpoint=first)
    assert stored() == {ann.pk: (second.pk, day(2), "email", None)}

    do_delete_touchpoint(touchpoint=second)
    assert stored() == {}


def test_deleting_a_campaign_leaves_first_touches_without_it(ann, bob):
    webinar = do_create_campaign(name="Webinar", channel="webinar", cost=100)
    first = touch(ann, day(1), "webinar", webinar)
    touch(bob, day(1), "webinar", webinar)

    do_delete_campaign(campaign=webinar)

    assert stored() == recomputed()
    assert stored()[ann.pk] == (first.pk, day(1), "webinar", None)


def test_deleting_a_contact_deletes_its_first_touch(ann, bob):
    touch(ann, day(1))
    kept = touch(bob, day(2))

    do_delete_contact(contact=ann)

    assert stored() == {bob.pk: (kept.pk, day(2), "seo", None)}


def test_moving_touchpoints_to_another_contact_and_back_then_refreshing_both_is_exact(ann, bob):
    # What a merge does (the duplicate's touchpoints move to the survivor) and its undo (they move back).
    ann_first, ann_later = touch(ann, day(4), "seo"), touch(ann, day(9), "video")
    touch(bob, day(6), "email")
    before = stored()

    Touchpoint.objects.filter(contact=ann).update(contact=bob)
    first_touch.refresh([ann.pk, bob.pk])
    assert stored() == recomputed() == {bob.pk: (ann_first.pk, day(4), "seo", None)}

    Touchpoint.objects.filter(pk__in=[ann_first.pk, ann_later.pk]).update(contact=ann)
    first_touch.refresh([ann.pk, bob.pk])
    assert stored() == before


def test_the_migration_backfill_stores_every_contacts_first_touch(ann, bob):
    touch(ann, day(3), "seo")
    touch(ann, day(1), "email")
    touch(ann, day(1), "video")
    touch(bob, day(2), "print")
    do_create_contact(email="carl@example.com")
    FirstTouchpoint.objects.all().delete()
    migration = importlib.import_module("plumbline.marketing.migrations.0003_first_touchpoint")

    migration.backfill(apps, SimpleNamespace(connection=connection))

    assert stored() == recomputed()
    assert {c: v[2] for c, v in stored().items()} == {ann.pk: "email", bob.pk: "print"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite runs one writer at a time")
def test_a_recompute_waits_for_a_concurrent_batch_and_keeps_its_earlier_touch():
    ann = do_create_contact(email="ann@example.com")
    first = touch(ann, day(1), "seo")
    touch(ann, day(5), "email")
    noted, release = threading.Event(), threading.Event()

    def concurrent_batch() -> None:
        try:
            with transaction.atomic():
                touch(ann, day(-3), "video")  # noted as the first touch, not yet committed
                noted.set()
                release.wait(5)
        finally:
            connection.close()

    other = threading.Thread(target=concurrent_batch)
    other.start()
    assert noted.wait(5)
    threading.Timer(0.5, release.set).start()  # commit while the deletion below waits for the row

    do_delete_touchpoint(touchpoint=first)
    other.join()

    assert stored() == recomputed()
    assert stored()[ann.pk][2] == "video"
