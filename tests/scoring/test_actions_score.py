import copy
import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from plumbline.crm.actions import do_create_company, do_create_contact, do_log_activity
from plumbline.crm.models import Contact, CustomField, LifecycleTransition
from plumbline.definitions.actions import do_publish_definitions
from plumbline.definitions.queries import current_version
from plumbline.marketing.actions import do_record_touchpoints
from plumbline.scoring.actions import do_reset_engagement, do_score_contact
from plumbline.scoring.models import ContactScore, ScoreHistory


@pytest.fixture
def lead(db):
    do_create_company(name="Acme", domain="acme.com", industry="Software", employee_count=800, country="US")
    return do_create_contact(email="cto@acme.com", title="CTO", lifecycle_stage="lead")


@pytest.mark.django_db
def test_hand_raiser_with_fit_becomes_mql_naming_rule_and_version(lead):
    now = timezone.now()
    do_record_touchpoints(items=[{"contact_id": lead.pk, "kind": "demo_request", "channel": "seo",
                                  "occurred_at": now.isoformat()}])
    outcome = do_score_contact(contact=lead, now=now)
    lead.refresh_from_db()
    assert lead.lifecycle_stage == "mql"
    assert outcome.mql.reason == "Fit and engagement, or a hand-raiser (definitions v1): hand-raiser Demo request " \
                                 "and fit grade A ≥ C"
    assert (outcome.mql.source, outcome.mql.definition_version) == ("automation", 1)
    assert (outcome.score.fit_score, outcome.score.fit_grade, outcome.score.engagement_score) == (75, "A", 40.0)


@pytest.mark.django_db
def test_explanation_lists_rules_and_touchpoints(lead):
    now = timezone.now()
    do_record_touchpoints(items=[{"contact_id": lead.pk, "kind": "webinar_attended", "channel": "webinar",
                                  "occurred_at": now.isoformat()}])
    score = do_score_contact(contact=lead, now=now, promote=False).score
    assert [c["label"] for c in score.explanation["fit"]] == [
        "Target industry", "Mid-market or larger", "Core markets", "Decision maker",
    ]
    assert [(c["kind"], c["points"]) for c in score.explanation["engagement"]] == [("webinar_attended", 15.0)]


@pytest.mark.django_db
def test_history_grows_only_when_the_score_changes(lead):
    now = timezone.now()
    do_score_contact(contact=lead, now=now)
    do_score_contact(contact=lead, now=now)
    assert ScoreHistory.objects.filter(contact=lead).count() == 1
    do_record_touchpoints(items=[{"contact_id": lead.pk, "kind": "form_submit", "channel": "seo",
                                  "occurred_at": now.isoformat()}])
    do_score_contact(contact=lead, now=now)
    assert ScoreHistory.objects.filter(contact=lead).count() == 2


@pytest.mark.django_db
def test_recycling_zeroes_engagement(lead):
    now = timezone.now()
    do_record_touchpoints(items=[{"contact_id": lead.pk, "kind": "form_submit", "channel": "seo",
                                  "occurred_at": (now - dt.timedelta(hours=1)).isoformat()}])
    do_score_contact(contact=lead, now=now, promote=False)
    do_reset_engagement(contact=lead, mode="zero", now=now)
    assert ContactScore.objects.get(contact=lead).engagement_score == 0


@pytest.mark.django_db(transaction=True)
def test_touchpoints_queue_a_rescore_that_the_worker_runs(lead):
    do_record_touchpoints(items=[{"contact_id": lead.pk, "kind": "demo_request", "channel": "seo"}])
    assert not ContactScore.objects.filter(contact=lead).exists()
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    lead.refresh_from_db()
    assert lead.lifecycle_stage == "mql"
    assert LifecycleTransition.objects.filter(contact=lead, to_stage="mql", source="automation").count() == 1


@pytest.mark.django_db
def test_the_returned_score_is_what_is_stored(users):
    """The score is written by hand-written SQL and returned without reading it back: both must agree, custom
    fields, JSON, timestamps and the activity that counted included."""
    CustomField.objects.create(applies_to="company", key="tier", label="Tier", type="choice", choices=["gold", "tin"])
    body = copy.deepcopy(current_version().body)
    body["icp"]["rules"].append({"label": "Gold tier", "field": "company.custom.tier", "op": "eq", "value": "gold",
                                 "points": 9})
    do_publish_definitions(by=users["admin"], body=body, note="Tiers")
    do_create_company(name="Acme", domain="acme.com", industry="Software", employee_count=800, country="US",
                      annual_revenue="12500000.50", custom={"tier": "gold"})
    lead = do_create_contact(email="cto@acme.com", title="CTO", lifecycle_stage="lead")
    now = timezone.now()
    do_record_touchpoints(items=[{"contact_id": lead.pk, "kind": "webinar_attended", "channel": "webinar",
                                  "utm_campaign": "q4-launch", "occurred_at": (now - dt.timedelta(days=2)).isoformat()}])
    do_log_activity(kind="meeting", contact=lead, occurred_at=now - dt.timedelta(days=1))
    returned = do_score_contact(contact=lead, now=now, promote=False).score
    stored = ContactScore.objects.get(contact=lead)
    names = [f.name for f in ContactScore._meta.concrete_fields if f.name != "contact"]
    assert {n: getattr(returned, n) for n in names} == {n: getattr(stored, n) for n in names}
    assert stored.fit_score == 94 and stored.definition_version == 2  # 75 (see above) + revenue 10 + gold 9
    assert [c["label"] for c in stored.explanation["fit"]] == [
        "Target industry", "Mid-market or larger", "Revenue over $10M", "Core markets", "Decision maker", "Gold tier"]
    assert sorted(c["kind"] for c in stored.explanation["engagement"]) == ["meeting", "webinar_attended"]
    assert stored.last_event_at == now - dt.timedelta(days=1)
    assert list(ScoreHistory.objects.filter(contact=lead).values_list("fit_score", "definition_version", "reason")) \
        == [(94, 2, "event")]


@pytest.mark.django_db
def test_a_rescore_after_an_event_takes_four_statements(lead, django_assert_num_queries):
    now = timezone.now()
    do_score_contact(contact=lead, now=now, promote=False)
    do_record_touchpoints(items=[{"contact_id": lead.pk, "kind": "form_submit", "channel": "seo",
                                  "occurred_at": now.isoformat()}])
    # The contact with its company, score and the keys of definitions and model; its events; the score; history;
    # then its `score.changed` event: the feed's lock (PostgreSQL), the event, whether the feed's pump is queued.
    event = 3 if connection.vendor == "postgresql" else 2
    with django_assert_num_queries(4 + event):
        do_score_contact(contact=lead, now=now, promote=False)
    with django_assert_num_queries(3):  # nothing moved: no history row, no event
        do_score_contact(contact=lead, now=now, promote=False)


@pytest.mark.django_db
def test_scoring_a_contact_that_is_gone_raises_does_not_exist(lead):
    pk = lead.pk
    lead.delete()
    with pytest.raises(Contact.DoesNotExist), transaction.atomic():  # the worker gives each contact a savepoint
        do_score_contact(contact=Contact(pk=pk))
    assert not ContactScore.objects.filter(contact_id=pk).exists()
