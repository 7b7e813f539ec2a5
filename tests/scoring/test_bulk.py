"""Bulk rescoring in SQL gives the same scores as the per-contact engine, on SQLite and PostgreSQL."""

import copy
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from plumbline.accounts.models import User
from plumbline.crm.actions import (
    do_create_company,
    do_create_contact,
    do_log_activity,
    do_update_company,
    do_update_contact,
)
from plumbline.crm.models import Contact, CustomField
from plumbline.definitions.actions import do_publish_definitions
from plumbline.definitions.queries import current_version
from plumbline.marketing.actions import do_record_touchpoints
from plumbline.marketing.models import Touchpoint
from plumbline.scoring.actions import do_reset_engagement, do_score_contact
from plumbline.scoring.bulk import bulk_rescore
from plumbline.scoring.models import ContactScore, RescoreRun, ScoreHistory

NOW = timezone.now().replace(microsecond=0)
# The demo's history ends at 18:00 UTC on its as-of day: yesterday's, so every demo event is before NOW whatever
# the hour the tests run.
DEMO_AS_OF = (NOW - dt.timedelta(days=1)).date().isoformat()


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
    call_command("demo", "--contacts", "150", "--seed", "11", "--as-of", DEMO_AS_OF, stdout=io.StringIO(),
                 stderr=io.StringIO())
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
    # Five days on, decayed in place (the competitor penalty does not decay), the same as recomputing.
    later = NOW + dt.timedelta(days=5)
    assert bulk_rescore(now=later).recomputed == 0
    decayed = {pk: _rounded_tuple(v) for pk, v in _snapshot().items()}
    assert decayed == _per_contact_at(later)
    assert decayed[fan.pk][2] < expected[fan.pk][2] and -65 < decayed[rival.pk][2] < -60  # its demo request fades


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



def _snapshot():
    return {s.contact_id: (s.fit_score, s.fit_grade, s.engagement_score) for s in ContactScore.objects.all()}


def _per_contact_at(now):
    return {c.pk: _rounded(do_score_contact(contact=c, now=now, promote=False).score) for c in Contact.objects.all()}


def _rounded(score):
    return score.fit_score, score.fit_grade, round(score.engagement_score, 2)


def _insert_touchpoint_behind_the_actions(contact, kind, at):
    """A touchpoint written straight to the table (a bulk load): no event rescored its contact."""
    Touchpoint.objects.bulk_create([Touchpoint(contact=contact, kind=kind, channel="seo", occurred_at=at)])


@pytest.mark.django_db
def test_a_later_rescore_decays_scores_in_place_and_agrees_with_recomputing_them():
    call_command("demo", "--contacts", "120", "--seed", "5", "--as-of", DEMO_AS_OF, stdout=io.StringIO(),
                 stderr=io.StringIO())
    everyone = Contact.objects.count()
    first_at = NOW + dt.timedelta(hours=1)
    first = bulk_rescore(now=first_at)
    assert first.recomputed == first.scored == everyone
    before = _snapshot()
    later = first_at + dt.timedelta(days=9, hours=5)
    second = bulk_rescore(now=later)
    assert (second.recomputed, second.scored) == (0, everyone)
    decayed = _snapshot()
    dropped = [pk for pk, (_, _, eng) in decayed.items() if eng < before[pk][2]]
    assert len(dropped) > everyone // 4
    assert second.changed == ScoreHistory.objects.filter(computed_at=later).count() > 0
    again = bulk_rescore(now=later, full=True)
    assert (again.recomputed, again.changed) == (everyone, 0)
    assert _snapshot() == decayed
    assert {pk: _rounded_tuple(v) for pk, v in decayed.items()} == _per_contact_at(later)
    runs = list(RescoreRun.objects.order_by("id").values_list("full", "recomputed", "scored"))
    assert runs == [(True, everyone, everyone), (False, 0, everyone), (True, everyone, everyone)]


def _rounded_tuple(value):
    return value[0], value[1], round(value[2], 2)


