"""Only the assigned rep, the manager of the rep's team and admins accept or reject a lead; marketing, other reps
and managers of other teams cannot, through the API, the pages or the actions."""

from __future__ import annotations

import pytest
from django.test import Client

from plumbline.accounts.actions import do_create_user
from plumbline.accounts.models import Team
from plumbline.core.errors import PermissionDenied
from plumbline.handoff.actions import do_accept_lead, do_reject_lead, do_route_lead
from plumbline.handoff.models import Assignment
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def assignment(users, lead):
    """The lead is routed to rep1 (rep2 and the manager are out of office)."""
    lead.lifecycle_stage = "mql"
    lead.save()
    for name in ("rep2", "manager"):
        users[name].is_out_of_office = True
        users[name].save()
    return do_route_lead(contact=lead)


@pytest.fixture
def other_manager(users):
    """A sales manager of another team."""
    team = Team.objects.create(name="Enterprise", kind=Team.Kind.SALES)
    boss = do_create_user(username="boss", password=PASSWORD, role="sales_manager", email="boss@plumbline.test",
                          team=team)
    team.manager = boss
    team.save(update_fields=["manager"])
    return boss


def post(user, path, **data):
    client = Client()
    client.force_login(user)
    return client.post(f"/api/v1{path}", data=data, content_type="application/json")


@pytest.mark.parametrize("who", ["marketing", "rep2", "viewer"])
@pytest.mark.parametrize("verb", ["accept", "reject"])
def test_only_the_rep_their_manager_and_admins_decide_through_the_api(users, assignment, who, verb):
    # when someone who is not the rep, their manager or an admin decides on rep1's lead
    response = post(users[who], f"/handoff/assignments/{assignment.pk}/{verb}", reason="no_budget")
    # then it is refused and the lead still waits
    assert response.status_code == 403, response.content
    assert response.json()["errors"][0]["code"] == "forbidden"
    assert Assignment.objects.get(pk=assignment.pk).status == "open"


def test_a_manager_of_another_team_cannot_decide(users, assignment, other_manager):
    response = post(other_manager, f"/handoff/assignments/{assignment.pk}/accept")
    assert response.status_code == 403
    assert Assignment.objects.get(pk=assignment.pk).status == "open"


@pytest.mark.parametrize(("who", "verb", "status"), [
    ("rep1", "accept", "accepted"), ("manager", "reject", "rejected"), ("admin", "accept", "accepted"),
])
def test_the_rep_their_manager_and_an_admin_decide(users, assignment, who, verb, status):
    response = post(users[who], f"/handoff/assignments/{assignment.pk}/{verb}", reason="no_budget")
    assert (response.status_code, response.json()["status"]) == (200, status)
    assert Assignment.objects.get(pk=assignment.pk).decided_by == users[who]


def test_a_rep_without_a_team_manager_is_decided_for_by_any_sales_manager(users, assignment, other_manager):
    # given rep1's team has no manager
    team = users["rep1"].team
    team.manager = None
    team.save(update_fields=["manager"])
    # when a sales manager of another team accepts
    response = post(other_manager, f"/handoff/assignments/{assignment.pk}/accept")
    # then the lead does not wait for an admin
    assert (response.status_code, response.json()["status"]) == (200, "accepted")


def test_the_actions_refuse_marketing(users, assignment):
    with pytest.raises(PermissionDenied):
        do_accept_lead(by=users["marketing"], assignment=assignment)
    with pytest.raises(PermissionDenied):
        do_reject_lead(by=users["marketing"], assignment=assignment, reason="no_budget")
    assert Assignment.objects.get(pk=assignment.pk).status == "open"


def test_the_queue_shows_the_buttons_only_to_who_decides(users, assignment):
    def page(who):
        client = Client()
        client.force_login(users[who])
        return client.get("/queue/?who=all").content.decode()

    accept_url = f'action="/queue/{assignment.pk}/accept"'
    assert accept_url in page("rep1")
    assert accept_url in page("manager")
    assert accept_url in page("admin")
    marketing = page("marketing")
    assert accept_url not in marketing
    assert "Rep1 or their manager decides" in marketing


def test_the_queue_page_refuses_marketing_too(users, assignment):
    client = Client()
    client.force_login(users["marketing"])
    client.post(f"/queue/{assignment.pk}/accept")
    client.post(f"/queue/{assignment.pk}/reject", {"reason": "no_budget"})
    assert Assignment.objects.get(pk=assignment.pk).status == "open"
