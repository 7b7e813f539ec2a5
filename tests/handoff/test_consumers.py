"""Handoff follows the feed: a new MQL is routed once, a deactivated rep's open leads go to others once, a sales
touch stops the SLA clock. Replaying the feed (an operator's `events replay`, or a batch run again after a crash)
changes nothing: no second assignment, no second MQL transition, no second notification."""

from __future__ import annotations

import datetime as dt

import pytest

from plumbline.accounts.actions import do_deactivate_user
from plumbline.accounts.models import Notification
from plumbline.crm.actions import do_create_contact, do_log_activity
from plumbline.crm.models import LifecycleTransition
from plumbline.events import registry
from plumbline.events.actions import do_replay
from plumbline.events.models import ConsumerCursor, Event
from plumbline.events.runner import drain, run_consumer
from plumbline.handoff.actions import do_route_lead
from plumbline.handoff.models import Assignment
from plumbline.marketing.actions import do_record_touchpoints

NOW = dt.datetime(2026, 11, 16, 9, tzinfo=dt.UTC)


def engage(contact) -> None:
    do_record_touchpoints(items=[
        {"contact_id": contact.pk, "kind": "webinar_attended", "channel": "webinar", "occurred_at": NOW.isoformat()},
        {"contact_id": contact.pk, "kind": "demo_request", "channel": "seo", "occurred_at": NOW.isoformat()}])


def replay_everything() -> None:
    for name in ("scoring.rescore", "handoff.route", "handoff.first_touch"):
        do_replay(name=name, from_event=1)
    drain()


@pytest.mark.django_db
def test_a_new_mql_is_routed_once_however_often_the_feed_is_replayed(users, lead):
    # Given touchpoints that make the lead an MQL
    engage(lead)

    # When the feed runs, then replays everything
    drain()
    drain()
    replay_everything()

    # Then it was promoted once, routed once, and its rep told once
    assert LifecycleTransition.objects.filter(contact=lead, to_stage="mql").count() == 1
    assert Event.objects.filter(kind="lead.mql_reached").count() == 1
    (assignment,) = Assignment.objects.filter(contact=lead)
    assert assignment.status == "open"
    assert Notification.objects.filter(kind="assigned").count() == 1
    assert Event.objects.filter(kind="lead.assigned").count() == 1
    cursor = ConsumerCursor.objects.get(name="handoff.route")
    assert cursor.position == Event.objects.latest("id").pk and cursor.failures == 0


@pytest.mark.django_db
def test_an_mql_no_rep_can_take_is_reported_once_and_waits(users, lead):
    # Given every seller out of the office
    for name in ("rep1", "rep2", "manager"):
        users[name].is_out_of_office = True
        users[name].save(update_fields=["is_out_of_office"])
    engage(lead)

    # When the feed runs and is replayed
    drain()
    replay_everything()

    # Then the managers heard once, and the lead waits for a rep
    assert not Assignment.objects.exists()
    assert list(Notification.objects.filter(kind="unrouted").values_list("user__username", flat=True)) == ["manager"]


@pytest.mark.django_db
def test_a_lead_handled_before_the_feed_reads_it_is_not_routed_again(users, lead):
    # Given a lead that reached MQL, and that a manager routed by hand before the worker ran
    engage(lead)
    run_consumer(registry.get("scoring.rescore"))  # scoring only
    lead.refresh_from_db()
    assert lead.lifecycle_stage == "mql"
    do_route_lead(contact=lead)

    # When handoff reads the feed
    drain()

    # Then the lead keeps its one assignment
    assert Assignment.objects.filter(contact=lead).count() == 1
    assert Notification.objects.filter(kind="assigned").count() == 1


@pytest.mark.django_db
def test_a_deactivated_reps_open_leads_go_to_others_once(users):
    # Given two leads waiting for rep1, and one rep1 has accepted
    leads = [do_create_contact(email=f"{n}@acme.com", lifecycle_stage="mql") for n in ("ann", "bob", "cy")]
    users["rep2"].is_out_of_office = True
    users["rep2"].save(update_fields=["is_out_of_office"])
    users["manager"].is_out_of_office = True
    users["manager"].save(update_fields=["is_out_of_office"])
    assignments = [do_route_lead(contact=c) for c in leads]
    assert {a.rep for a in assignments} == {users["rep1"]}
    Assignment.objects.filter(pk=assignments[2].pk).update(status="accepted")
    users["rep2"].is_out_of_office = False
    users["rep2"].save(update_fields=["is_out_of_office"])
    drain()

    # When an admin deactivates rep1 and the feed runs (twice, then replayed)
    do_deactivate_user(by=users["admin"], user=users["rep1"])
    assert Assignment.objects.filter(rep=users["rep1"], status="open").count() == 2  # not yet: handoff's job
    drain()
    drain()
    replay_everything()

    # Then the two waiting leads went to rep2, once each; the accepted one stays
    assert Assignment.objects.filter(rep=users["rep1"], status="reassigned").count() == 2
    assert sorted(Assignment.objects.filter(status="open").values_list("contact__email", "rep__username")) == [
        ("ann@acme.com", "rep2"), ("bob@acme.com", "rep2")]
    assert Assignment.objects.get(pk=assignments[2].pk).status == "accepted"
    assert users["rep2"].notifications.filter(kind="assigned").count() == 2


@pytest.mark.django_db
def test_a_call_logged_stops_the_sla_clock_once_the_feed_runs(users):
    ann = do_create_contact(email="ann@acme.com", lifecycle_stage="mql")
    assignment = do_route_lead(contact=ann)
    call_at = assignment.assigned_at + dt.timedelta(minutes=20)
    do_log_activity(by=assignment.rep, kind="call", contact=ann, outcome="connected", occurred_at=call_at)
    assert Assignment.objects.get(pk=assignment.pk).first_touch_at is None
    drain()
    assert Assignment.objects.get(pk=assignment.pk).first_touch_at == call_at
