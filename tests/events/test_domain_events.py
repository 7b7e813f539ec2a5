"""Every action of the sales half writes its domain event, once, in its own transaction, with a payload of ids,
field names and codes (no personal values: a webhook consumer reads the record if it needs more)."""

from __future__ import annotations

import datetime as dt

import pytest

from plumbline.accounts.actions import do_deactivate_user
from plumbline.crm.actions import (
    do_change_lifecycle,
    do_create_company,
    do_create_contact,
    do_create_deal,
    do_delete_contact,
    do_log_activity,
    do_merge_contacts,
    do_move_deal,
    do_undo_merge,
    do_update_company,
    do_update_contact,
)
from plumbline.definitions.actions import do_publish_definitions
from plumbline.definitions.queries import current_version
from plumbline.events.models import Event
from plumbline.handoff.actions import do_accept_lead, do_check_sla, do_reject_lead, do_route_lead
from plumbline.marketing.actions import do_record_touchpoints
from plumbline.scoring.actions import do_score_contact


@pytest.fixture
def lead(db):
    do_create_company(name="Acme", domain="acme.com", industry="Software", employee_count=800, country="US")
    return do_create_contact(email="cto@acme.com", title="CTO", lifecycle_stage="lead", source="webinar")


def events(kind: str) -> list[tuple[str, int, dict]]:
    return [(e.subject_type, e.subject_id, e.payload) for e in Event.objects.filter(kind=kind).order_by("id")]


def only(kind: str) -> tuple[str, int, dict]:
    (event,) = events(kind)
    return event


@pytest.mark.django_db
def test_contacts_and_companies(users):
    acme = do_create_company(by=users["admin"], name="Acme", domain="acme.com")
    assert only("company.created") == ("company", acme.pk, {"linked_contacts": 0})
    ann = do_create_contact(by=users["admin"], email="ann@acme.com", first_name="Ann", lifecycle_stage="lead",
                            owner=users["rep1"])
    assert only("contact.created") == ("contact", ann.pk, {
        "stage": "lead", "company_id": acme.pk, "owner_id": users["rep1"].pk, "source": "manual"})
    do_update_contact(by=users["admin"], contact=ann, changes={"title": "CTO", "phone": "+1 555 0100"})
    do_update_contact(by=users["admin"], contact=ann, changes={"title": "CTO"})  # nothing changed: no event
    assert only("contact.updated") == ("contact", ann.pk, {"fields": ["phone", "title"]})
    do_update_company(by=users["admin"], company=acme, changes={"industry": "Software"})
    assert only("company.updated") == ("company", acme.pk, {"fields": ["industry"], "linked_contacts": 0})
    event = Event.objects.get(kind="contact.updated")
    assert event.actor == users["admin"]


@pytest.mark.django_db
def test_lifecycle_moves(users):
    ann = do_create_contact(email="ann@example.com", lifecycle_stage="lead")
    transition = do_change_lifecycle(by=users["admin"], contact=ann, to_stage="sql", reason="Qualified on a call",
                                     definition_version=1)
    assert only("lifecycle.changed") == ("contact", ann.pk, {
        "from": "lead", "to": "sql", "reason": "Qualified on a call", "source": "manual", "definition_version": 1,
        "transition_id": transition.pk})


@pytest.mark.django_db
def test_merges_their_undoing_and_erasure(users):
    ann = do_create_contact(email="ann@example.com", lifecycle_stage="lead")
    dup = do_create_contact(email="ann.lee@example.com", title="CTO", lifecycle_stage="sql")
    merge = do_merge_contacts(by=users["admin"], survivor=ann, other=dup)
    assert only("contact.merged") == ("contact", ann.pk, {
        "merge_id": merge.pk, "merged_id": dup.pk, "fields": ["lifecycle_changed_at", "lifecycle_stage", "title"],
        "moved": {"crm.lifecycletransition": 1}})
    (_, _, moved_stage), = events("lifecycle.changed")
    assert (moved_stage["from"], moved_stage["to"], moved_stage["source"]) == ("lead", "sql", "merge")
    restored = do_undo_merge(by=users["admin"], merge=merge)
    assert only("contact.unmerged") == ("contact", ann.pk, {
        "merge_id": merge.pk, "restored_id": restored.pk,
        "fields": ["lifecycle_changed_at", "lifecycle_stage", "title"]})
    restored_id = restored.pk
    do_delete_contact(by=users["admin"], contact=restored)
    assert only("contact.erased") == ("contact", restored_id, {})


