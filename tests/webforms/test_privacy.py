"""The privacy export holds a contact's submissions and flow answers; erasure leaves nothing personal in them."""

from __future__ import annotations

import pytest
from django.test import Client

from plumbline.crm.actions import do_create_contact, do_erase_contact, do_merge_contacts, do_undo_merge
from plumbline.crm.models import Contact
from plumbline.crm.privacy import privacy_export
from plumbline.webforms.actions import do_create_flow
from plumbline.webforms.forms import FLOW_EXAMPLE
from plumbline.webforms.models import FlowAnswer, Submission
from tests.webforms.conftest import pow_payload, submit, visitor

pytestmark = pytest.mark.django_db


def fill(newsletter):
    do_create_flow(by=None, name="Fit", slug="fit", form=newsletter, definition=FLOW_EXAMPLE)
    client = Client()
    client.post("/f/fit", {"a-role": "Sales", "a-goal": "More leads", "contact_step": "1",
                           "email": "wilhelmina.q@example.com", "first_name": "Wilhelmina",
                           "last_name": "Quarterfield", "altcha": pow_payload(client)})
    assert submit("newsletter", {"email": "wilhelmina.q@example.com", "title": "Head of Ops",
                                 "visitor_id": visitor(), "page_url": "https://www.acme.test/?who=wilhelmina"}
                  ).status_code == 201
    return Contact.objects.get(email="wilhelmina.q@example.com")


def test_the_export_holds_the_submissions_and_flow_answers(newsletter):
    contact = fill(newsletter)
    mine = privacy_export(contact)["apps"]["webforms"]
    assert [s["form"] for s in mine["submissions"]] == ["Newsletter", "Newsletter"]
    assert mine["submissions"][1]["answers"]["title"] == "Head of Ops"
    assert [(a["flow"], a["answers"], a["result"]) for a in mine["flow_answers"]] == [
        ("Fit", {"role": "Sales", "goal": "More leads"}, "guide")]


def test_erasure_keeps_the_counts_and_drops_everything_personal(newsletter, users):
    contact = fill(newsletter)
    do_erase_contact(by=users["admin"], contact=contact)
    assert Submission.objects.filter(form=newsletter, contact=contact).count() == 2
    assert list(Submission.objects.values_list("answers", "visitor_id", "page_url", "ip_hash")) == [
        ({}, "", "", ""), ({}, "", "", "")]
    assert list(FlowAnswer.objects.values_list("answers", "result")) == [({}, "guide")]


def test_a_merge_moves_submissions_and_answers_to_the_survivor_and_its_undo_back(newsletter):
    other = fill(newsletter)
    keep = do_create_contact(by=None, email="w.quarterfield@example.com")
    merge = do_merge_contacts(by=None, survivor=keep, other=other)
    assert Submission.objects.filter(contact=keep).count() == 2
    assert FlowAnswer.objects.get().contact_id == keep.pk
    # and the undo gives them back
    do_undo_merge(by=None, merge=merge)
    back = Contact.objects.get(email="wilhelmina.q@example.com")
    assert back.pk == other.pk
    assert Submission.objects.filter(contact=back).count() == 2
    assert FlowAnswer.objects.get().contact_id == back.pk
