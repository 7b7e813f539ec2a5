import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from plumbline.crm.actions import do_create_company, do_create_contact
from plumbline.crm.models import LifecycleTransition
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
    assert outcome.mql.reason == "Fit and engagement, or a hand-raiser (definitions v1): hand-raiser demo_request " \
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
