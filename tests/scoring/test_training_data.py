"""Training rows from the instance's history: the time cut, the population, the label and exact feature values."""

import datetime as dt
import math

import pytest
from django.utils import timezone

from plumbline.crm.actions import (
    do_change_lifecycle,
    do_create_company,
    do_create_contact,
    do_create_deal,
    do_log_activity,
)
from plumbline.crm.models import Contact, Deal
from plumbline.marketing.actions import do_record_touchpoints
from plumbline.playbook.actions import do_create_framework, do_save_qualification, do_set_pipeline_framework
from plumbline.playbook.models import DealQualification
from plumbline.scoring.training_data import FEATURES, TARGET, feature_label, features_at, training_rows

NOW = timezone.now().replace(microsecond=0)
CUT = NOW - dt.timedelta(days=30)


def _touch(contact, kind, when, channel="seo"):
    do_record_touchpoints(items=[{"contact_id": contact.pk, "kind": kind, "channel": channel,
                                  "occurred_at": when.isoformat()}])


def _walk(contact, stages, when):
    for stage in stages:
        do_change_lifecycle(contact=contact, to_stage=stage, occurred_at=when, reason="test")


@pytest.fixture
def history(db, pipeline):
    """Four contacts created 200 days before now; the cut is 30 days before now."""
    do_create_company(name="Acme", domain="acme.com", industry="Software", employee_count=800,
                      annual_revenue=50_000_000, country="US")
    won = do_create_contact(email="cto@acme.com", title="CTO", source="Webinar", lifecycle_stage="lead")
    free = do_create_contact(email="jane@gmail.com", source="")
    old_customer = do_create_contact(email="buyer@acme.com", title="Procurement manager", lifecycle_stage="lead")
    late = do_create_contact(email="late@acme.com", title="Engineer", lifecycle_stage="lead")
    Contact.objects.exclude(pk=late.pk).update(created_at=NOW - dt.timedelta(days=200))
    Contact.objects.filter(pk=late.pk).update(created_at=CUT + dt.timedelta(days=1))
    _touch(won, "page_view", CUT - dt.timedelta(days=100))  # before the 90-day window: total only
    _touch(won, "pricing_view", CUT - dt.timedelta(days=5), channel="paid_search")
    _touch(won, "pricing_view", CUT - dt.timedelta(days=4), channel="paid_search")
    _touch(won, "email_open", CUT - dt.timedelta(days=1), channel="email")
    do_log_activity(kind="call", contact=won, subject="Intro", occurred_at=CUT - dt.timedelta(days=2))
    do_log_activity(kind="meeting", contact=won, subject="Later", occurred_at=CUT + dt.timedelta(days=2))
    _walk(won, ["mql"], CUT - dt.timedelta(days=3))
    _walk(won, ["sal", "sql", "opportunity", "customer"], CUT + dt.timedelta(days=5))
    _walk(old_customer, ["customer"], CUT - dt.timedelta(days=1))
    return {"won": won, "free": free, "old_customer": old_customer, "late": late}


@pytest.mark.django_db
def test_population_is_contacts_known_before_the_cut_and_not_yet_customers(history):
    rows = training_rows(cut_at=CUT, until=NOW)
    assert sorted(rows.frame.index) == sorted([history["won"].pk, history["free"].pk])
    assert rows.excluded_customers == 1


@pytest.mark.django_db
def test_label_is_becoming_a_customer_after_the_cut(history):
    rows = training_rows(cut_at=CUT, until=NOW)
    assert rows.frame.loc[history["won"].pk, TARGET] == 1
    assert rows.frame.loc[history["free"].pk, TARGET] == 0
    assert rows.positives == 1


@pytest.mark.django_db
def test_a_customer_move_after_the_label_window_is_not_a_positive(history):
    rows = training_rows(cut_at=CUT, until=CUT + dt.timedelta(days=4))
    assert rows.frame.loc[history["won"].pk, TARGET] == 0


@pytest.mark.django_db
def test_features_hold_exact_values_from_before_the_cut(history):
    row = training_rows(cut_at=CUT, until=NOW).frame.loc[history["won"].pk]
    assert (row["company_industry"], row["company_employees"], row["company_revenue"], row["company_country"]) == (
        "Software", 800.0, 50_000_000.0, "US")
    assert (row["seniority"], row["source"], bool(row["free_mail"]), row["lifecycle_stage"]) == (
        "c_level", "Webinar", False, "mql")
    assert row["days_known"] == pytest.approx(170.0)
    assert (row["tp_pricing_view_90d"], row["tp_email_open_90d"], row["tp_page_view_90d"]) == (2, 1, 0)
    assert (row["touchpoints_90d"], row["touchpoints_total"], row["channels_total"]) == (3, 4, 3)
    assert row["days_since_last_touch"] == pytest.approx(1.0)
    assert (row["activities_call"], row["activities_meeting"], row["activities_email"]) == (1, 0, 0)
    assert row["deals"] == 0 and math.isnan(row["deal_qualification"])


