"""Correcting or deleting a touchpoint rescores its contact, as recording one does: the nightly run decays
scores in place and would not notice an edited or vanished event."""

import pytest
from django_tasks_db.models import DBTaskResult

from plumbline.crm.actions import do_create_contact
from plumbline.handoff.tasks import rescore_contacts
from plumbline.marketing.actions import do_delete_touchpoint, do_record_touchpoint, do_update_touchpoint
from plumbline.scoring.actions import do_score_contact
from plumbline.scoring.models import ContactScore


def queued():
    return [t.args_kwargs["args"] for t in DBTaskResult.objects.filter(
        task_path="plumbline.handoff.tasks.process_contacts").order_by("enqueued_at", "id")]


@pytest.mark.django_db
def test_a_corrected_or_deleted_touchpoint_queues_its_contacts_rescore(django_capture_on_commit_callbacks):
    ann = do_create_contact(email="ann@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        tp = do_record_touchpoint(contact_id=ann.pk, kind="demo_request", channel="seo")
    with django_capture_on_commit_callbacks(execute=True):
        do_update_touchpoint(touchpoint=tp, changes={"kind": "page_view"})
    with django_capture_on_commit_callbacks(execute=True):
        do_delete_touchpoint(touchpoint=tp)
    assert queued() == [[[ann.pk], "event"]] * 3


@pytest.mark.django_db
def test_a_deleted_touchpoints_points_leave_the_score_when_the_worker_runs():
    ann = do_create_contact(email="ann@example.com")
    tp = do_record_touchpoint(contact_id=ann.pk, kind="demo_request", channel="seo")
    do_score_contact(contact=ann, promote=False)
    assert ContactScore.objects.get(contact=ann).engagement_score > 0
    do_delete_touchpoint(touchpoint=tp)
    rescore_contacts([ann.pk])  # what the queued task runs
    assert ContactScore.objects.get(contact=ann).engagement_score == 0
