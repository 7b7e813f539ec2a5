"""One schema for every touchpoint writer: what it refuses, and what the action makes of what it accepts."""

import datetime as dt

import pytest

from plumbline.crm.actions import do_create_contact
from plumbline.marketing.actions import BatchRejected, do_record_touchpoint_batch, do_record_touchpoints
from plumbline.marketing.models import Touchpoint


def _errors(items):
    with pytest.raises(BatchRejected) as exc:
        do_record_touchpoint_batch(items=items)
    return [(i, e.field, e.code, e.message) for i, e in exc.value.item_errors]


@pytest.mark.django_db
def test_nul_in_a_text_field_is_refused_in_plain_words():
    a = do_create_contact(email="a@example.com")
    errors = _errors([{"contact_id": a.pk, "kind": "page_view", "channel": "seo", "content": "nul\x00"}])
    assert errors == [(0, "content", "value_error", "must not contain NUL characters")]
    assert Touchpoint.objects.count() == 0


@pytest.mark.django_db
def test_an_instant_without_an_offset_is_refused_and_every_bad_item_is_named():
    a = do_create_contact(email="a@example.com")
    errors = _errors([
        {"contact_id": a.pk, "kind": "page_view", "channel": "seo"},
        {"contact_id": a.pk, "kind": "page_view", "channel": "seo", "occurred_at": "2026-11-01T10:00:00"},
        {"contact_id": a.pk, "kind": "page_view", "channel": "seo", "value": "3.205"},
        {"contact_id": True, "kind": "page_view", "channel": "seo"},
    ])
    assert [e[:3] for e in errors] == [(1, "occurred_at", "timezone_aware"), (2, "value", "decimal_max_places"),
                                       (3, "contact_id", "int_type")]


@pytest.mark.django_db
def test_an_offset_postgresql_refuses_is_stored_in_utc():
    # ISO 8601 allows offsets up to 23:59, PostgreSQL only up to 15:59
    a = do_create_contact(email="a@example.com")
    [tp] = do_record_touchpoints(items=[{"contact_id": a.pk, "kind": "email_open", "channel": "email",
                                         "occurred_at": "2026-11-01T10:00:00-20:10"}])
    assert tp.occurred_at == dt.datetime(2026, 11, 2, 6, 10, tzinfo=dt.UTC)
    assert Touchpoint.objects.get().occurred_at == dt.datetime(2026, 11, 2, 6, 10, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_an_instant_without_a_utc_value_is_refused():
    a = do_create_contact(email="a@example.com")
    errors = _errors([{"contact_id": a.pk, "kind": "email_open", "channel": "email",
                       "occurred_at": "0001-01-01T00:00:00+05:00"}])
    assert errors == [(0, "occurred_at", "invalid", "occurred_at is outside the supported range of dates.")]
    assert Touchpoint.objects.count() == 0


@pytest.mark.django_db
def test_items_without_a_time_share_the_moment_of_the_batch():
    a = do_create_contact(email="A@example.com")
    rows = do_record_touchpoints(items=[{"contact_email": " a@EXAMPLE.com ", "kind": "page_view", "channel": "seo"},
                                        {"contact_id": a.pk, "kind": "page_view", "channel": "seo"}])
    assert rows[0].occurred_at == rows[1].occurred_at == rows[0].created_at
    assert {r.contact_id for r in rows} == {a.pk}
