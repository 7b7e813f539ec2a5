"""Promoting and routing in bulk records exactly what the per-contact path records for the same contacts: the same
transitions (stage, reason, source, definitions version, time), the same assignments (rep, method, reason, SLA,
campaign), owners, round-robin positions, the reps' notifications and the waiting leads with their reasons."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from plumbline.accounts.actions import do_create_user
from plumbline.accounts.models import Notification, Team, User
from plumbline.crm.actions import do_create_company, do_create_contact
from plumbline.crm.models import Contact, LifecycleTransition
from plumbline.events.models import Event
from plumbline.handoff import bulk as handoff_bulk
from plumbline.handoff.actions import do_score_and_route
from plumbline.handoff.bulk import do_promote_and_route
from plumbline.handoff.models import Assignment, RoundRobinState, Territory, WaitingLead
from plumbline.marketing.actions import do_create_campaign, do_record_touchpoints
from plumbline.scoring.bulk import bulk_rescore

NOW = timezone.now().replace(microsecond=0)


def _population(users: dict[str, User]) -> None:
    """Forty contacts at four companies (one owned by a rep, one in an EMEA territory with its own team, one big
    enough for rep2's territory) and without one; most raise a hand, some only read a blog post, some are
    customers already. Nine slots across four sellers for fourteen new MQLs."""
    enterprise = Team.objects.create(name="Enterprise", kind=Team.Kind.SALES)
    ent1 = do_create_user(username="ent1", password=None, role="sales", team=enterprise, email="ent1@plumbline.test")
    do_create_user(username="ent2", password=None, role="sales", team=enterprise)  # no email: no mail for ent2
    User.objects.filter(username__in=["rep1", "rep2", "manager", "ent2"]).update(capacity=2)
    User.objects.filter(pk=ent1.pk).update(capacity=1)
    Territory.objects.create(name="Big accounts", min_employees=1000, rep=users["rep2"], priority=1)
    Territory.objects.create(name="EMEA", countries=["DE", "FR"], team=enterprise, priority=2)
    companies = [
        do_create_company(name="Acme", domain="acme.com", country="US", employee_count=80, owner=users["rep1"]),
        do_create_company(name="Globex", domain="globex.de", country="DE", employee_count=300),
        do_create_company(name="Initech", domain="initech.com", country="US", employee_count=5000),
        do_create_company(name="Hooli", domain="hooli.com", country="US", employee_count=40),
    ]
    webinar = do_create_campaign(name="Spring webinar", channel="webinar")
    items = []
    for i in range(40):
        company = companies[i % 5] if i % 5 < 4 else None
        email = f"p{i}@{company.domain}" if company else f"p{i}@gmail.com"
        stage = "customer" if i % 13 == 0 else ("subscriber" if i % 3 == 0 else "lead")
        contact = do_create_contact(email=email, first_name=f"P{i}", last_name="Lead" if i % 2 else "",
                                    title="CTO" if i % 2 else "Engineer", lifecycle_stage=stage, source="web")
        at = NOW - dt.timedelta(days=i % 7, hours=1)
        if i % 4 != 3:
            items.append({"contact_id": contact.pk, "kind": "demo_request", "channel": "seo", "occurred_at": at})
        else:
            items.append({"contact_id": contact.pk, "kind": "page_view", "channel": "seo", "occurred_at": at})
        if i % 3 == 1:
            items.append({"contact_id": contact.pk, "kind": "webinar_attended", "campaign_id": webinar.pk,
                          "occurred_at": at - dt.timedelta(hours=2)})
    do_record_touchpoints(items=items)


def _snapshot() -> dict[str, object]:
    contacts = Contact.objects.select_related("owner")
    return {
        "transitions": sorted(
            (t.contact.email, t.from_stage, t.to_stage, t.reason, t.source, t.definition_version, t.occurred_at)
            for t in LifecycleTransition.objects.filter(to_stage="mql").select_related("contact")),
        "assignments": sorted(
            (a.contact.email, a.rep.username, a.method, a.reason, a.definition_version, a.assigned_at, a.sla_due_at,
             a.escalate_at, a.status, a.campaign_id, a.channel, a.source)
            for a in Assignment.objects.select_related("contact", "rep")),
        "contacts": sorted((c.email, c.lifecycle_stage, c.lifecycle_changed_at, c.owner.username if c.owner else None)
                           for c in contacts),
        "round_robin": sorted((s.team.name, s.last_user.username) for s in RoundRobinState.objects.all()),
        "assigned_notes": sorted((n.user.username, n.message, n.url)
                                 for n in Notification.objects.filter(kind="assigned").select_related("user")),
        "waiting": sorted((w.contact.email, w.reason, w.since, w.checked_at)
                          for w in WaitingLead.objects.select_related("contact")),
    }


def _per_contact() -> dict[str, object]:
    result = bulk_rescore(now=NOW)
    for contact in Contact.objects.filter(pk__in=result.to_promote).order_by("pk"):
        do_score_and_route(contact=contact, now=NOW, reason="bulk")
    return _snapshot()


def _bulk() -> dict[str, object]:
    result = bulk_rescore(now=NOW)
    do_promote_and_route(contact_ids=result.to_promote, now=NOW, batch=7)  # batches carry capacity and positions
    return _snapshot()


@pytest.mark.django_db
def test_bulk_promotion_and_routing_record_what_the_per_contact_path_records(users, monkeypatch):
    # given forty contacts, fourteen of whom now meet the MQL rule, and nine free slots among the sellers (the
    # bulk path reading leads two at a time, so its chunking is exercised too)
    _population(users)
    monkeypatch.setattr(handoff_bulk, "DETAIL_CHUNK", 2)

    # when the per-contact path promotes and routes them (then is undone), and the bulk path does the same
    undo = transaction.savepoint()
    one_by_one = _per_contact()
    transaction.savepoint_rollback(undo)
    assert not Assignment.objects.exists() and not WaitingLead.objects.exists()
    bulk = _bulk()

    # then both recorded the same, and that is what the rules say
    assert bulk == one_by_one
    assert len(bulk["transitions"]) == 14
    assert all(t[3].startswith("Fit and engagement, or a hand-raiser (definitions v1): ") and t[4:6] == ("automation", 1)
               for t in bulk["transitions"])
    by_rep = sorted((a[1], a[2]) for a in bulk["assignments"])
    assert by_rep == [("ent1", "territory"), ("ent2", "territory"), ("ent2", "territory"),
                      ("manager", "round_robin"), ("manager", "round_robin"),
                      ("rep1", "company_owner"), ("rep1", "round_robin"),
                      ("rep2", "territory"), ("rep2", "territory")]
    assert sum(a[9] is not None for a in bulk["assignments"]) == 3  # the webinar came before their hand-raise
    assert [w[1:] for w in bulk["waiting"]] == [("capacity", NOW, NOW)] * 5
    assert len(bulk["assigned_notes"]) == 9


@pytest.mark.django_db
def test_bulk_promotion_and_routing_write_their_events(users):
    # given fourteen contacts who now meet the MQL rule and nine free slots
    _population(users)

    # when they are promoted and routed in bulk
    _bulk()

    # then each promotion wrote lifecycle.changed and lead.mql_reached, and each assignment lead.assigned
    transitions = {t.contact_id: t for t in LifecycleTransition.objects.filter(to_stage="mql")}
    changed = Event.objects.filter(kind="lifecycle.changed").order_by("subject_id")
    assert [(e.subject_type, e.subject_id, e.occurred_at) for e in changed] == [
        ("contact", pk, NOW) for pk in sorted(transitions)]
    assert [e.payload for e in changed] == [
        {"from": transitions[e.subject_id].from_stage, "to": "mql", "source": "automation",
         "transition_id": transitions[e.subject_id].pk, "definition_version": 1} for e in changed]
    reached = Event.objects.filter(kind="lead.mql_reached").order_by("subject_id")
    assert [(e.subject_id, e.payload) for e in reached] == [
        (pk, {"transition_id": transitions[pk].pk, "definition_version": 1}) for pk in sorted(transitions)]
    assigned = Event.objects.filter(kind="lead.assigned").order_by("subject_id")
    assert [(e.subject_type, e.subject_id, e.payload) for e in assigned] == [
        ("assignment", a.pk, {"contact_id": a.contact_id, "rep_id": a.rep_id, "method": a.method,
                              "definition_version": 1}) for a in Assignment.objects.order_by("pk")]
