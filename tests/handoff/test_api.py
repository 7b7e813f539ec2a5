import pytest
from django.test import Client

from plumbline.crm.models import LifecycleTransition
from plumbline.events.runner import drain
from plumbline.handoff.actions import do_route_lead
from plumbline.handoff.models import Assignment
from plumbline.marketing.actions import do_record_touchpoints


def call(tokens, who, method, path, **kw):
    headers = {"Authorization": f"Bearer {tokens[who]}"} if who else {}
    return getattr(Client(), method)(f"/api/v1{path}", headers=headers, content_type="application/json", **kw)


@pytest.fixture
def assignment(users, lead):
    lead.lifecycle_stage = "mql"
    lead.save()
    users["rep2"].is_out_of_office = True
    users["rep2"].save()
    users["manager"].is_out_of_office = True
    users["manager"].save()
    return do_route_lead(contact=lead)


@pytest.mark.django_db
def test_rep_sees_own_queue_and_accepts(tokens, assignment):
    r = call(tokens, "rep1", "get", "/handoff/queue")
    assert r.status_code == 200
    assert [(row["contact_email"], row["sla_state"], row["method"]) for row in r.json()] == [
        ("cto@acme.com", "running", "round_robin"),
    ]
    r = call(tokens, "rep1", "post", f"/handoff/assignments/{assignment.pk}/accept")
    assert (r.status_code, r.json()["status"]) == (200, "accepted")
    assert assignment.contact.lifecycle_transitions.first().to_stage == "sal"


@pytest.mark.django_db
def test_reject_needs_a_known_reason_and_another_rep_cannot_decide(tokens, assignment):
    r = call(tokens, "rep1", "post", f"/handoff/assignments/{assignment.pk}/reject", data={"reason": "meh"})
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "reason"
    r = call(tokens, "rep2", "post", f"/handoff/assignments/{assignment.pk}/reject", data={"reason": "no_budget"})
    assert r.status_code == 403
    r = call(tokens, "viewer", "post", f"/handoff/assignments/{assignment.pk}/accept")
    assert r.status_code == 403
    assert Assignment.objects.get(pk=assignment.pk).status == "open"
    r = call(tokens, "rep1", "post", f"/handoff/assignments/{assignment.pk}/reject",
             data={"reason": "no_budget", "note": "Freeze"})
    assert (r.status_code, r.json()["reject_reason"]) == (200, "no_budget")
    r = call(tokens, "rep1", "post", f"/handoff/assignments/{assignment.pk}/reject", data={"reason": "no_budget"})
    assert r.status_code == 409


@pytest.mark.django_db
def test_lead_quality_report_and_anonymous_refused(tokens, assignment, users):
    call(tokens, "rep1", "post", f"/handoff/assignments/{assignment.pk}/reject", data={"reason": "student"})
    r = call(tokens, "marketing", "get", "/reports/lead-quality?group_by=rep")
    assert r.json() == [{"group": "rep1", "mqls": 1, "accepted": 0, "rejected": 1, "waiting": 0,
                         "rejected_by_reason": {"student": 1}, "sql": 0, "won": 0, "acceptance_rate": 0.0}]
    assert call(tokens, None, "get", "/reports/lead-quality").status_code == 401
    assert call(tokens, "marketing", "get", "/reports/lead-quality?group_by=planet").status_code == 422


@pytest.mark.django_db
def test_score_endpoint_explains_the_score(tokens, lead):
    r = call(tokens, "viewer", "get", f"/contacts/{lead.pk}/score")
    body = r.json()
    assert (r.status_code, body["fit_score"], body["fit_grade"]) == (200, 75, "A")
    assert [c["label"] for c in body["explanation"]["fit"]] == [
        "Target industry", "Mid-market or larger", "Core markets", "Decision maker",
    ]
    assert call(tokens, "viewer", "post", f"/contacts/{lead.pk}/score").status_code == 403
    assert call(tokens, "viewer", "get", "/contacts/999999/score").status_code == 404


@pytest.mark.django_db
def test_rescore_now_promotes_and_the_feed_routes_the_new_mql(tokens, lead):
    # Given touchpoints the worker has not scored yet
    do_record_touchpoints(items=[
        {"contact_id": lead.pk, "kind": "webinar_attended", "channel": "webinar"},
        {"contact_id": lead.pk, "kind": "demo_request", "channel": "seo"}])
    # When marketing asks for a rescore now
    r = call(tokens, "marketing", "post", f"/contacts/{lead.pk}/score")
    # Then the answer has the new score and the lead is an MQL; handoff routes it from the feed, once
    assert r.status_code == 200 and r.json()["engagement_score"] > 0
    lead.refresh_from_db()
    assert lead.lifecycle_stage == "mql" and not Assignment.objects.filter(contact=lead).exists()
    drain()
    assert Assignment.objects.filter(contact=lead).count() == 1
    assert LifecycleTransition.objects.filter(contact=lead, to_stage="mql").count() == 1
