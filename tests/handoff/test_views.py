import pytest
from django.test import Client

from plumbline.handoff.actions import do_route_lead
from tests.conftest import PASSWORD


def client_for(username):
    c = Client()
    assert c.login(username=username, password=PASSWORD)
    return c


@pytest.fixture
def assignment(users, lead):
    lead.lifecycle_stage = "mql"
    lead.save()
    for name in ("rep2", "manager"):
        users[name].is_out_of_office = True
        users[name].save()
    return do_route_lead(contact=lead)


@pytest.mark.django_db
@pytest.mark.parametrize("who,status", [
    ("admin", 200), ("marketing", 200), ("rep1", 200), ("manager", 200), ("viewer", 200), (None, 302),
])
def test_queue_and_report_pages_per_role(users, who, status):
    c = client_for(who) if who else Client()
    assert c.get("/queue/").status_code == status
    assert c.get("/reports/lead-quality/").status_code == status


@pytest.mark.django_db
def test_rep_sees_the_lead_with_its_sla_and_accepts_it(assignment):
    c = client_for("rep1")
    page = c.get("/queue/").content.decode()
    assert "cto@acme.com" in page and "sla-countdown" in page and "Round robin in Sales" in page
    r = c.post(f"/queue/{assignment.pk}/accept")
    assert r.status_code == 302
    assignment.refresh_from_db()
    assert assignment.status == "accepted"


@pytest.mark.django_db
def test_reject_with_reason_and_viewer_cannot(assignment):
    assert client_for("viewer").post(f"/queue/{assignment.pk}/reject", {"reason": "no_need"}).status_code == 403
    c = client_for("rep1")
    c.post(f"/queue/{assignment.pk}/reject", {"reason": "not-a-reason"})
    assignment.refresh_from_db()
    assert assignment.status == "open"
    c.post(f"/queue/{assignment.pk}/reject", {"reason": "no_need", "note": "Has a tool"})
    assignment.refresh_from_db()
    assert (assignment.status, assignment.reject_reason, assignment.note) == ("rejected", "no_need", "Has a tool")
    report = client_for("marketing").get("/reports/lead-quality/?group_by=rep").content.decode()
    assert "<svg" in report and '<span class="badge danger">No need 1</span>' in report and "no_need" not in report
    csv_text = client_for("marketing").get("/reports/lead-quality/?group_by=rep&format=csv").content.decode()
    assert csv_text.splitlines()[1] == "rep1,1,0,1,0,0,0,0.0,no_need=1"


@pytest.mark.django_db
def test_contact_page_shows_the_handoff_and_its_sla(assignment):
    c = client_for("viewer")
    page = c.get(f"/contacts/{assignment.contact_id}/").content.decode()
    assert f'hx-get="/contacts/{assignment.contact_id}/handoff-panel/"' in page
    panel = c.get(f"/contacts/{assignment.contact_id}/handoff-panel/").content.decode()
    assert "With <strong>Rep1</strong>" in panel and "left</span>" in panel
    assert Client().get(f"/contacts/{assignment.contact_id}/handoff-panel/").status_code == 302


@pytest.mark.django_db
def test_acceptance_rate_counts_decided_leads_only(users, acme):
    # given two leads routed to rep1: one accepted, one still waiting
    from plumbline.crm.actions import do_create_contact
    from plumbline.handoff.actions import do_accept_lead

    for name in ("rep2", "manager"):
        users[name].is_out_of_office = True
        users[name].save()
    a, b = (do_route_lead(contact=do_create_contact(email=f"l{i}@acme.com", lifecycle_stage="mql")) for i in (1, 2))
    do_accept_lead(by=users["rep1"], assignment=a)

    # when marketing reads the report by rep
    report = client_for("marketing").get("/reports/lead-quality/?group_by=rep").content.decode()
    csv_text = client_for("marketing").get("/reports/lead-quality/?group_by=rep&format=csv").content.decode()

    # then the waiting lead is shown as waiting and left out of the rate: 1 of 1 decided is 100%
    assert '<td class="num">2</td><td class="num">1</td><td class="num">0</td><td class="num">1</td>' in report
    assert '<td class="num">100%</td>' in report
    assert csv_text.splitlines()[1] == "rep1,2,1,0,1,0,0,1.0,"


@pytest.mark.django_db
def test_acceptance_rate_is_a_dash_while_nothing_is_decided(assignment):
    report = client_for("marketing").get("/reports/lead-quality/?group_by=rep").content.decode()
    assert '<span class="muted" title="No lead decided yet">—</span>' in report and ">0%<" not in report
