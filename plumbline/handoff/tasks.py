"""Background handoff work; every task is safe to run twice."""

from __future__ import annotations

import logging

from django.db import transaction
from django_tasks import TaskContext, task

from plumbline.crm.models import Contact
from plumbline.definitions.queries import current_version
from plumbline.handoff.actions import do_check_all_slas, do_score_and_route
from plumbline.worker.coalesce import do_absorb_queued, do_finish_absorbed

logger = logging.getLogger(__name__)


RESCORE_BATCH = 20  # contacts per transaction: a few hundred milliseconds of SQLite's write lock at most
ABSORB_UP_TO = 500  # contacts one rescore task gathers from the rescores still queued behind it


@task(takes_context=True)
def process_contacts(context: TaskContext, contact_ids: list[int], reason: str = "event") -> int:
    """Rescore contacts after new touchpoints or activities, and route those that became MQLs.

    The task first takes over the rescores (same reason) still queued behind it, up to ABSORB_UP_TO contacts,
    and rescores the union once: under a stream of small touchpoint batches the queue holds many tasks for the
    same contacts, and running them one by one rescored each contact many times (worker.coalesce says why this is
    safe and what happens to the taken-over tasks if the worker dies)."""
    result = context.task_result
    absorbed = do_absorb_queued(
        task_path=f"{__name__}.process_contacts", rest_args=[reason], own_task_id=str(result.id),
        worker_id=result.worker_ids[-1] if result.worker_ids else "", max_items=ABSORB_UP_TO,
    )
    try:
        done = rescore_contacts(sorted({*contact_ids, *absorbed.item_ids}), reason)
    except BaseException:
        do_finish_absorbed(absorbed=absorbed, by_task_id=str(result.id), succeeded=False)
        raise
    do_finish_absorbed(absorbed=absorbed, by_task_id=str(result.id), succeeded=True)
    return done


def rescore_contacts(contact_ids: list[int], reason: str = "event") -> int:
    """Rescore contacts and route those that became MQLs (what the queued task runs).

    Contacts are rescored RESCORE_BATCH at a time, each batch its own short transaction: one commit (one WAL
    flush) per batch rather than per contact, yet never holding SQLite's write lock long enough to make web
    requests wait, and a worker killed mid-task keeps the batches it finished. Each contact runs in its own
    savepoint, so one that fails is rolled back alone and the others are kept. The task then fails naming the
    contacts that did, so they are not lost silently."""
    current_version()  # make sure version 1 exists before concurrent scorers read it
    done, failed = 0, []
    ids = sorted(contact_ids)
    for start in range(0, len(ids), RESCORE_BATCH):
        with transaction.atomic():
            for contact in Contact.objects.filter(pk__in=ids[start : start + RESCORE_BATCH]).order_by("pk"):
                try:
                    with transaction.atomic():  # a savepoint inside the batch
                        do_score_and_route(contact=contact, reason=reason)
                except Exception:
                    logger.exception("rescoring contact %s failed", contact.pk)  # the id only: no PII in logs
                    failed.append(contact.pk)
                else:
                    done += 1
    if failed:
        raise RuntimeError(f"Rescoring failed for contacts {failed}; the other {done} were rescored.")
    return done


def queue_rescore(contact_ids: list[int], reason: str = "event") -> None:
    """Scores follow events and field changes: rescore these contacts, 200 to a task (the task commits every
    RESCORE_BATCH contacts, and takes over rescores queued behind it). The task rows are written inside the caller's transaction (the database task backend stores them in
    the same database), so they commit with the change or not at all: nothing queued after the commit can fail
    a request whose data is already stored, and no committed change is left without its rescore."""
    with transaction.atomic():
        for start in range(0, len(contact_ids), 200):
            process_contacts.enqueue(contact_ids[start : start + 200], reason)


@task()
def check_slas() -> int:
    """Advance the SLA clocks, then hand waiting MQLs to reps who have freed capacity."""
    from plumbline.handoff.backlog import do_route_waiting

    checked = do_check_all_slas()
    do_route_waiting()
    return checked


@task()
def activity_logged(contact_id: int) -> None:
    """A sales activity may be the first touch that stops an SLA clock, and it counts toward engagement."""
    from plumbline.handoff.actions import do_check_sla
    from plumbline.handoff.models import Assignment

    for assignment in Assignment.objects.filter(contact_id=contact_id, first_touch_at=None, status__in=["open", "accepted"]):
        do_check_sla(assignment=assignment)
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is not None:
        do_score_and_route(contact=contact, reason="activity")


@task()
def rescore_all() -> int:
    """Nightly: decay lowers engagement without any event, so every contact is rescored in bulk; those the
    MQL rule now promotes are promoted and routed in bulk (handoff.bulk), recorded as the per-contact path would."""
    from plumbline.handoff.bulk import do_promote_and_route
    from plumbline.scoring.actions import do_refresh_predictions
    from plumbline.scoring.bulk import bulk_rescore

    result = bulk_rescore()
    do_refresh_predictions()
    do_promote_and_route(contact_ids=result.to_promote, inputs=result.rule_inputs)
    return result.scored
