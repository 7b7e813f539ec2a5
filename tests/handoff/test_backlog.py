"""Every MQL is either in a rep's queue or waiting for a rep with the reason shown, and waiting ones are routed as
capacity frees up."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from plumbline.accounts.models import User
from plumbline.crm.actions import do_create_contact
from plumbline.handoff.actions import do_accept_lead
from plumbline.handoff.backlog import backlog, do_route_waiting, waiting_mqls
from plumbline.handoff.models import Assignment
from plumbline.handoff.tasks import check_slas
from plumbline.marketing.actions import do_record_touchpoints


def _mqls(n: int) -> list:
    contacts = [do_create_contact(email=f"cto{i}@lead{i}.com", title="CTO", lifecycle_stage="lead") for i in range(n)]
    do_record_touchpoints(items=[{"contact_id": c.pk, "kind": "demo_request", "channel": "seo"} for c in contacts])
    return contacts


def _capacity(users, n: int) -> None:
    User.objects.filter(pk__in=[users["rep1"].pk, users["rep2"].pk, users["manager"].pk]).update(capacity=n)


def _score_all() -> str:
    out = io.StringIO()
    call_command("score", "--all", "--no-progress", stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_score_says_how_many_mqls_wait_because_every_seller_is_at_capacity(users):
    # given three sellers who take one lead each, and five new MQLs
    _capacity(users, 1)
    _mqls(5)

    # when everyone is scored
    out = _score_all()

    # then three are routed, and the two others are counted as waiting, with the reason
    assert out == ("Scored 5 contacts; 3 became MQLs and were routed.\n"
                   "2 MQLs wait for a rep: every seller is at capacity (3 sellers, 3 leads in their queues).\n")
    b = backlog()
    assert (b.mqls, b.in_queues, b.waiting, b.free_slots) == (5, 3, 2, 0)
    assert Assignment.objects.filter(status="open").count() == 3


@pytest.mark.django_db
def test_waiting_mqls_are_routed_oldest_first_when_a_rep_frees_capacity(users):
    # given every seller at capacity and two MQLs waiting
    _capacity(users, 1)
    _mqls(5)
    _score_all()
    oldest, newest = list(waiting_mqls())

    # when a rep accepts a lead, and the scheduler's SLA check runs
    mine = Assignment.objects.get(rep=users["rep1"], status="open")
    do_accept_lead(by=users["rep1"], assignment=mine)
    check_slas.call()

    # then the longest-waiting MQL goes to that rep, and one is still waiting
    assert Assignment.objects.get(contact=oldest, status="open").rep == users["rep1"]
    assert list(waiting_mqls()) == [newest]
    assert do_route_waiting() == 0  # nobody has room: nothing is asked, nobody is notified again


@pytest.mark.django_db
def test_home_handoff_card_adds_up_to_every_mql_and_says_why_some_wait(users):
    # given five MQLs and room for three
    _capacity(users, 1)
    _mqls(5)
    _score_all()
    client = Client()
    client.force_login(users["manager"])

    # when the manager's home page loads its handoff card
    home = client.get("/").content.decode()
    card = client.get("/queue/backlog/").content.decode()

    # then the card shows all five MQLs: three in queues, two waiting because every seller is full
    assert 'hx-get="/queue/backlog/"' in home
    assert "<strong>5</strong> marketing qualified leads" in card
    assert "3 in reps' queues" in card
    assert "2 waiting for a rep</span> — every seller is at capacity (3 sellers, 3 leads in their queues)." in card


@pytest.mark.django_db
def test_nobody_in_the_office_is_the_reason_when_there_is_no_seller(users):
    User.objects.filter(role__in=["sales", "sales_manager"]).update(is_out_of_office=True)
    _mqls(1)
    _score_all()
    assert backlog().reason == "no seller is active and in the office"
