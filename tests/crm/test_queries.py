import datetime as dt

import pytest
from django.utils import timezone

from plumbline.crm.actions import (
    do_change_lifecycle,
    do_create_company,
    do_create_contact,
    do_create_deal,
    do_log_activity,
    do_move_deal,
)
from plumbline.crm.models import Contact
from plumbline.crm.queries import TimelineCursor, contact_timeline, next_cursor, search_contacts
from plumbline.marketing.actions import do_record_touchpoints


@pytest.fixture
def people(db):
    do_create_company(name="Janeway Inc", domain="janeway.io")
    return {
        "jane": do_create_contact(email="jane.doe@example.com", first_name="Jane", last_name="Doe"),
        "john": do_create_contact(email="jdoe@other.org", first_name="John", last_name="Doerr"),
        "kim": do_create_contact(email="kim@janeway.io", first_name="Kim", last_name="Lee"),
        "ann": do_create_contact(email="ann@example.com", first_name="Ann", last_name="Smith"),
    }


def _emails(qs):
    return sorted(c.email for c in qs)


@pytest.mark.django_db
def test_search_matches_first_last_email_and_company_prefixes(people):
    assert _emails(search_contacts(Contact.objects.all(), "JANE")) == ["jane.doe@example.com", "kim@janeway.io"]
    assert _emails(search_contacts(Contact.objects.all(), "doe")) == ["jane.doe@example.com", "jdoe@other.org"]
    assert _emails(search_contacts(Contact.objects.all(), "jdoe@")) == ["jdoe@other.org"]
    assert _emails(search_contacts(Contact.objects.all(), "john doe")) == ["jdoe@other.org"]
    assert _emails(search_contacts(Contact.objects.all(), "  ")) == _emails(Contact.objects.all())
    assert _emails(search_contacts(Contact.objects.all(), "zzz")) == []


@pytest.mark.django_db
def test_timeline_merges_every_kind_newest_first(people, pipeline):
    jane = people["jane"]
    t0 = timezone.now() - dt.timedelta(days=10)
    do_record_touchpoints(items=[
        {"contact_id": jane.pk, "kind": "page_view", "channel": "seo", "occurred_at": t0.isoformat()},
    ])
    do_change_lifecycle(contact=jane, to_stage="lead", occurred_at=t0 + dt.timedelta(days=1))
    do_log_activity(kind="call", contact=jane, subject="Intro", outcome="connected",
                    occurred_at=t0 + dt.timedelta(days=2))
    deal = do_create_deal(name="Jane deal", contacts=[(jane, "champion")], occurred_at=t0 + dt.timedelta(days=3))
    do_move_deal(deal=deal, stage=pipeline.stages.get(name="Demo"), occurred_at=t0 + dt.timedelta(days=4))
    entries = contact_timeline(jane)
    assert [e.kind for e in entries] == [
        "lifecycle", "deal_stage", "deal_stage", "activity", "lifecycle", "touchpoint",
    ]
    assert entries[1].title == "Deal Jane deal: Discovery → Demo"
    assert entries[3].title == "Call: Intro"
    assert [e.kind for e in contact_timeline(jane, before=t0 + dt.timedelta(days=2), limit=10)] == [
        "lifecycle", "touchpoint",
    ]


@pytest.mark.django_db
def test_search_ignores_control_characters_and_the_last_code_point(people):
    assert _emails(search_contacts(Contact.objects.all(), "ja\x00ne\U0010ffff")) == [
        "jane.doe@example.com", "kim@janeway.io",
    ]


@pytest.mark.django_db
def test_timeline_pages_through_entries_that_share_an_instant_without_losing_or_repeating_any(people):
    """An import often stamps many events with one instant; a page may end among them."""
    jane = people["jane"]
    at = timezone.now().replace(microsecond=0) - dt.timedelta(days=1)
    do_record_touchpoints(items=[{"contact_id": jane.pk, "kind": "page_view", "channel": "seo",
                                  "occurred_at": at.isoformat()} for _ in range(7)])
    for i in range(5):
        do_log_activity(kind="note", contact=jane, subject=f"n{i}", occurred_at=at)
    do_change_lifecycle(contact=jane, to_stage="lead", occurred_at=at - dt.timedelta(hours=1))
    seen, cursor, pages = [], None, 0
    while True:
        page = contact_timeline(jane, before=cursor, limit=4)
        seen += [(e.kind, e.obj.pk) for e in page]
        pages += 1
        token = next_cursor(page, 4)
        if token is None:
            break
        cursor = TimelineCursor.parse(token)
    assert pages == 4
    assert len(seen) == len(set(seen)) == 14
    assert seen == [(e.kind, e.obj.pk) for e in contact_timeline(jane, limit=50)]
    # Her creation (now) first; at the shared instant touchpoints before activities (the later source first),
    # each newest id first; then the older move to lead.
    assert [k for k, _ in seen] == ["lifecycle"] + ["touchpoint"] * 7 + ["activity"] * 5 + ["lifecycle"]


@pytest.mark.django_db
def test_a_timeline_cursor_must_be_one_the_timeline_gave():
    at = TimelineCursor.parse("2026-03-01T10:00:00+00:00~activity~12")
    assert (at.at, at.source, at.pk) == (dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC), "activity", 12)
    assert TimelineCursor.parse("2026-03-01T10:00:00").source is None  # a bare instant: strictly before it
    for bad in ("", "yesterday", "2026-03-01T10:00:00~email~3", "2026-03-01T10:00:00~activity~x"):
        with pytest.raises(ValueError):
            TimelineCursor.parse(bad)
