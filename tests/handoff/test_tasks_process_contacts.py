"""The worker's rescore task: short transactions of a few contacts each, a savepoint per contact."""

import pytest
from django_tasks_db.models import DBTaskResult

from plumbline.crm.actions import do_create_company, do_create_contact, do_update_company, do_update_contact
from plumbline.handoff import tasks
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
        tasks.rescore_contacts([good.pk, bad.pk])
    assert list(ContactScore.objects.values_list("contact_id", flat=True)) == [good.pk]


@pytest.mark.django_db
def test_the_batch_rescores_every_contact():
    a = do_create_contact(email="a@example.com")
    b = do_create_contact(email="b@example.com")
    do_record_touchpoints(items=[{"contact_id": c.pk, "kind": "form_submit", "channel": "seo"} for c in (a, b)])
    assert tasks.rescore_contacts([a.pk, b.pk]) == 2
    assert ContactScore.objects.filter(engagement_score__gt=0).count() == 2


def _queued():
    return [(r.args_kwargs["args"][0], r.args_kwargs["args"][1]) for r in DBTaskResult.objects.order_by("enqueued_at")
            if r.task_path.endswith("process_contacts")]


@pytest.mark.django_db(transaction=True)
def test_a_change_to_a_field_the_fit_rules_read_queues_a_rescore(users):
    acme = do_create_company(name="Acme", domain="acme.com", industry="Software", employee_count=50)
    ann = do_create_contact(email="ann@acme.com", title="Analyst")
    bob = do_create_contact(email="bob@acme.com")
    DBTaskResult.objects.all().delete()
    do_update_contact(by=users["admin"], contact=ann, changes={"phone": "+1 555 0100"})
    assert _queued() == []  # the phone number scores nothing
    do_update_contact(by=users["admin"], contact=ann, changes={"title": "VP Data"})
    assert _queued() == [([ann.pk], "field change")]
    DBTaskResult.objects.all().delete()
    do_update_company(by=users["admin"], company=acme, changes={"employee_count": 900})
    assert _queued() == [([ann.pk, bob.pk], "field change")]
    tasks.rescore_contacts(*_queued()[0])
    assert ContactScore.objects.get(pk=ann.pk).fit_score > 0


class WorkerKilled(BaseException):
    """What the rescoring sees of a worker killed mid-task: nothing after it runs, nothing catches it."""


@pytest.mark.django_db(transaction=True)
def test_rescoring_commits_small_batches_so_a_killed_worker_keeps_the_finished_ones(monkeypatch):
    # Given 45 contacts to rescore, and a worker that dies on the 30th
    contacts = [do_create_contact(email=f"c{n}@example.com") for n in range(45)]
    ContactScore.objects.all().delete()
    real = tasks.do_score_and_route

    def dies_on_the_30th(*, contact, reason):
        if contact.pk == contacts[29].pk:
            raise WorkerKilled
        real(contact=contact, reason=reason)

    monkeypatch.setattr(tasks, "do_score_and_route", dies_on_the_30th)

    # When the task runs
    with pytest.raises(WorkerKilled):
        tasks.rescore_contacts([c.pk for c in contacts])

    # Then the first batch of RESCORE_BATCH contacts was committed on its own; the batch in progress was not
    assert tasks.RESCORE_BATCH == 20
    assert sorted(ContactScore.objects.values_list("contact_id", flat=True)) == [c.pk for c in contacts[:20]]