@pytest.mark.django_db
def test_contacts_with_new_events_or_changed_fields_are_recomputed_and_the_rest_decayed(users):
    do_create_company(name="Acme", domain="acme.com", industry="Software", employee_count=800, country="US")
    initech = do_create_company(name="Initech", domain="initech.com", industry="Software", employee_count=800,
                                country="US")
    quiet = do_create_contact(email="quiet@acme.com", title="CTO")
    busy = do_create_contact(email="busy@acme.com", title="Analyst")
    future = do_create_contact(email="future@acme.com", title="Analyst")
    shrunk = do_create_contact(email="cto@initech.com", title="CTO")
    renamed = do_create_contact(email="renamed@acme.com", title="Analyst")
    everyone = (quiet, busy, future, shrunk, renamed)
    do_record_touchpoints(items=[
        {"contact_id": c.pk, "kind": "webinar_attended", "channel": "webinar",
         "occurred_at": (NOW - dt.timedelta(days=2)).isoformat()} for c in everyone])
    assert bulk_rescore(now=NOW).recomputed == 5
    fit_before = {c.pk: ContactScore.objects.get(pk=c.pk).fit_score for c in everyone}
    quiet_before = ContactScore.objects.get(pk=quiet.pk).engagement_score
    # Behind the actions' back: a new touchpoint and one dated after the next run; and two field changes.
    _insert_touchpoint_behind_the_actions(busy, "demo_request", NOW + dt.timedelta(hours=1))
    _insert_touchpoint_behind_the_actions(future, "page_view", NOW + dt.timedelta(days=30))
    do_update_company(by=users["admin"], company=initech, changes={"employee_count": 5})
    do_update_contact(by=users["admin"], contact=renamed, changes={"title": "VP Engineering"})
    later = NOW + dt.timedelta(days=3)
    result = bulk_rescore(now=later)
    assert result.recomputed == 4  # all but quiet, which is decayed in place
    assert result.to_promote == [busy.pk]  # the hand-raiser kind is stored with the score
    stored = {pk: _rounded_tuple(v) for pk, v in _snapshot().items()}
    # The future touchpoint keeps being recomputed until time reaches it.
    assert bulk_rescore(now=later).recomputed == 1
    assert stored == _per_contact_at(later)
    assert stored[shrunk.pk][0] < fit_before[shrunk.pk] and stored[renamed.pk][0] > fit_before[renamed.pk]
    assert 0 < stored[quiet.pk][2] < quiet_before  # three more days of decay


@pytest.mark.django_db
def test_new_definitions_recompute_every_contact(users):
    contact = do_create_contact(email="a@example.com")
    do_record_touchpoints(items=[{"contact_id": contact.pk, "kind": "form_submit", "channel": "seo",
                                  "occurred_at": NOW.isoformat()}])
    bulk_rescore(now=NOW)
    assert bulk_rescore(now=NOW).recomputed == 0
    body = copy.deepcopy(current_version().body)
    body["engagement"]["points"]["form_submit"] = 33
    do_publish_definitions(by=users["admin"], body=body, note="Forms count more")
    result = bulk_rescore(now=NOW)
    assert result.recomputed == 1 and RescoreRun.objects.first().full
    assert ContactScore.objects.get(pk=contact.pk).engagement_score == 33.0


@pytest.mark.django_db
def test_an_icp_change_refits_every_score_without_reading_events_and_agrees_with_recomputing():
    call_command("demo", "--contacts", "150", "--seed", "11", "--as-of", DEMO_AS_OF, stdout=io.StringIO(),
                 stderr=io.StringIO())
    bulk_rescore(now=NOW)
    body = copy.deepcopy(current_version().body)
    body["icp"]["rules"][0]["points"] += 17  # the target industries count more
    body["icp"]["rules"].append({"label": "Founders", "field": "contact.title", "op": "contains", "value": "founder",
                                 "points": 12})
    body["icp"]["grade_thresholds"]["A"] -= 5
    version = do_publish_definitions(by=User.objects.get(username="admin"), body=body, note="Sharper ICP")
    history_before = ScoreHistory.objects.count()
    later = NOW + dt.timedelta(days=3)
    result = bulk_rescore(now=later)
    run = RescoreRun.objects.order_by("-id").first()
    contacts = Contact.objects.count()
    # No contact had anything new, so none was recomputed from its events, yet every score is under the new version
    assert (result.recomputed, run.full, run.definition_version) == (0, False, version.number)
    assert set(ContactScore.objects.values_list("definition_version", flat=True)) == {version.number}
    assert ScoreHistory.objects.count() - history_before == result.changed == contacts
    refit = {pk: _rounded_tuple(v) for pk, v in _snapshot().items()}
    full = bulk_rescore(now=later, full=True)
    assert full.to_promote == result.to_promote
    assert {pk: _rounded_tuple(v) for pk, v in _snapshot().items()} == refit == _per_contact_at(later)
    assert len({v[0] for v in refit.values()}) > 3  # fit moved for many contacts, not a constant


@pytest.mark.django_db
def test_a_change_to_the_mql_hand_raisers_recomputes_from_events(users):
    contact = do_create_contact(email="a@example.com")
    do_record_touchpoints(items=[{"contact_id": contact.pk, "kind": "webinar_attended", "channel": "webinar",
                                  "occurred_at": NOW.isoformat()}])
    bulk_rescore(now=NOW)
    body = copy.deepcopy(current_version().body)
    hand_raisers = body["mql"]["when"]["any"][1]["all"][0]
    hand_raisers["touchpoint_kind_in"] = [*hand_raisers["touchpoint_kind_in"], "webinar_attended"]
    do_publish_definitions(by=users["admin"], body=body, note="Webinars raise a hand")
    assert bulk_rescore(now=NOW).recomputed == 1 and RescoreRun.objects.order_by("-id").first().full
    assert ContactScore.objects.get(pk=contact.pk).rule_kinds == ",webinar_attended,"
