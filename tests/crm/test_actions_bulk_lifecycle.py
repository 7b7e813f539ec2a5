"""Bulk lifecycle moves record each move as `do_change_lifecycle` does, and leave alone the contacts whose stage
refuses the move or is not among the stages asked for."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from plumbline.crm.actions import Move, do_bulk_change_lifecycle, do_create_contact
from plumbline.crm.models import Contact, LifecycleTransition
from plumbline.events.models import Event

NOW = timezone.now().replace(microsecond=0) + dt.timedelta(minutes=5)


@pytest.mark.django_db
def test_moves_allowed_ones_and_skips_refused_or_unasked_stages():
    # given a lead, a subscriber, a customer and a lead to be moved from lead only
    lead = do_create_contact(email="lead@acme.com", lifecycle_stage="lead")
    subscriber = do_create_contact(email="sub@acme.com", lifecycle_stage="subscriber")
    customer = do_create_contact(email="cust@acme.com", lifecycle_stage="customer")

    # when all three are moved to MQL from lead only, and then the subscriber from any stage
    first = do_bulk_change_lifecycle(
        moves=[Move(c.pk, "mql", f"rule held for {c.email}") for c in (customer, subscriber, lead)],
        occurred_at=NOW, source="automation", definition_version=3, from_stages=["lead"])
    second = do_bulk_change_lifecycle(
        moves=[Move(subscriber.pk, "mql", "rule held"), Move(customer.pk, "mql", "a customer cannot go back")],
        occurred_at=NOW, source="automation", definition_version=3)

    # then the lead moved first, the subscriber second, and the customer never
    assert [(m.contact_id, m.from_stage, m.to_stage) for m in first] == [(lead.pk, "lead", "mql")]
    assert [(m.contact_id, m.from_stage, m.to_stage) for m in second] == [(subscriber.pk, "subscriber", "mql")]
    moved = LifecycleTransition.objects.filter(to_stage="mql").order_by("contact_id")
    assert [(t.contact_id, t.from_stage, t.reason, t.source, t.definition_version, t.occurred_at, t.by_id)
            for t in moved] == [
        (lead.pk, "lead", "rule held for lead@acme.com", "automation", 3, NOW, None),
        (subscriber.pk, "subscriber", "rule held", "automation", 3, NOW, None),
    ]
    assert [m.transition_id for m in first + second] == [t.pk for t in moved]
    stages = dict(Contact.objects.values_list("pk", "lifecycle_stage"))
    assert stages == {lead.pk: "mql", subscriber.pk: "mql", customer.pk: "customer"}
    assert Contact.objects.get(pk=lead.pk).lifecycle_changed_at == NOW
    events = Event.objects.filter(kind="lifecycle.changed").order_by("id")
    assert [(e.subject_id, e.payload["from"], e.payload["to"], e.payload["transition_id"]) for e in events] == [
        (lead.pk, "lead", "mql", first[0].transition_id), (subscriber.pk, "subscriber", "mql", second[0].transition_id)]


@pytest.mark.django_db
def test_without_events_the_caller_writes_them_later():
    lead = do_create_contact(email="lead@acme.com", lifecycle_stage="lead")
    moved = do_bulk_change_lifecycle(moves=[Move(lead.pk, "mql", "rule held")], occurred_at=NOW, emit_events=False)
    assert len(moved) == 1
    assert not Event.objects.filter(kind="lifecycle.changed").exists()
