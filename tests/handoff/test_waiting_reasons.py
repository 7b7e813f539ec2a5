"""MQLs no rep can take wait in the visible queue with the reason (capacity, nothing covers them, nobody in), on
the page and in the API, and leave it when a rep frees capacity."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from plumbline.accounts.models import Notification, Team, User
from plumbline.crm.actions import do_create_company, do_create_contact
from plumbline.events import registry
from plumbline.events.models import ConsumerCursor as EventCursors
from plumbline.events.models import Event
from plumbline.events.runner import drain, head
from plumbline.handoff.actions import do_accept_lead, do_route_lead
from plumbline.handoff.backlog import do_route_waiting, waiting_by_reason
from plumbline.handoff.bulk import route_mqls
from plumbline.handoff.models import Assignment, Territory, WaitingLead
from plumbline.marketing.actions import do_record_touchpoints
from plumbline.scoring.tasks import rescore_all

NOW = timezone.now().replace(microsecond=0) + dt.timedelta(hours=1)  # after the contacts become MQLs


def _mqls(n: int, domain: str = "lead") -> list:
    return [do_create_contact(email=f"cto{i}@{domain}{i}.com", title="CTO", lifecycle_stage="mql") for i in range(n)]


def _call(tokens, who: str, path: str):
    return Client().get(f"/api/v1{path}", headers={"Authorization": f"Bearer {tokens[who]}"})


@pytest.mark.django_db
def test_leads_past_every_reps_capacity_wait_with_capacity_as_the_reason(users):
    # given room for three leads and five MQLs
    User.objects.filter(role__in=["sales", "sales_manager"]).update(capacity=1)
    contacts = _mqls(5)

    # when they are routed in bulk
    result = route_mqls(contact_ids=[c.pk for c in contacts], now=NOW)

    # then three are assigned, the two newest wait for capacity, and the manager hears once about both
    assert [a.contact_id for a in result.routed] == [c.pk for c in contacts[:3]]
    assert list(WaitingLead.objects.order_by("contact_id").values_list("contact_id", "reason", "since")) == [
        (contacts[3].pk, "capacity", NOW), (contacts[4].pk, "capacity", NOW)]
    assert list(users["manager"].notifications.filter(kind="unrouted").values_list("message", flat=True)) == [
        "2 new MQLs wait for a rep. Every rep who could take it is at capacity: 2."]
    assert waiting_by_reason() == {"capacity": 2, "no_territory": 0, "no_seller": 0, "not_routed": 0}


@pytest.mark.django_db
def test_a_lead_no_owner_territory_or_sales_team_covers_waits_with_that_reason(users):
    # given sellers in no sales team, one territory for Germany only, and an MQL at a US company
    User.objects.filter(role__in=["sales", "sales_manager"]).update(team=None)
    Territory.objects.create(name="DACH", countries=["DE"], rep=users["rep1"])
    do_create_company(name="Acme", domain="acme.com", country="US")
    lead = do_create_contact(email="cto@acme.com", lifecycle_stage="mql")

    # when it is routed, in bulk and one by one
    bulk = route_mqls(contact_ids=[lead.pk], now=NOW)
    one = do_route_lead(contact=lead, now=NOW)

    # then nobody takes it, and both paths record why
    assert (bulk.routed, dict(bulk.waiting), one) == ([], {"no_territory": 1}, None)
    assert WaitingLead.objects.get(contact=lead).reason == "no_territory"


@pytest.mark.django_db
def test_nobody_in_the_office_is_recorded_as_the_reason(users):
    User.objects.filter(role__in=["sales", "sales_manager"]).update(is_out_of_office=True)
    lead = _mqls(1)[0]
    route_mqls(contact_ids=[lead.pk], now=NOW)
    assert WaitingLead.objects.get(contact=lead).reason == "no_seller"


@pytest.mark.django_db
def test_a_waiting_lead_is_routed_when_a_rep_frees_capacity_and_leaves_the_waiting_queue(users):
    # given every seller full and one MQL waiting for capacity
    User.objects.filter(role__in=["sales", "sales_manager"]).update(capacity=1)
    contacts = _mqls(4)
    route_mqls(contact_ids=[c.pk for c in contacts], now=NOW)
    waiting = contacts[3]

    # when rep1 accepts their lead and the backlog is routed
    do_accept_lead(by=users["rep1"], assignment=Assignment.objects.get(rep=users["rep1"], status="open"))
    routed = do_route_waiting(now=NOW)

    # then the waiting lead goes to rep1 and nothing waits any more
    assert routed == 1
    assert Assignment.objects.get(contact=waiting, status="open").rep == users["rep1"]
    assert not WaitingLead.objects.exists()
    assert waiting_by_reason() == {"capacity": 0, "no_territory": 0, "no_seller": 0, "not_routed": 0}


@pytest.mark.django_db
def test_routing_the_same_waiting_leads_again_neither_assigns_nor_notifies_twice(users):
    User.objects.filter(role__in=["sales", "sales_manager"]).update(capacity=1)
    ids = [c.pk for c in _mqls(5)]
    route_mqls(contact_ids=ids, now=NOW)
    again = route_mqls(contact_ids=ids, now=NOW)
    assert (again.routed, dict(again.waiting), dict(again.newly_waiting)) == ([], {"capacity": 2}, {})
    assert Assignment.objects.count() == 3
    assert Notification.objects.filter(kind="unrouted").count() == 1


@pytest.mark.django_db
def test_api_lists_waiting_mqls_with_their_reasons_a_page_at_a_time(users, tokens):
    # given two MQLs waiting for capacity and one promoted but not routed yet
    User.objects.filter(role__in=["sales", "sales_manager"]).update(capacity=0)
    contacts = _mqls(3)
    route_mqls(contact_ids=[c.pk for c in contacts[:2]], now=NOW)

    # when marketing reads the waiting queue two at a time
    first = _call(tokens, "marketing", "/handoff/waiting?limit=2")
    second = _call(tokens, "marketing", f"/handoff/waiting?limit=2&cursor={first.json()['next_cursor']}")

    # then every waiting MQL is listed once, with its reason and label
    assert first.status_code == second.status_code == 200
    rows = first.json()["items"] + second.json()["items"]
    assert [(r["contact_id"], r["reason"], r["reason_label"]) for r in rows] == [
        (contacts[0].pk, "capacity", "Every rep who could take it is at capacity"),
        (contacts[1].pk, "capacity", "Every rep who could take it is at capacity"),
        (contacts[2].pk, "not_routed", "Not routed yet"),
    ]
    assert second.json()["next_cursor"] is None
    assert first.json()["by_reason"] == {"capacity": 2, "no_territory": 0, "no_seller": 0, "not_routed": 1}
    assert _call(tokens, "marketing", "/handoff/waiting?limit=0").status_code == 422


@pytest.mark.django_db
def test_waiting_page_and_home_card_show_why_leads_wait(users):
    Team.objects.filter(kind="sales").delete()
    User.objects.filter(role__in=["sales", "sales_manager"]).update(capacity=0)
    contacts = _mqls(2)
    route_mqls(contact_ids=[c.pk for c in contacts], now=NOW)
    client = Client()
    client.force_login(users["manager"])

    page = client.get("/queue/waiting/").content.decode()
    card = client.get("/queue/backlog/").content.decode()

    assert f'id="waiting-{contacts[0].pk}"' in page and f'id="waiting-{contacts[1].pk}"' in page
    assert page.count("No company owner, territory or sales team covers it") == 3  # the summary and two rows
    assert "Page 1 of 1 (2 waiting)" in page
    assert 'href="/queue/waiting/"' in card and "2: No company owner, territory or sales team covers it" in card


@pytest.mark.django_db
def test_nightly_rescore_promotes_new_mqls_in_bulk_and_the_feed_routes_them(users, lead):
    # given a lead who asked for a demo, never scored
    do_record_touchpoints(items=[{"contact_id": lead.pk, "kind": "demo_request", "channel": "seo"}])
    EventCursors.objects.all().delete()
    for consumer in registry.consumers():  # the feed's readers have read past the touchpoint: only the
        EventCursors.objects.create(name=consumer.name, position=head())  # nightly run can promote it

    # when the nightly rescore runs, and the worker runs the feed
    rescore_all.call()
    assert Event.objects.filter(kind="lead.mql_reached", subject_id=lead.pk).count() == 1
    drain()

    # then the lead is an MQL by the rule and in a rep's queue
    lead.refresh_from_db()
    assert lead.lifecycle_stage == "mql"
    assert lead.lifecycle_transitions.get(to_stage="mql").source == "automation"
    assert Assignment.objects.get(contact=lead, status="open").rep.role in ("sales", "sales_manager")
