"""Bulk rescoring in SQL gives the same scores as the per-contact engine, on SQLite and PostgreSQL."""

import copy
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from plumbline.crm.actions import do_create_company, do_create_contact, do_log_activity
from plumbline.crm.models import Contact, CustomField
from plumbline.definitions.actions import do_publish_definitions
from plumbline.definitions.queries import current_version
from plumbline.marketing.actions import do_record_touchpoints
from plumbline.scoring.actions import do_reset_engagement, do_score_contact
from plumbline.scoring.bulk import bulk_rescore
from plumbline.scoring.models import ContactScore, ScoreHistory

NOW = timezone.now().replace(microsecond=0)


def per_contact_scores():
    out = {}
    for contact in Contact.objects.order_by("pk"):
        s = do_score_contact(contact=contact, now=NOW, promote=False).score
        out[contact.pk] = (s.fit_score, s.fit_grade, round(s.engagement_score, 2))
    return out


def bulk_scores():
    return {s.contact_id: (s.fit_score, s.fit_grade, round(s.engagement_score, 2)) for s in ContactScore.objects.all()}


@pytest.mark.django_db
def test_bulk_equals_per_contact_on_the_demo_company():
    call_command("demo", "--contacts", "150", "--seed", "11", stdout=io.StringIO(), stderr=io.StringIO())
    result = bulk_rescore(now=NOW)
    bulk = bulk_scores()
    assert result.scored == Contact.objects.count() == len(bulk)
    assert bulk == per_contact_scores()


@pytest.mark.django_db
def test_bulk_handles_caps_floors_competitors_custom_fields_and_activities(users):
    CustomField.objects.create(applies_to="contact", key="plan", label="Plan", type="choice", choices=["pro", "free"])
    body = copy.deepcopy(current_version().body)
    body["engagement"]["competitor_domains"] = ["rival.com"]
    body["icp"]["rules"].append({"label": "Pro plan", "field": "contact.custom.plan", "op": "eq", "value": "pro",
                                 "points": 7})
    do_publish_definitions(by=users["admin"], body=body, note="Competitors and plans")
    do_create_company(name="O'Brien & Co", domain="obrien.ie", industry="Software", employee_count=250, country="GB")
    fan = do_create_contact(email="vp@obrien.ie", title="VP Sales", custom={"plan": "pro"})
    rival = do_create_contact(email="spy@rival.com", title="Analyst")
    recycled = do_create_contact(email="again@obrien.ie", title="Head of Data")
    items = [{"contact_id": fan.pk, "kind": "page_view", "channel": "seo",
              "occurred_at": (NOW - dt.timedelta(hours=i)).isoformat()} for i in range(25)]
    items += [{"contact_id": rival.pk, "kind": "demo_request", "channel": "seo", "occurred_at": NOW.isoformat()},
              {"contact_id": recycled.pk, "kind": "form_submit", "channel": "seo",
               "occurred_at": (NOW - dt.timedelta(days=3)).isoformat()}]
    do_record_touchpoints(items=items)
    do_log_activity(kind="meeting", contact=fan, occurred_at=NOW - dt.timedelta(days=1))
    do_reset_engagement(contact=recycled, mode="zero", now=NOW - dt.timedelta(days=1))
    expected = per_contact_scores()
    ContactScore.objects.update(fit_score=0, fit_grade="D", engagement_score=0)
    bulk_rescore(now=NOW)
    assert bulk_scores() == expected
    assert expected[fan.pk][:2] == (82, "A")
    assert 24 < expected[fan.pk][2] < 35  # 15 capped page-view points (two periods at most) + a decayed meeting
    assert expected[rival.pk][2] == -60.0
    assert expected[recycled.pk][2] == 0.0


@pytest.mark.django_db
def test_bulk_appends_history_only_for_changes_and_lists_promotions():
    do_create_company(name="Acme", domain="acme.com", industry="Software", employee_count=800, country="US")
    hot = do_create_contact(email="cto@acme.com", title="CTO", lifecycle_stage="lead")
    do_create_contact(email="cold@gmail.com")
    do_record_touchpoints(items=[{"contact_id": hot.pk, "kind": "demo_request", "channel": "seo",
                                  "occurred_at": NOW.isoformat()}])
    first = bulk_rescore(now=NOW)
    assert (first.scored, first.changed, first.to_promote) == (2, 2, [hot.pk])
    again = bulk_rescore(now=NOW)
    assert again.changed == 0
    assert ScoreHistory.objects.count() == 2
