"""The loop end to end: touchpoints -> MQL -> routed -> SLA breach and escalation -> rejected -> nurture -> report."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command

from plumbline.crm.actions import do_log_activity
from plumbline.crm.models import LifecycleTransition
from plumbline.definitions.actions import do_publish_definitions
from plumbline.definitions.queries import current_version
from plumbline.handoff.actions import do_check_sla, do_reject_lead
from plumbline.handoff.models import Assignment, Territory
from plumbline.handoff.queries import lead_quality, sla_status
from plumbline.marketing.actions import do_create_campaign, do_record_touchpoints
from plumbline.scoring.models import ContactScore

MONDAY_9 = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.UTC)


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_lead_goes_round_the_loop_and_feeds_back_to_marketing(users, lead, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    body = dict(current_version().body)
    body["sla"] = {**body["sla"], "first_touch_hours": 4, "escalate_after_hours": 6, "reassign_on_breach": True}
    do_publish_definitions(by=users["admin"], body=body, note="Reassign slow leads")
    Territory.objects.create(name="US software", countries=["US"], industries=["Software"], rep=users["rep1"])
    webinar = do_create_campaign(name="Data webinar", channel="webinar", cost=2000)

    # Given touchpoints from a well-fitting lead, when the worker runs, it becomes an MQL routed to rep1.
    do_record_touchpoints(items=[
        {"contact_id": lead.pk, "kind": "webinar_attended", "campaign_id": webinar.pk,
         "occurred_at": (MONDAY_9 - dt.timedelta(days=2)).isoformat()},
        {"contact_id": lead.pk, "kind": "demo_request", "channel": "seo", "occurred_at": MONDAY_9.isoformat()},
    ])
    run_worker()
    lead.refresh_from_db()
    assert lead.lifecycle_stage == "mql"
    mql = LifecycleTransition.objects.get(contact=lead, to_stage="mql")
    assert mql.definition_version == 2
    first = Assignment.objects.get(contact=lead)
    assert (first.rep, first.method, first.reason) == (users["rep1"], "territory", "Territory US software")
    assert first.campaign == webinar
    assert users["rep1"].notifications.filter(kind="assigned").count() == 1

    # When nobody touches it for 4 business hours the SLA breaches and the manager hears of it.
    start = first.assigned_at
    do_check_sla(assignment=first, now=start + dt.timedelta(hours=3))
    assert Assignment.objects.get(pk=first.pk).breached_at is None
    breach_check = first.sla_due_at + dt.timedelta(minutes=1)
    first = do_check_sla(assignment=first, now=breach_check)
    assert first.breached_at == first.sla_due_at
    assert sla_status(first, breach_check).state == "breached"
    assert users["manager"].notifications.filter(kind="sla_breached").count() == 1

    # After 6 business hours it escalates and is reassigned to another rep.
    do_check_sla(assignment=first, now=first.escalate_at + dt.timedelta(minutes=1))
    first.refresh_from_db()
    assert first.status == "reassigned"
    second = Assignment.objects.get(contact=lead, status="open")
    assert second.rep != users["rep1"]
    assert second.method in {"territory", "round_robin"}

    # The new rep calls (the clock stops) and rejects the lead for bad timing.
    do_log_activity(by=second.rep, kind="call", contact=lead, outcome="connected",
                    occurred_at=second.assigned_at + dt.timedelta(minutes=30))
    run_worker()
    second.refresh_from_db()
    assert second.first_touch_at == second.assigned_at + dt.timedelta(minutes=30)
    do_reject_lead(by=second.rep, assignment=second, reason="bad_timing", note="Budget cycle in Q3",
                   now=second.assigned_at + dt.timedelta(hours=1))
    run_worker()
    lead.refresh_from_db()
    assert lead.lifecycle_stage == "lead"
    back = LifecycleTransition.objects.filter(contact=lead).first()
    assert back.reason == f"Rejected by {second.rep.display_name}: Bad timing (Budget cycle in Q3)"
    assert ContactScore.objects.get(contact=lead).engagement_score == 0
    assert users["marketing"].notifications.filter(kind="lead_rejected").count() == 1
    assert any("SLA breached" in m.subject for m in mail.outbox)

    # And the rejection shows up in the lead-quality report under its campaign.
    rows = {r["group"]: r for r in lead_quality(group_by="campaign")}
    assert rows["Data webinar"]["mqls"] == 1
    assert rows["Data webinar"]["rejected"] == 1
    assert rows["Data webinar"]["rejected_by_reason"] == {"bad_timing": 1}
