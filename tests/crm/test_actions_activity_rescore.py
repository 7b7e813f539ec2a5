"""Correcting or deleting a sales activity rescores its contact, as logging one does: activities count toward
engagement, and the nightly run decays scores in place without noticing an edited or vanished activity. The
actions write their events in their transaction; scoring reads them from the feed."""

import pytest

from plumbline.crm.actions import do_create_contact, do_delete_activity, do_log_activity, do_update_activity
from plumbline.events.models import Event
from plumbline.events.runner import drain
from plumbline.scoring.actions import do_score_contact
from plumbline.scoring.models import ContactScore


def activity_events():
    return [(e.kind, e.payload["contact_id"], e.payload.get("contact_before"))
            for e in Event.objects.filter(kind__startswith="activity.").order_by("id")]


@pytest.mark.django_db
def test_a_logged_corrected_moved_or_deleted_activity_writes_its_event(users):
    ann = do_create_contact(email="ann@example.com")
    bob = do_create_contact(email="bob@example.com")
    meeting = do_log_activity(by=users["admin"], kind="meeting", subject="Discovery", contact=ann)
    do_update_activity(by=users["admin"], activity=meeting, changes={"subject": "Discovery call"})
    do_update_activity(by=users["admin"], activity=meeting, changes={"contact": bob})
    do_update_activity(by=users["admin"], activity=meeting, changes={"contact": bob})  # nothing changed
    do_delete_activity(by=users["admin"], activity=meeting)
    assert activity_events() == [
        ("activity.logged", ann.pk, None), ("activity.updated", ann.pk, ann.pk),
        ("activity.updated", bob.pk, ann.pk), ("activity.deleted", bob.pk, None)]


@pytest.mark.django_db
def test_a_moved_activity_rescores_both_contacts(users):
    ann = do_create_contact(email="ann@example.com")
    bob = do_create_contact(email="bob@example.com")
    meeting = do_log_activity(by=users["admin"], kind="meeting", subject="Discovery", contact=ann)
    drain()
    assert ContactScore.objects.get(contact=ann).engagement_score == 10  # the default points for a meeting
    do_update_activity(by=users["admin"], activity=meeting, changes={"contact": bob})
    drain()
    assert ContactScore.objects.get(contact=ann).engagement_score == 0
    assert ContactScore.objects.get(contact=bob).engagement_score == 10


@pytest.mark.django_db
def test_a_deleted_meetings_points_leave_the_score_when_the_feed_runs(users):
    ann = do_create_contact(email="ann@example.com")
    meeting = do_log_activity(by=users["admin"], kind="meeting", subject="Discovery", contact=ann)
    do_score_contact(contact=ann, promote=False)
    assert ContactScore.objects.get(contact=ann).engagement_score == 10  # the default points for a meeting
    do_delete_activity(by=users["admin"], activity=meeting)
    drain()
    assert ContactScore.objects.get(contact=ann).engagement_score == 0
