"""The worker's rescore task: one transaction per batch, a savepoint per contact."""

import pytest

from plumbline.crm.actions import do_create_contact
from plumbline.handoff import tasks
from plumbline.handoff.tasks import process_contacts
from plumbline.marketing.actions import do_record_touchpoints
from plumbline.scoring.models import ContactScore


@pytest.mark.django_db
def test_a_contact_that_fails_is_rolled_back_alone_and_named(monkeypatch):
    good = do_create_contact(email="good@example.com")
    bad = do_create_contact(email="bad@example.com")
    real = tasks.do_score_and_route

    def flaky(*, contact, reason):
        real(contact=contact, reason=reason)  # writes the score, then fails inside the same savepoint
        if contact.pk == bad.pk:
            raise ValueError("boom")

    monkeypatch.setattr(tasks, "do_score_and_route", flaky)
    with pytest.raises(RuntimeError, match=rf"Rescoring failed for contacts \[{bad.pk}\]; the other 1 were"):
        process_contacts.call([good.pk, bad.pk])
    assert list(ContactScore.objects.values_list("contact_id", flat=True)) == [good.pk]


@pytest.mark.django_db
def test_the_batch_rescores_every_contact():
    a = do_create_contact(email="a@example.com")
    b = do_create_contact(email="b@example.com")
    do_record_touchpoints(items=[{"contact_id": c.pk, "kind": "form_submit", "channel": "seo"} for c in (a, b)])
    assert process_contacts.call([a.pk, b.pk]) == 2
    assert ContactScore.objects.filter(engagement_score__gt=0).count() == 2
