import pytest

from plumbline.accounts.actions import do_create_user
from plumbline.crm.actions import do_create_contact, do_update_company
from plumbline.handoff.actions import do_route_lead
from plumbline.handoff.models import Assignment, Territory
from plumbline.handoff.routing import choose_rep


@pytest.mark.django_db
def test_company_owner_gets_the_lead_when_available(users, acme, lead):
    do_update_company(company=acme, changes={"owner": users["rep2"]})
    a = do_route_lead(contact=lead)
    assert (a.rep, a.method, a.reason) == (users["rep2"], "company_owner", "Owner of Acme")
    lead.refresh_from_db()
    assert lead.owner == users["rep2"]


@pytest.mark.django_db
def test_out_of_office_owner_falls_through_to_territory(users, acme, lead):
    do_update_company(company=acme, changes={"owner": users["rep2"]})
    users["rep2"].is_out_of_office = True
    users["rep2"].save()
    Territory.objects.create(name="North America", countries=["US", "CA"], rep=users["rep1"], priority=1)
    choice = choose_rep(lead)
    assert (choice.rep, choice.method, choice.reason) == (users["rep1"], "territory", "Territory North America")


@pytest.mark.django_db
def test_round_robin_alternates_and_never_picks_inactive_or_out_of_office(users):
    team = users["rep1"].team
    ooo = do_create_user(username="ooo", password=None, role="sales", team=team)
    ooo.is_out_of_office = True
    ooo.save()
    gone = do_create_user(username="gone", password=None, role="sales", team=team)
    gone.is_active = False
    gone.save()
    picked = []
    for i in range(6):
        contact = do_create_contact(email=f"p{i}@example.com", lifecycle_stage="mql")
        picked.append(do_route_lead(contact=contact).rep.username)
    assert set(picked) == {"rep1", "rep2", "manager"}
    assert picked[:3] == picked[3:]
    assert "ooo" not in picked and "gone" not in picked


@pytest.mark.django_db
def test_capacity_limits_are_respected(users):
    for u in ("rep2", "manager"):
        users[u].is_out_of_office = True
        users[u].save()
    users["rep1"].capacity = 1
    users["rep1"].save()
    first = do_route_lead(contact=do_create_contact(email="a@example.com", lifecycle_stage="mql"))
    second = do_route_lead(contact=do_create_contact(email="b@example.com", lifecycle_stage="mql"))
    assert first.rep == users["rep1"]
    assert second is None
    assert Assignment.objects.count() == 1
    assert users["manager"].notifications.filter(kind="unrouted").count() == 1