@pytest.mark.django_db
def test_activities(users):
    ann = do_create_contact(email="ann@example.com")
    call = do_log_activity(by=users["rep1"], kind="call", contact=ann, outcome="connected")
    assert only("activity.logged") == ("activity", call.pk, {
        "kind": "call", "contact_id": ann.pk, "company_id": None, "deal_id": None, "owner_id": users["rep1"].pk})


@pytest.mark.django_db
def test_deals(users, pipeline):
    stages = {s.name: s for s in pipeline.stages.all()}
    deal = do_create_deal(by=users["rep1"], name="Acme expansion", amount=1000)
    assert only("deal.created") == ("deal", deal.pk, {
        "pipeline_id": pipeline.pk, "stage_id": stages["Discovery"].pk, "status": "open", "company_id": None,
        "owner_id": users["rep1"].pk, "contact_ids": []})
    do_move_deal(by=users["rep1"], deal=deal, stage=stages["Demo"])
    do_move_deal(by=users["rep1"], deal=deal, stage=stages["Won"])
    assert [p["to_stage_id"] for *_, p in events("deal.moved")] == [stages["Demo"].pk, stages["Won"].pk]
    assert only("deal.won") == ("deal", deal.pk, {
        "from_stage_id": stages["Demo"].pk, "to_stage_id": stages["Won"].pk, "status": "won",
        "pipeline_id": pipeline.pk})
    lost = do_create_deal(by=users["rep1"], name="Lost cause", stage=stages["Lost"])
    assert events("deal.lost")[0][:2] == ("deal", lost.pk)
    assert len(events("deal.created")) == 2


@pytest.mark.django_db
def test_scores_and_the_mql(lead):
    do_score_contact(contact=lead)
    assert [(s, p["grade"][0]) for s, _, p in events("score.changed")] == [("contact", None)]
    do_score_contact(contact=lead)  # nothing moved: no event
    assert len(events("score.changed")) == 1
    now = dt.datetime(2026, 11, 16, 9, tzinfo=dt.UTC)
    do_record_touchpoints(items=[
        {"contact_id": lead.pk, "kind": "webinar_attended", "channel": "webinar", "occurred_at": now.isoformat()},
        {"contact_id": lead.pk, "kind": "demo_request", "channel": "seo", "occurred_at": now.isoformat()}])
    outcome = do_score_contact(contact=lead, now=now)
    _, _, changed = events("score.changed")[-1]
    assert changed["engagement"][0] == 0 and changed["engagement"][1] > 0
    assert only("lead.mql_reached") == ("contact", lead.pk, {
        "transition_id": outcome.mql.pk, "fit": outcome.score.fit_score, "grade": outcome.score.fit_grade,
        "engagement": round(outcome.score.engagement_score), "definition_version": 1})
    do_score_contact(contact=lead, now=now)  # already an MQL: promoted once
    assert len(events("lead.mql_reached")) == 1


@pytest.mark.django_db
def test_the_handoff(users, lead):
    do_change_lifecycle(contact=lead, to_stage="mql", reason="test")
    assigned = do_route_lead(contact=lead)
    lead_payload = {"assignment_id": assigned.pk, "rep_id": assigned.rep_id, "method": assigned.method,
                    "definition_version": 1}
    assert only("lead.assigned") == ("contact", lead.pk, lead_payload)
    breached = do_check_sla(assignment=assigned, now=assigned.sla_due_at + dt.timedelta(minutes=1))
    do_check_sla(assignment=assigned, now=assigned.sla_due_at + dt.timedelta(minutes=2))  # breached once
    assert only("lead.sla_breached") == ("contact", lead.pk, {**lead_payload, "due_at": breached.sla_due_at.isoformat()})
    do_accept_lead(by=assigned.rep, assignment=assigned)
    assert only("lead.accepted") == ("contact", lead.pk, lead_payload)

    bob = do_create_contact(email="bob@acme.com", lifecycle_stage="mql")
    second = do_route_lead(contact=bob)
    do_reject_lead(by=second.rep, assignment=second, reason="bad_timing")
    assert only("lead.rejected")[2] == {"assignment_id": second.pk, "rep_id": second.rep_id, "method": second.method,
                                        "definition_version": 1, "reason": "bad_timing"}


@pytest.mark.django_db
def test_definitions_and_users(users):
    body = dict(current_version().body)
    body["sla"] = {**body["sla"], "first_touch_hours": 2}
    version = do_publish_definitions(by=users["admin"], body=body, note="Faster first touch")
    assert only("definitions.published") == ("definitionversion", version.pk, {"version": 2})
    do_deactivate_user(by=users["admin"], user=users["rep2"])
    do_deactivate_user(by=users["admin"], user=users["rep2"])  # already inactive: nothing happens
    assert only("user.deactivated") == ("user", users["rep2"].pk, {})
