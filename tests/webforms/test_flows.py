"""Guided flows: the next question follows the answers, the result follows the answers and the fit, "talk to
sales" is a hand-raiser the MQL rule sees through the feed, and the answers land on the contact."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from plumbline.core.errors import ValidationFailed
from plumbline.crm.actions import do_create_company, do_create_contact
from plumbline.crm.models import Contact
from plumbline.crm.queries import timeline
from plumbline.events.runner import drain
from plumbline.marketing.models import Touchpoint
from plumbline.playbook.actions import do_create_messaging_item
from plumbline.scoring.actions import do_score_contact
from plumbline.webforms.actions import do_create_flow
from plumbline.webforms.flows import choose_result, parse_definition, walk
from plumbline.webforms.forms import FLOW_EXAMPLE
from plumbline.webforms.models import FlowAnswer
from tests.webforms.conftest import pow_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def flow(newsletter):
    return do_create_flow(by=None, name="Find your fit", slug="fit", form=newsletter, definition=FLOW_EXAMPLE)


def test_a_definition_that_loops_or_points_nowhere_is_refused_with_the_part_named():
    looping = {"steps": [{"key": "a", "question": "A?", "options": ["x", "y"], "next": "b"},
                         {"key": "b", "question": "B?", "options": ["x", "y"], "next": "a"}],
               "results": [{"key": "r", "kind": "content", "title": "R"}]}
    with pytest.raises(ValidationFailed) as looped:
        parse_definition(looping)
    assert [(e.field, e.code) for e in looped.value.errors] == [("definition.steps", "cycle")]
    broken = {"steps": [{"key": "a", "question": "A?", "options": ["x", "y"],
                         "branches": [{"answer": "z", "goto": "nowhere"}]}],
              "results": [{"key": "r", "kind": "maybe", "title": "R"}]}
    with pytest.raises(ValidationFailed) as bad:
        parse_definition(broken)
    assert [e.field for e in bad.value.errors] == ["definition.results.0.kind"]
    broken["results"][0]["kind"] = "content"
    with pytest.raises(ValidationFailed) as bad:
        parse_definition(broken)
    assert [e.field for e in bad.value.errors] == ["definition.steps.0.branches.0.goto",
                                                   "definition.steps.0.branches.0.answer"]


def test_the_next_question_depends_on_the_answers():
    defn = parse_definition(FLOW_EXAMPLE)
    assert walk(defn, {})[1].key == "role"
    assert walk(defn, {"role": "Founder"})[1].key == "size"
    assert walk(defn, {"role": "Sales"})[1].key == "goal"
    done, pending = walk(defn, {"role": "Sales", "goal": "More leads", "size": "51+"})
    assert ([s.key for s in done], pending) == (["role", "goal"], None)


def test_the_result_follows_the_answers_and_the_fit_grade():
    defn = parse_definition(FLOW_EXAMPLE)
    big = {"role": "Founder", "size": "51+"}
    assert choose_result(defn, big, "B").key == "sales"
    assert choose_result(defn, big, "D").key == "guide"
    assert choose_result(defn, big, None).key == "guide"
    assert choose_result(defn, {"role": "Founder", "size": "1-10"}, "A").key == "guide"


def step(client: Client, path: str, data: dict) -> str:
    response = client.post(path, data)
    assert response.status_code == 200, response.content
    return response.content.decode()


def test_a_fitting_founder_of_a_big_team_is_sent_to_sales_and_becomes_an_mql(flow, users):
    # Given a contact of a company that fits the ideal customer profile, scored
    do_create_company(name="Acme", domain="acme.com", industry="Software", employee_count=800, country="US")
    lead = do_create_contact(email="cto@acme.com", title="CTO", lifecycle_stage="lead")
    do_score_contact(contact=lead)
    client = Client()
    # When they walk the flow: the founder branch asks the team size, then the contact step
    first = client.get("/f/fit").content.decode()
    assert "What describes you best?" in first
    assert "How big is your team?" in step(client, "/f/fit", {"a-role": "Founder"})
    contact_step = step(client, "/f/fit", {"a-role": "Founder", "a-size": "51+"})
    assert 'name="contact_step" value="1"' in contact_step and 'name="a-size" value="51+"' in contact_step
    result = step(client, "/f/fit", {"a-role": "Founder", "a-size": "51+", "contact_step": "1",
                                     "email": "cto@acme.com", "altcha": pow_payload(client)})
    # Then the result is "talk to sales", a demo request is recorded, the answers are on the contact
    assert "Let&#x27;s talk" in result and 'data-result="sales"' in result
    assert list(Touchpoint.objects.filter(contact=lead).order_by("kind").values_list("kind", flat=True)) == [
        "demo_request", "form_submit"]
    answer = FlowAnswer.objects.get()
    assert (answer.contact_id, answer.answers, answer.result) == (lead.pk, {"role": "Founder", "size": "51+"},
                                                                  "sales")
    # and the MQL rule's hand-raiser clause qualifies the contact through the feed
    drain()
    lead.refresh_from_db()
    assert lead.lifecycle_stage == "mql"
    # and the contact's timeline shows the answers
    entries = {e.title: e.detail for e in timeline(contact=lead)}
    assert entries["Answered Find your fit: Let's talk"] == "What describes you best? Founder · How big is your team? 51+"
    assert entries["Submitted the form Newsletter"] == "Email: cto@acme.com"
    page = Client()
    page.force_login(users["rep1"])
    html = page.get(f"/contacts/{lead.pk}/").content.decode()
    assert "Guided flow" in html and "Answered Find your fit: Let&#x27;s talk" in html


def test_other_answers_get_content_from_the_messaging_library(flow):
    do_create_messaging_item(by=None, kind="content_asset", title="Lead follow-up guide",
                             url="https://www.acme.test/guide", funnel_stage="consideration")
    do_create_messaging_item(by=None, kind="content_asset", title="Pricing sheet", funnel_stage="decision")
    client = Client()
    result = step(client, "/f/fit", {"a-role": "Marketing", "a-goal": "More leads", "contact_step": "1",
                                     "email": "new@example.com", "altcha": pow_payload(client)})
    assert 'data-result="content"' in result
    assert re.findall(r'<a href="([^"]+)" rel="noopener">([^<]+)</a>', result) == [
        ("https://www.acme.test/guide", "Lead follow-up guide")]
    assert "Pricing sheet" not in result
    contact = Contact.objects.get(email="new@example.com")
    assert list(Touchpoint.objects.filter(contact=contact).values_list("kind", flat=True)) == ["form_submit"]
    assert FlowAnswer.objects.get().answers == {"role": "Marketing", "goal": "More leads"}


def test_a_contact_step_before_the_questions_are_answered_asks_them_again(flow):
    client = Client()
    page = step(client, "/f/fit", {"a-role": "Founder", "contact_step": "1", "email": "x@example.com"})
    assert "How big is your team?" in page
    assert Contact.objects.count() == 0
