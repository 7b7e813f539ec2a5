"""Erasure: afterwards the person's name and email are in no text column of any table, while the anonymised
rows keep campaign and attribution totals as they were."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.db import models
from django.db.models import Count
from django.test import Client
from django.utils import timezone

from plumbline.consent.actions import do_record_consent
from plumbline.consent.models import ConsentEntry
from plumbline.core.errors import PermissionDenied
from plumbline.crm.actions import (
    do_create_contact,
    do_create_deal,
    do_erase_contact,
    do_log_activity,
    do_merge_contacts,
    do_move_deal,
)
from plumbline.crm.hooks import erasers
from plumbline.crm.models import Contact, ContactMerge, ErasureRecord, LifecycleTransition
from plumbline.crm.privacy import privacy_export
from plumbline.events.models import Event
from plumbline.events.runner import drain
from plumbline.marketing.actions import do_create_campaign, do_record_touchpoint
from plumbline.marketing.models import Touchpoint
from plumbline.playbook.actions import do_log_objection
from plumbline.playbook.models import Objection

T0 = timezone.make_aware(dt.datetime(2026, 2, 2, 10, 0))
NAME, EMAIL, PHONE = "Wilhelmina Quarterfield", "wilhelmina.q@erasure-test.example", "+44 20 7946 0958"


def _where_found(*needles: str) -> list[str]:
    """Every (table.column) whose text holds one of the needles, over every model of the app registry."""
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.CharField | models.TextField | models.JSONField):
                continue
            for needle in needles:
                if model._default_manager.filter(**{f"{field.name}__icontains": needle}).exists():
                    found.append(f"{model._meta.db_table}.{field.column}: {needle}")
    return found


def _totals() -> dict:
    per_campaign = dict(Touchpoint.objects.values_list("campaign__name").annotate(n=Count("id")))
    inputs = sorted(Touchpoint.objects.values_list("contact_id", "campaign_id", "channel", "kind", "occurred_at"))
    return {"per_campaign": per_campaign, "inputs": inputs}


@pytest.fixture
def person(users, pipeline, tokens):
    """A contact with a life: a duplicate merged into it, touchpoints, a won deal, notes, consent, an API call."""
    admin = users["admin"]
    api = Client(headers={"Authorization": f"Bearer {tokens['admin']}", "Idempotency-Key": "make-wilhelmina"})
    made = api.post("/api/v1/contacts", {"email": EMAIL, "first_name": "Wilhelmina", "last_name": "Quarterfield",
                                         "phone": PHONE, "title": "Head of Rights"}, content_type="application/json")
    assert made.status_code == 201
    contact = Contact.objects.get(email=EMAIL)
    twin = do_create_contact(email="w.quarterfield@old-job.example", first_name="Wilhelmina",
                             last_name="Quarterfield", by=admin)
    spring = do_create_campaign(name="Spring webinar", channel="webinar", by=admin)
    do_record_touchpoint(contact_id=twin.pk, kind="webinar_attended", channel="webinar", campaign_id=spring.pk,
                         occurred_at=T0)
    do_merge_contacts(survivor=contact, other=twin, by=admin)
    do_record_touchpoint(contact_id=contact.pk, kind="page_view", channel="seo", campaign_id=spring.pk,
                         occurred_at=T0 + dt.timedelta(days=1), content=f"/thanks?email={EMAIL}")
    other = do_create_contact(email="bystander@example.org", first_name="Bo", last_name="Stander")
    do_record_touchpoint(contact_id=other.pk, kind="page_view", channel="seo", campaign_id=spring.pk,
                         occurred_at=T0)
    deal = do_create_deal(name="Rights platform", pipeline=pipeline, amount=12000, contacts=[(contact, "economic_buyer")],
                          by=admin)
    do_move_deal(deal=deal, stage=pipeline.stages.get(name="Won"), by=admin)
    do_log_activity(kind="note", contact=contact, subject=f"Lunch with {NAME}",
                    body=f"{NAME} ({EMAIL}, {PHONE}) wants the rights module.", by=admin)
    do_record_consent(contact=contact, channel="email", subscription="newsletter", granted=True, basis="consent",
                      source="form", proof={"form": "signup", "text": "Newsletter please", "ip": "192.0.2.1",
                                            "user_agent": "Firefox", "email_typed": EMAIL})
    do_log_objection(category="price", verbatim="My husband Tobias thinks it costs too much", contact=contact,
                     by=admin)
    drain()
    return contact


def test_erasure_leaves_the_name_and_email_in_no_text_column_and_the_totals_unchanged(person, users):
    # given: the name and email are all over the database
    merged_email = "w.quarterfield@old-job.example"
    tables = {hit.split(".")[0] for hit in _where_found(NAME, EMAIL, PHONE, merged_email)}
    assert tables >= {"core_idempotencykey", "crm_contact", "crm_activity", "crm_contactmerge",
                      "marketing_touchpoint", "consent_consententry"}
    before = _totals()
    deal_amounts = sorted(person.deal_roles.values_list("deal__amount", flat=True))
    # when: an admin erases the contact
    record = do_erase_contact(by=users["admin"], contact=person)
    drain()
    # then: neither the name, the email, the phone nor the merged twin's email is anywhere
    assert _where_found(NAME, EMAIL, PHONE, merged_email) == []
    # and: the anonymised contact keeps its touchpoints, deal and lifecycle; totals do not move
    contact = Contact.objects.get(pk=person.pk)
    assert (contact.email, contact.first_name, contact.last_name, contact.phone, contact.title) == (
        f"erased-{person.pk}@erased.invalid", "", "", "", "")
    assert _totals() == before
    assert sorted(contact.deal_roles.values_list("deal__amount", flat=True)) == deal_amounts
    assert LifecycleTransition.objects.filter(contact=contact).exists()
    assert ConsentEntry.objects.filter(contact=contact).values_list("status", "proof").get() == (
        "granted", {"erased": True})
    # and: who erased whom is recorded, without personal data, and the feed says so
    # every registered eraser ran (consent, handoff, playbook here; tracking and webforms add theirs)
    assert (record.contact_id, record.erased_by, record.erasers) == (person.pk, users["admin"], list(erasers()))
    assert {"consent", "handoff", "playbook"} <= set(record.erasers)
    assert ErasureRecord.objects.count() == 1
    erased = Event.objects.get(kind="contact.erased")
    assert (erased.subject_type, erased.subject_id, erased.payload) == (
        "contact", person.pk, {"erasure_id": record.pk, "anonymised": True})
    assert ContactMerge.objects.get().merged == {}
    # and: what the person said, word for word, went with the registered playbook eraser; its category stays
    assert Objection.objects.values_list("category", "verbatim").get() == ("price", "[erased]")


def test_only_admins_may_erase(person, users):
    for name in ("marketing", "manager", "rep1", "viewer"):
        with pytest.raises(PermissionDenied):
            do_erase_contact(by=users[name], contact=person)
    assert ErasureRecord.objects.count() == 0
    assert Contact.objects.get(pk=person.pk).email == EMAIL


def test_the_export_holds_the_crm_fields_deals_activities_touchpoints_and_the_consent_ledger(person):
    export = privacy_export(person)
    assert export["contact"]["email"] == EMAIL
    assert [d["name"] for d in export["deals"]] == ["Rights platform"]
    assert [a["subject"] for a in export["activities"]] == [f"Lunch with {NAME}"]
    assert len(export["records"]["marketing.touchpoint"]) == 2
    assert [e["subscription"] for e in export["apps"]["consent"]] == ["newsletter"]
    assert [m["merged_email"] for m in export["merged_into_this_contact"]] == ["w.quarterfield@old-job.example"]
