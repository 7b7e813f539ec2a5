"""Correcting or deleting a touchpoint rescores its contact, as recording one does: the nightly run decays
scores in place and would not notice an edited or vanished event. The touchpoint's event, written in the
action's transaction, drives the rescore."""

import pytest

from plumbline.crm.actions import do_create_contact
from plumbline.events.models import Event
from plumbline.events.runner import drain
from plumbline.marketing.actions import do_delete_touchpoint, do_record_touchpoint, do_update_touchpoint
from plumbline.scoring.actions import do_score_contact
from plumbline.scoring.models import ContactScore


@pytest.mark.django_db
def test_a_recorded_corrected_or_deleted_touchpoint_rescores_its_contact():
    ann = do_create_contact(email="ann@example.com")
    tp = do_record_touchpoint(contact_id=ann.pk, kind="demo_request", channel="seo")
    drain()
    demo = ContactScore.objects.get(contact=ann).engagement_score
    assert demo > 0
    do_update_touchpoint(touchpoint=tp, changes={"kind": "page_view"})
    drain()
    page_view = ContactScore.objects.get(contact=ann).engagement_score
    assert 0 < page_view < demo
    do_delete_touchpoint(touchpoint=tp)
    drain()
    assert ContactScore.objects.get(contact=ann).engagement_score == 0
    kinds = list(Event.objects.filter(kind__startswith="touchpoint.").order_by("id").values_list("kind", "payload"))
    assert [(k, p["contact_id"]) for k, p in kinds] == [
        ("touchpoint.recorded", ann.pk), ("touchpoint.corrected", ann.pk), ("touchpoint.deleted", ann.pk)]


@pytest.mark.django_db
def test_a_deleted_touchpoints_points_leave_the_score_when_the_feed_runs():
    ann = do_create_contact(email="ann@example.com")
    tp = do_record_touchpoint(contact_id=ann.pk, kind="demo_request", channel="seo")
    do_score_contact(contact=ann, promote=False)
    assert ContactScore.objects.get(contact=ann).engagement_score > 0
    do_delete_touchpoint(touchpoint=tp)
    drain()
    assert ContactScore.objects.get(contact=ann).engagement_score == 0
