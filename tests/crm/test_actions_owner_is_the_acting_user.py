""""Own" means owner = the acting user, in the actions themselves, so the API, the pages and the CLI all hold."""

from __future__ import annotations

import pytest

from plumbline.core.errors import PermissionDenied
from plumbline.crm.actions import (
    do_create_company,
    do_create_contact,
    do_create_deal,
    do_log_activity,
    do_update_activity,
    do_update_company,
    do_update_contact,
    do_update_deal,
)
from plumbline.crm.models import Activity, Contact

pytestmark = pytest.mark.django_db


def test_a_rep_cannot_create_records_for_another_rep(users, pipeline):
    rep1, rep2 = users["rep1"], users["rep2"]
    contact = do_create_contact(by=rep1, email="ole@example.com")
    for create, kwargs in [
        (do_create_contact, {"email": "jane@example.com"}),
        (do_create_company, {"name": "Initech"}),
        (do_create_deal, {"name": "Pilot"}),
        (do_log_activity, {"kind": "call", "contact": contact}),
    ]:
        with pytest.raises(PermissionDenied) as refused:
            create(by=rep1, owner=rep2, **kwargs)
        assert (refused.value.field, refused.value.status) == ("owner", 403)
    assert list(Contact.objects.values_list("email", flat=True)) == ["ole@example.com"]
    assert not Activity.objects.exists()


def test_a_rep_cannot_reassign_own_records(users, pipeline):
    rep1, rep2 = users["rep1"], users["rep2"]
    contact = do_create_contact(by=rep1, email="ole@example.com")
    records = [
        (do_update_contact, "contact", contact),
        (do_update_company, "company", do_create_company(by=rep1, name="Initech")),
        (do_update_deal, "deal", do_create_deal(by=rep1, name="Pilot")),
        (do_update_activity, "activity", do_log_activity(by=rep1, kind="note", contact=contact)),
    ]
    for update, name, record in records:
        for owner in (rep2, None):
            with pytest.raises(PermissionDenied):
                update(by=rep1, **{name: record}, changes={"owner": owner})
            record.refresh_from_db()
            assert record.owner == rep1


def test_marketing_logs_activities_only_as_itself(users):
    contact = do_create_contact(email="ole@example.com")
    with pytest.raises(PermissionDenied):
        do_log_activity(by=users["marketing"], kind="note", contact=contact, owner=users["rep1"])
    assert do_log_activity(by=users["marketing"], kind="note", contact=contact, owner=None).owner == users["marketing"]
    # contacts are "all" for marketing: it may hand one to a rep
    assert do_create_contact(by=users["marketing"], email="x@example.com", owner=users["rep1"]).owner == users["rep1"]


def test_managers_and_the_system_assign_freely(users, pipeline):
    rep2 = users["rep2"]
    assert do_create_deal(by=users["manager"], name="Pilot", owner=rep2).owner == rep2
    assert do_create_contact(email="a@example.com", owner=rep2).owner == rep2
    contact = do_create_contact(by=users["rep1"], email="b@example.com")
    assert do_update_contact(contact=contact, changes={"owner": rep2}).owner == rep2
