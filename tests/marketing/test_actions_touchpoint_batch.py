"""The batch write path: COPY on PostgreSQL, multi-row INSERT elsewhere; both write the same rows."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from plumbline.core import bulk
from plumbline.crm.actions import do_create_contact
from plumbline.events.models import Event
from plumbline.events.runner import drain
from plumbline.marketing.actions import BatchRejected, do_create_campaign, do_record_touchpoint_batch
from plumbline.marketing.models import Touchpoint
from plumbline.scoring.models import ContactScore, ScoreHistory

FIELDS = ("contact_id", "campaign_id", "channel", "kind", "source", "medium", "utm_campaign", "utm_content",
          "utm_term", "content", "occurred_at", "value")


def _items(a, b):
    return [
        {"contact_id": a.pk, "kind": "page_view", "channel": "seo", "occurred_at": "2026-03-01T10:00:00Z",
         "content": "tab\there, new\nline, back\\slash, quote \" and 'é 日本'", "value": "12.34"},
        {"contact_email": " B@Example.com ", "kind": "webinar_attended", "utm_campaign": "spring-webinar",
         "occurred_at": dt.datetime(2026, 3, 2, 11, 30, 15, 123456, tzinfo=dt.UTC), "value": -7,
         "source": "  \\N  ", "medium": ""},
        {"contact_id": a.pk, "kind": "ad_click", "channel": "paid_social", "occurred_at": "2026-03-03T09:00:00+02:00"},
    ]


def _stored():
    return list(Touchpoint.objects.order_by("id").values_list(*FIELDS))


@pytest.mark.django_db
@pytest.mark.parametrize("copy", [True, False])
def test_copy_and_insert_paths_write_the_same_rows(monkeypatch, copy):
    if copy and connection.vendor != "postgresql":
        pytest.skip("COPY is the PostgreSQL path")
    a = do_create_contact(email="a@example.com")
    b = do_create_contact(email="b@example.com")
    webinar = do_create_campaign(name="Spring webinar", channel="webinar", cost=1000)
    real = bulk.insert_rows
    monkeypatch.setattr(bulk, "insert_rows", lambda *args, **kw: real(*args, **kw, copy=copy))
    ids = do_record_touchpoint_batch(items=_items(a, b))
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert [r[0] for r in Touchpoint.objects.order_by("id").values_list("id")] == ids
    assert _stored() == [
        (a.pk, None, "seo", "page_view", "", "", "", "", "", "tab\there, new\nline, back\\slash, quote \" and 'é 日本'",
         dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC), Decimal("12.34")),
        (b.pk, webinar.pk, "webinar", "webinar_attended", "\\N", "", "spring-webinar", "", "", "",
         dt.datetime(2026, 3, 2, 11, 30, 15, 123456, tzinfo=dt.UTC), Decimal("-7.00")),
        (a.pk, None, "paid_social", "ad_click", "", "", "", "", "", "",
         dt.datetime(2026, 3, 3, 7, 0, tzinfo=dt.UTC), Decimal("0.00")),
    ]
    assert Touchpoint.objects.filter(created_at__isnull=False).count() == 3


@pytest.mark.django_db
def test_a_new_batch_continues_the_id_sequence_after_copy():
    a = do_create_contact(email="a@example.com")
    first = do_record_touchpoint_batch(items=[{"contact_id": a.pk, "kind": "page_view", "channel": "seo"}] * 3)
    created = Touchpoint.objects.create(contact=a, kind="call", channel="outbound",
                                        occurred_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert created.pk > max(first)


@pytest.mark.django_db
def test_a_batch_of_1000_with_one_bad_item_writes_nothing_and_names_the_item_and_field():
    a = do_create_contact(email="a@example.com")
    items = [{"contact_id": a.pk, "kind": "page_view", "channel": "seo"} for _ in range(1000)]
    items[737] = {"contact_id": a.pk, "kind": "page_view", "channel": "seo", "occurred_at": "last tuesday"}
    with pytest.raises(BatchRejected) as exc:
        do_record_touchpoint_batch(items=items)
    assert [(i, e.field) for i, e in exc.value.item_errors] == [(737, "occurred_at")]
    assert Touchpoint.objects.count() == 0


@pytest.mark.django_db
def test_the_touched_contacts_are_rescored_from_the_feed_each_once():
    # Given 450 contacts, and 1,000 touchpoints for them in one batch
    contacts = [do_create_contact(email=f"p{i}@example.com") for i in range(450)]
    drain()
    DBTaskResult.objects.all().delete()
    items = [{"contact_id": c.pk, "kind": "page_view", "channel": "seo"} for c in reversed(contacts)] * 2
    ids = do_record_touchpoint_batch(items=items[:1000])
    # Then the batch wrote an event per touchpoint with it, and queued only the feed's pump
    recorded = Event.objects.filter(kind="touchpoint.recorded").order_by("id")
    assert list(recorded.values_list("subject_id", flat=True)) == ids
    assert [r.task_path.rsplit(".", 1)[-1] for r in DBTaskResult.objects.all()] == ["pump"]
    # And when the feed runs, every touched contact is rescored once, with both of its page views
    history = ScoreHistory.objects.count()
    drain()
    assert ScoreHistory.objects.count() == history + 450
    assert set(ContactScore.objects.filter(engagement_score__gt=0).values_list("contact_id", flat=True)) == {
        c.pk for c in contacts}
