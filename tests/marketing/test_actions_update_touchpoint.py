import pytest

from plumbline.core.errors import PermissionDenied, ValidationFailed
from plumbline.crm.actions import do_create_contact
from plumbline.marketing.actions import do_create_campaign, do_record_touchpoint, do_update_touchpoint
from plumbline.marketing.models import Touchpoint


@pytest.mark.django_db
def test_updating_a_touchpoint_changes_only_the_given_fields(users):
    # given a page view without a campaign
    contact = do_create_contact(email="a@example.com")
    webinar = do_create_campaign(name="Spring webinar", channel="webinar", cost=100)
    tp = do_record_touchpoint(contact_id=contact.pk, kind="page_view", channel="seo", source="google",
                              occurred_at="2026-03-01T10:00:00Z")
    # when marketing moves it to the webinar campaign as an attendance worth 50
    do_update_touchpoint(by=users["marketing"], touchpoint=tp,
                         changes={"campaign_id": webinar.pk, "kind": "webinar_attended", "value": "50"})
    # then the stored row has the new values and keeps the rest
    row = Touchpoint.objects.get(pk=tp.pk)
    assert (row.campaign_id, row.kind, str(row.value), row.channel, row.source, row.contact_id) == (
        webinar.pk, "webinar_attended", "50.00", "seo", "google", contact.pk)
    assert row.occurred_at.isoformat() == "2026-03-01T10:00:00+00:00"


@pytest.mark.django_db
def test_updating_a_touchpoint_refuses_bad_values_and_the_contact(users):
    contact = do_create_contact(email="a@example.com")
    tp = do_record_touchpoint(contact_id=contact.pk, kind="page_view", channel="seo")
    with pytest.raises(ValidationFailed) as exc:
        do_update_touchpoint(by=users["admin"], touchpoint=tp, changes={"kind": "teleport", "contact_id": 9})
    assert [e.field for e in exc.value.errors] == ["contact_id"]
    with pytest.raises(ValidationFailed) as exc:
        do_update_touchpoint(by=users["admin"], touchpoint=tp, changes={"kind": "teleport"})
    assert [(e.field, e.code) for e in exc.value.errors] == [("kind", "literal_error")]
    assert exc.value.errors[0].message.startswith("Input should be 'page_view', 'email_open'")
    assert Touchpoint.objects.get(pk=tp.pk).kind == "page_view"


@pytest.mark.django_db
def test_sales_reps_cannot_update_touchpoints(users):
    contact = do_create_contact(email="a@example.com")
    tp = do_record_touchpoint(contact_id=contact.pk, kind="page_view", channel="seo")
    with pytest.raises(PermissionDenied):
        do_update_touchpoint(by=users["rep1"], touchpoint=tp, changes={"source": "bing"})
