"""A running rescore task takes over the rescores still queued behind it and does them once."""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult

from plumbline.crm.actions import do_create_contact
from plumbline.handoff.tasks import queue_rescore
from plumbline.marketing.actions import do_record_touchpoints
from plumbline.scoring.models import ContactScore
from plumbline.worker.coalesce import do_absorb_queued
from plumbline.worker.management.commands.worker import LeasedWorker

PATH = "plumbline.handoff.tasks.process_contacts"


def one_task_worker() -> LeasedWorker:
    return LeasedWorker(
        lease=60, heartbeat=0, sleep=lambda _s: None, queue_names=["default"], interval=0, batch=True,
        backend_name="default", startup_delay=False, max_tasks=1, worker_id="w1", excluded_queue_names=[],
    )


def rescores() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=PATH).order_by("enqueued_at", "id"))


# the worker closes connections between tasks, which a test transaction cannot survive
@pytest.mark.django_db(transaction=True)
def test_the_first_rescore_task_does_the_queued_ones_and_closes_them():
    # Given three touchpoint batches for overlapping contacts, each queueing its own rescore
    ann, bob, cid = (do_create_contact(email=f"{n}@example.com") for n in ("ann", "bob", "cid"))
    DBTaskResult.objects.all().delete()
    for pair in ((ann, bob), (bob, cid), (ann, cid)):
        do_record_touchpoints(items=[{"contact_id": c.pk, "kind": "form_submit", "channel": "seo"} for c in pair])
    first, second, third = rescores()

    # When a worker runs one task
    one_task_worker().run()

    # Then that task rescored all three contacts and the other two are done by it, not left in the queue
    assert {r.pk: r.status for r in rescores()} == {first.pk: "SUCCESSFUL", second.pk: "SUCCESSFUL",
                                                    third.pk: "SUCCESSFUL"}
    assert DBTaskResult.objects.get(pk=first.pk).return_value == 3
    assert {DBTaskResult.objects.get(pk=t.pk).return_value["done_by_task"] for t in (second, third)} == {str(first.pk)}
    assert ContactScore.objects.filter(engagement_score__gt=0).count() == 3


@pytest.mark.django_db
def test_taken_over_tasks_run_under_the_taker_and_other_reasons_are_left():
    # Given queued rescores for an event and one for a field change
    ann = do_create_contact(email="ann@example.com")
    DBTaskResult.objects.all().delete()
    do_record_touchpoints(items=[{"contact_id": ann.pk, "kind": "form_submit", "channel": "seo"}])
    do_record_touchpoints(items=[{"contact_id": ann.pk, "kind": "page_view", "channel": "seo"}])
    queue_rescore([ann.pk], "field change")
    own, other, field_change = rescores()

    # When the first one takes over what it can
    absorbed = do_absorb_queued(task_path=PATH, rest_args=["event"], own_task_id=str(own.pk), worker_id="w9",
                                max_items=500)

    # Then it took the other event rescore, marked RUNNING under its worker (so a lapsed lease requeues it),
    # and left the field change and itself alone
    assert absorbed.task_ids == [str(other.pk)] and absorbed.item_ids == {ann.pk}
    other.refresh_from_db()
    assert (other.status, other.worker_ids) == ("RUNNING", ["w9"])
    assert {r.pk: r.status for r in rescores()}[field_change.pk] == "READY"
    assert {r.pk: r.status for r in rescores()}[own.pk] == "READY"
