"""Correcting or deleting a sales activity rescores its contact, as logging one does: activities count toward
engagement, and the nightly run decays scores in place without noticing an edited or vanished activity."""

import pytest
from django_tasks_db.models import DBTaskResult

from plumbline.crm.actions import do_create_contact, do_delete_activity, do_log_activity, do_update_activity
from plumbline.handoff.tasks import rescore_contacts
from plumbline.scoring.actions import do_score_contact
from plumbline.scoring.models import ContactScore


def queued():
    return [t.args_kwargs["args"] for t in DBTaskResult.objects.filter(
        task_path="plumbline.handoff.tasks.process_contacts").order_by("enqueued_at", "id")]


@pytest.mark.django_db
def test_a_corrected_moved_or_deleted_activity_queues_its_contacts_rescore(users, django_capture_on_commit_callbacks):
    ann = do_create_contact(email="ann@example.com")
    bob = do_create_contact(email="bob@example.com")
    meeting = do_log_activity(by=users["admin"], kind="meeting", subject="Discovery", contact=ann)
    with django_capture_on_commit_callbacks(execute=True):
        do_update_activity(by=users["admin"], activity=meeting, changes={"subject": "Discovery call"})
    with django_capture_on_commit_callbacks(execute=True):
        do_update_activity(by=users["admin"], activity=meeting, changes={"contact": bob})
    with django_capture_on_commit_callbacks(execute=True):
        do_update_activity(by=users["admin"], activity=meeting, changes={"contact": bob})  # nothing changed
    with django_capture_on_commit_callbacks(execute=True):
        do_delete_activity(by=users["admin"], activity=meeting)
    assert queued() == [[[ann.pk], "activity"], [sorted([ann.pk, bob.pk]), "activity"], [[bob.pk], "activity"]]


@pytest.mark.django_db
def test_a_deleted_meetings_points_leave_the_score_when_the_worker_runs(users):
    ann = do_create_contact(email="ann@example.com")
    meeting = do_log_activity(by=users["admin"], kind="meeting", subject="Discovery", contact=ann)
    do_score_contact(contact=ann, promote=False)
    assert ContactScore.objects.get(contact=ann).engagement_score == 10  # the default points for a meeting
    do_delete_activity(by=users["admin"], activity=meeting)
    rescore_contacts([ann.pk], "activity")  # what the queued task runs
    assert ContactScore.objects.get(contact=ann).engagement_score == 0
