import datetime as dt

import pytest

from plumbline.core.errors import DomainError, PermissionDenied, ValidationFailed
from plumbline.crm.actions import do_change_lifecycle, do_move_deal
from plumbline.playbook.actions import do_log_objection, do_update_objection
from plumbline.playbook.models import Objection
from plumbline.playbook.queries import objection_report

MARCH = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_objection_on_a_deal_captures_stage_campaign_channel_and_segment(world, users):
    # given Jane's last campaign touchpoint is the search ad (Feb) and the deal is in Discovery
    # when rep2 logs a price objection on the deal and Jane
    o = do_log_objection(by=users["rep2"], category="price", verbatim="Too expensive for us.", deal=world.deal,
                         contact=world.contact, occurred_at=MARCH)
    # then where it came up is captured
    assert (o.deal_stage, o.lifecycle_stage, o.stage, o.campaign, o.channel, o.segment, o.outcome, o.logged_by) == (
        "Discovery", "sql", "Discovery", world.ads, "paid_search", "Software", "open", users["rep2"])
    # and moving the deal later does not rewrite it
    do_move_deal(deal=world.deal, stage=world.deal.pipeline.stages.get(name="Proposal"))
    o.refresh_from_db()
    assert o.deal_stage == "Discovery"


@pytest.mark.django_db
def test_campaign_is_the_last_campaign_touchpoint_before_the_objection(world, users):
    jan_20 = dt.datetime(2026, 1, 20, tzinfo=dt.UTC)
    o = do_log_objection(by=users["rep2"], category="timing", verbatim="Next quarter.", contact=world.contact,
                         occurred_at=jan_20)
    assert (o.campaign, o.channel, o.deal_stage, o.lifecycle_stage) == (world.webinar, "webinar", "", "sql")
    # a deal without a contact given takes the campaign of the deal's contacts
    o = do_log_objection(by=users["rep2"], category="timing", verbatim="Later.", deal=world.deal, occurred_at=MARCH)
    assert (o.campaign, o.lifecycle_stage, o.segment) == (world.ads, "", "Software")
    # a contact with no touchpoints has none
    o = do_log_objection(by=users["rep1"], category="need", verbatim="No need.", deal=world.own_deal)
    assert (o.campaign, o.channel, o.segment) == (None, "", "")


@pytest.mark.django_db
def test_lifecycle_stage_is_the_contact_stage_at_the_time(world, users):
    do_change_lifecycle(contact=world.contact, to_stage="opportunity")
    o = do_log_objection(by=users["marketing"], category="trust", verbatim="Never heard of you.", contact=world.contact)
    assert o.lifecycle_stage == "opportunity"


@pytest.mark.django_db
def test_bad_objections_are_refused_with_their_field(world, users):
    with pytest.raises(DomainError) as exc:
        do_log_objection(by=users["rep2"], category="price", verbatim="x")
    assert exc.value.field == "contact"
    with pytest.raises(ValidationFailed) as exc:
        do_log_objection(by=users["rep2"], category="mood", verbatim="x", deal=world.deal)
    assert [e.field for e in exc.value.errors] == ["category"]
    with pytest.raises(DomainError) as exc:
        do_log_objection(by=users["rep2"], category="price", verbatim="  ", deal=world.deal)
    assert exc.value.field == "verbatim"
    with pytest.raises(PermissionDenied):
        do_log_objection(by=users["viewer"], category="price", verbatim="Too much", deal=world.deal)
    assert Objection.objects.count() == 0


@pytest.mark.django_db
def test_who_logged_it_or_a_manager_records_the_outcome(world, users):
    o = do_log_objection(by=users["rep2"], category="price", verbatim="Too much", deal=world.deal)
    with pytest.raises(PermissionDenied):
        do_update_objection(by=users["rep1"], objection=o, changes={"outcome": "resolved"})
    do_update_objection(by=users["rep2"], objection=o, changes={"outcome": "resolved", "outcome_note": "ROI sheet"})
    do_update_objection(by=users["manager"], objection=o, changes={"outcome": "lost_deal"})
    o.refresh_from_db()
    assert (o.outcome, o.outcome_note) == ("lost_deal", "ROI sheet")
    with pytest.raises(ValidationFailed) as exc:
        do_update_objection(by=users["rep2"], objection=o, changes={"outcome": "won"})
    assert exc.value.errors[0].field == "outcome"


@pytest.mark.django_db
def test_report_counts_objections_by_category_per_campaign_stage_and_segment(world, users):
    # given three objections from the ad (two price, one timing), one from the webinar, one with no campaign
    jan_20 = dt.datetime(2026, 1, 20, tzinfo=dt.UTC)
    for category in ("price", "price", "timing"):
        do_log_objection(by=users["rep2"], category=category, verbatim="…", deal=world.deal, occurred_at=MARCH)
    webinar = do_log_objection(by=users["rep2"], category="price", verbatim="…", contact=world.contact,
                               occurred_at=jan_20)
    do_update_objection(objection=webinar, changes={"outcome": "resolved"})
    do_log_objection(by=users["rep1"], category="need", verbatim="…", deal=world.own_deal, occurred_at=MARCH)
    zero = dict.fromkeys(("price", "timing", "authority", "need", "competitor", "trust", "feature_gap", "contract",
                          "other"), 0)
    # when marketing reads it by campaign
    rows = objection_report(group_by="campaign")
    # then each campaign has its counts per category and outcome, the largest first
    assert rows == [
        {"group": "Search ads", "total": 3, "open": 3, "resolved": 0, "lost_deal": 0,
         "by_category": {**zero, "price": 2, "timing": 1}},
        {"group": "(none)", "total": 1, "open": 1, "resolved": 0, "lost_deal": 0, "by_category": {**zero, "need": 1}},
        {"group": "Spring webinar", "total": 1, "open": 0, "resolved": 1, "lost_deal": 0,
         "by_category": {**zero, "price": 1}},
    ]
    assert [(r["group"], r["total"]) for r in objection_report(group_by="deal_stage")] == [
        ("Discovery", 4), ("(none)", 1)]
    assert [(r["group"], r["total"]) for r in objection_report(group_by="segment")] == [("Software", 4), ("(none)", 1)]
    assert [(r["group"], r["total"]) for r in objection_report(group_by="channel")] == [
        ("paid_search", 3), ("(none)", 1), ("webinar", 1)]
    # and the date range keeps only objections inside it
    assert [(r["group"], r["total"]) for r in objection_report(
        group_by="category", since=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), until=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
    ] == [("price", 1)]
