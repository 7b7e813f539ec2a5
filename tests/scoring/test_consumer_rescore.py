"""Scoring follows the feed: the events of touchpoints, activities, field changes and merges rescore the contacts
they touch, each contact once per batch, in short transactions of a few contacts, a savepoint per contact."""

from __future__ import annotations

import pytest
from django.db import transaction

from plumbline.crm.actions import do_create_company, do_create_contact, do_update_company, do_update_contact
from plumbline.events.actions import EventSpec, do_replay, emit_many
from plumbline.events.models import ConsumerCursor, Event
from plumbline.events.runner import drain
from plumbline.marketing.actions import do_record_touchpoints
from plumbline.scoring import rescore
from plumbline.scoring.models import ContactScore, ScoreHistory


@pytest.fixture
def scored(monkeypatch):
    """Every contact the rescoring scores, in order."""
    calls: list[tuple[int, str]] = []
    real = rescore.do_score_contact

    def counting(*, contact, reason):
        calls.append((contact.pk, reason))
        return real(contact=contact, reason=reason)

    monkeypatch.setattr(rescore, "do_score_contact", counting)
    return calls


@pytest.mark.django_db
def test_overlapping_batches_rescore_each_contact_once(scored):
    # Given three touchpoint batches for overlapping contacts, and the feed caught up before them
    ann, bob, cid = (do_create_contact(email=f"{n}@example.com") for n in ("ann", "bob", "cid"))
    drain()
    scored.clear()
    for pair in ((ann, bob), (bob, cid), (ann, cid)):
        do_record_touchpoints(items=[{"contact_id": c.pk, "kind": "form_submit", "channel": "seo"} for c in pair])

    # When the feed runs
    drain()

    # Then each contact was rescored once, with the touchpoints of all three batches
    assert sorted(scored) == [(ann.pk, "event"), (bob.pk, "event"), (cid.pk, "event")]
    assert ContactScore.objects.filter(engagement_score__gt=0).count() == 3
    assert ConsumerCursor.objects.get(name="scoring.rescore").position == Event.objects.latest("id").pk


@pytest.mark.django_db
def test_a_contact_that_fails_is_rolled_back_alone_named_and_retried(monkeypatch):
    good = do_create_contact(email="good@example.com")
    bad = do_create_contact(email="bad@example.com")
    real = rescore.do_score_contact

    def flaky(*, contact, reason):
        real(contact=contact, reason=reason)  # writes the score, then fails inside the same savepoint
        if contact.pk == bad.pk:
            raise ValueError("boom")

    monkeypatch.setattr(rescore, "do_score_contact", flaky)
    with pytest.raises(RuntimeError, match=rf"Rescoring failed for contacts \[{bad.pk}\]; the other 1 were"):
        rescore.rescore_contacts([good.pk, bad.pk])
    assert list(ContactScore.objects.values_list("contact_id", flat=True)) == [good.pk]

    # and through the feed: the batch fails, the cursor stays, and the failure names the contact
    drain()
    cursor = ConsumerCursor.objects.get(name="scoring.rescore")
    assert cursor.position == 0 and cursor.failures == 1
    assert f"[{bad.pk}]" in cursor.last_error


@pytest.mark.django_db
def test_a_change_to_a_field_the_fit_rules_read_rescores_and_others_do_not(users, scored):
    acme = do_create_company(name="Acme", domain="acme.com", industry="Software", employee_count=50)
    ann = do_create_contact(email="ann@acme.com", title="Analyst")
    bob = do_create_contact(email="bob@acme.com")
    drain()
    scored.clear()

    do_update_contact(by=users["admin"], contact=ann, changes={"phone": "+1 555 0100"})
    drain()
    assert scored == []  # the phone number scores nothing

    do_update_contact(by=users["admin"], contact=ann, changes={"title": "VP Data"})
    drain()
    assert scored == [(ann.pk, "field change")]

    scored.clear()
    do_update_company(by=users["admin"], company=acme, changes={"employee_count": 900})
    drain()
    assert scored == [(ann.pk, "field change"), (bob.pk, "field change")]
    assert ContactScore.objects.get(pk=ann.pk).fit_score > 0


@pytest.mark.django_db
def test_a_new_company_rescores_the_contacts_its_domain_links(scored):
    ann = do_create_contact(email="ann@acme.com")
    drain()
    scored.clear()
    do_create_company(name="Acme", domain="acme.com", industry="Software")
    do_create_company(name="Nobody's", domain="nobody.example")
    drain()
    assert scored == [(ann.pk, "field change")]


class WorkerKilled(BaseException):
    """What the rescoring sees of a worker killed mid-batch: nothing after it runs, nothing catches it."""


@pytest.mark.django_db(transaction=True)
def test_rescoring_commits_small_batches_so_a_killed_worker_keeps_the_finished_ones(monkeypatch):
    # Given 45 contacts to rescore, and a worker that dies on the 30th
    contacts = [do_create_contact(email=f"c{n}@example.com") for n in range(45)]
    ContactScore.objects.all().delete()
    real = rescore.do_score_contact

    def dies_on_the_30th(*, contact, reason):
        if contact.pk == contacts[29].pk:
            raise WorkerKilled
        real(contact=contact, reason=reason)

    monkeypatch.setattr(rescore, "do_score_contact", dies_on_the_30th)

    # When the rescoring runs
    with pytest.raises(WorkerKilled):
        rescore.rescore_contacts([c.pk for c in contacts])

    # Then the first batch of RESCORE_BATCH contacts was committed on its own; the batch in progress was not
    assert rescore.RESCORE_BATCH == 20
    assert sorted(ContactScore.objects.values_list("contact_id", flat=True)) == [c.pk for c in contacts[:20]]


@pytest.mark.django_db
def test_replaying_the_feed_changes_no_score_and_writes_no_history(users):
    ann = do_create_contact(email="ann@example.com")
    do_record_touchpoints(items=[{"contact_id": ann.pk, "kind": "demo_request", "channel": "seo"}])
    drain()
    history, score = ScoreHistory.objects.count(), ContactScore.objects.get(contact=ann)
    do_replay(name="scoring.rescore", from_event=1)
    drain()
    again = ContactScore.objects.get(contact=ann)
    assert ScoreHistory.objects.count() == history
    assert (again.fit_score, again.fit_grade, round(again.engagement_score)) == (
        score.fit_score, score.fit_grade, round(score.engagement_score))


@pytest.mark.django_db
def test_events_of_contacts_deleted_since_are_skipped(scored):
    with transaction.atomic():
        emit_many([EventSpec("touchpoint.recorded", "touchpoint", 1, {"contact_id": 999_999})])
    drain()
    assert scored == [] and ConsumerCursor.objects.get(name="scoring.rescore").failures == 0