@pytest.mark.django_db
def test_contact_without_company_title_or_touchpoints_has_missing_values(history):
    row = training_rows(cut_at=CUT, until=NOW).frame.loc[history["free"].pk]
    assert all(math.isnan(row[name]) for name in ("company_employees", "company_revenue", "days_since_last_touch"))
    assert row[["company_industry", "company_country", "source"]].isna().all()
    assert (row["seniority"], bool(row["free_mail"]), row["lifecycle_stage"], row["touchpoints_total"]) == (
        "unknown", True, "subscriber", 0)


@pytest.mark.django_db
def test_touchpoints_and_activities_after_the_cut_never_change_the_features(history):
    before = training_rows(cut_at=CUT, until=NOW).frame
    won = history["won"]
    _touch(won, "demo_request", CUT + dt.timedelta(seconds=1))
    _touch(history["free"], "pricing_view", CUT + dt.timedelta(days=3))
    do_log_activity(kind="call", contact=won, subject="After", occurred_at=CUT + dt.timedelta(days=1))
    after = training_rows(cut_at=CUT, until=NOW).frame
    assert after.equals(before)


@pytest.mark.django_db
def test_lifecycle_stage_is_the_stage_at_the_cut_not_now(history):
    frame = training_rows(cut_at=CUT, until=NOW).frame
    assert frame.loc[history["won"].pk, "lifecycle_stage"] == "mql"
    assert Contact.objects.get(pk=history["won"].pk).lifecycle_stage == "customer"


@pytest.mark.django_db
def test_now_features_use_the_same_columns_and_see_everything_until_now(history):
    won = history["won"]
    frame = features_at([won.pk, history["free"].pk], at=NOW)
    assert list(frame.columns) == list(FEATURES)
    assert frame.loc[won.pk, "lifecycle_stage"] == "customer"
    assert (frame.loc[won.pk, "activities_meeting"], frame.loc[won.pk, "touchpoints_total"]) == (1, 4)
    assert frame.loc[won.pk, "days_since_last_touch"] == pytest.approx(31.0)


@pytest.mark.django_db
def test_deal_qualification_counts_only_answers_given_before_the_cut(history, pipeline):
    framework = do_create_framework(template="bant")
    do_set_pipeline_framework(pipeline=pipeline, framework=framework)
    won = history["won"]
    deal = do_create_deal(name="Acme platform", pipeline=pipeline, contacts=[(won, "champion")])
    Deal.objects.filter(pk=deal.pk).update(created_at=CUT - dt.timedelta(days=10))
    do_save_qualification(deal=deal, answers=[{"criterion": "budget", "value": "50000", "status": "confirmed"},
                                              {"criterion": "need", "value": "reporting", "status": "partial"}])
    DealQualification.objects.filter(criterion="budget").update(updated_at=CUT - dt.timedelta(days=1))
    at_cut = training_rows(cut_at=CUT, until=NOW).frame.loc[won.pk]
    assert (at_cut["deals"], at_cut["deal_qualification"]) == (1, 0.25)
    assert features_at([won.pk], at=timezone.now()).loc[won.pk, "deal_qualification"] == 0.375


@pytest.mark.django_db
def test_a_deal_opened_after_the_cut_is_not_a_feature(history, pipeline):
    won = history["won"]
    do_create_deal(name="Later deal", pipeline=pipeline, contacts=[(won, "champion")])
    row = training_rows(cut_at=CUT, until=NOW).frame.loc[won.pk]
    assert row["deals"] == 0


@pytest.mark.django_db
def test_no_contacts_give_an_empty_frame_with_every_column(db):
    rows = training_rows(cut_at=CUT, until=NOW)
    assert len(rows.frame) == 0
    assert list(rows.frame.columns) == [*FEATURES, TARGET]


def test_feature_labels_read_as_words():
    assert feature_label("tp_pricing_view_90d") == "pricing view touchpoints in the last 90 days"
    assert feature_label("days_since_last_touch__missing") == "days since the last touchpoint (missing)"
