"""Merging two contacts moves everything of one onto the other; undo gives both back as they were."""

import datetime as dt

import pytest
from django.utils import timezone

from plumbline.core.errors import Conflict, DomainError, PermissionDenied
from plumbline.crm.actions import (
    do_create_company,
    do_create_contact,
    do_create_deal,
    do_create_pipeline,
    do_log_activity,
    do_merge_contacts,
    do_set_deal_contact,
    do_undo_merge,
    do_update_contact,
)
from plumbline.crm.actions.merges import related_tables
from plumbline.crm.models import Activity, Contact, ContactMerge, DealContact, LifecycleTransition
from plumbline.events.models import Event
from plumbline.events.runner import drain
from plumbline.handoff.actions import do_route_lead
from plumbline.handoff.models import Assignment
from plumbline.marketing.actions import do_record_touchpoint
from plumbline.marketing.models import FirstTouchpoint, Touchpoint
from plumbline.playbook.actions import do_log_objection
from plumbline.playbook.models import Objection
from plumbline.scoring import rescore
from plumbline.scoring.models import ScoreHistory

NOW = timezone.now().replace(microsecond=0)


def _fields(contact):
    contact = Contact.objects.get(pk=contact.pk)
    return {f.attname: getattr(contact, f.attname) for f in Contact._meta.concrete_fields if f.name != "updated_at"}


def _rows(contact):
    return {
        "touchpoints": set(Touchpoint.objects.filter(contact_id=contact.pk).values_list("pk", flat=True)),
        "activities": set(Activity.objects.filter(contact_id=contact.pk).values_list("pk", flat=True)),
        "transitions": set(LifecycleTransition.objects.filter(contact_id=contact.pk).values_list("pk", flat=True)),
        "roles": set(DealContact.objects.filter(contact_id=contact.pk).values_list("deal_id", "role")),
        "objections": set(Objection.objects.filter(contact_id=contact.pk).values_list("pk", flat=True)),
    }


@pytest.fixture
def pair(users):
    """Ann (kept) and her older duplicate under a personal address, each with a history of their own."""
    acme = do_create_company(name="Acme", domain="acme.com")
    ann = do_create_contact(email="ann@acme.com", first_name="Ann", title="", phone="+1 555 0100",
                            lifecycle_stage="lead")
    dup = do_create_contact(email="ann.lee@gmail.com", first_name="Annie", last_name="Lee", title="CTO",
                            company=acme, consent_status="opted_out", lifecycle_stage="sql")
    Contact.objects.filter(pk=dup.pk).update(created_at=NOW - dt.timedelta(days=400))
    do_record_touchpoint(contact_id=ann.pk, kind="page_view", channel="seo", occurred_at=NOW - dt.timedelta(days=3))
    do_record_touchpoint(contact_id=dup.pk, kind="webinar_attended", channel="webinar",
                         occurred_at=NOW - dt.timedelta(days=90))
    do_record_touchpoint(contact_id=dup.pk, kind="demo_request", channel="seo", occurred_at=NOW - dt.timedelta(days=1))
    do_log_activity(by=users["rep1"], kind="call", subject="Intro", contact=dup)
    do_create_pipeline(name="New business", stages=[{"name": "Talk"}, {"name": "Won", "kind": "won"}])
    shared = do_create_deal(by=users["admin"], name="Acme platform", amount=50000)
    own = do_create_deal(by=users["admin"], name="Acme pilot", amount=5000)
    do_set_deal_contact(by=users["admin"], deal=shared, contact=ann, role="champion")
    do_set_deal_contact(by=users["admin"], deal=shared, contact=dup, role="decision_maker")
    do_set_deal_contact(by=users["admin"], deal=own, contact=dup, role="decision_maker")
    do_log_objection(by=users["rep1"], category="price", verbatim="Too dear", contact=dup)
    return {"ann": ann, "dup": dup, "shared": shared, "own": own}


@pytest.mark.django_db
def test_a_merge_moves_every_row_keeps_the_picked_fields_the_opt_out_and_the_furthest_stage(users, pair):
    ann, dup = pair["ann"], pair["dup"]
    ann_rows, dup_rows = _rows(ann), _rows(dup)
    merge = do_merge_contacts(by=users["admin"], survivor=ann, other=dup, fields={"last_name": "other"})
    assert not Contact.objects.filter(pk=dup.pk).exists()
    kept = Contact.objects.get(pk=ann.pk)
    assert (kept.email, kept.first_name, kept.last_name, kept.title, kept.phone, kept.company.name) == (
        "ann@acme.com", "Ann", "Lee", "CTO", "+1 555 0100", "Acme")  # blanks filled from the duplicate
    assert kept.consent_status == "opted_out"  # an opt-out is never lost
    assert kept.lifecycle_stage == "sql" and kept.created_at == NOW - dt.timedelta(days=400)
    rows = _rows(kept)
    assert rows["touchpoints"] == ann_rows["touchpoints"] | dup_rows["touchpoints"]
    assert rows["activities"] == dup_rows["activities"]
    assert rows["objections"] == dup_rows["objections"]
    # Ann keeps her role on the shared deal; the duplicate's role there is dropped, its other deal comes along.
    assert rows["roles"] == {(pair["shared"].pk, "champion"), (pair["own"].pk, "decision_maker")}
    assert len(rows["transitions"]) == len(ann_rows["transitions"]) + len(dup_rows["transitions"]) + 1
    assert kept.lifecycle_transitions.first().reason == "Merged with ann.lee@gmail.com"
    # The merge wrote its event in its transaction; from it, marketing recomputes the first touch (now the
    # duplicate's webinar, 90 days ago) and scoring rescores the survivor.
    (event,) = Event.objects.filter(kind="contact.merged")
    assert (event.subject_id, event.payload["merge_id"], event.payload["merged_id"]) == (ann.pk, merge.pk, dup.pk)
    assert event.payload["fields"] == sorted(merge.changes)
    drain()
    assert FirstTouchpoint.objects.get(contact=kept).channel == "webinar"
    assert ScoreHistory.objects.filter(contact=kept, reason="merge").count() == 1
    assert (merge.survivor_id, merge.merged_id, merge.merged_email, merge.moved_count) == (
        ann.pk, dup.pk, "ann.lee@gmail.com", 2 + 1 + 1 + 1 + 1)  # touchpoints, call, transition, role, objection
    assert merge.changes["last_name"] == ["", "Lee"] and merge.changes["consent_status"] == ["unknown", "opted_out"]


@pytest.mark.django_db
def test_undo_gives_back_both_contacts_their_fields_rows_roles_and_first_touch(users, pair, monkeypatch):
    ann, dup = pair["ann"], pair["dup"]
    ann_before, dup_before = _fields(ann), _fields(dup)
    ann_rows, dup_rows = _rows(ann), _rows(dup)
    firsts = {c.pk: FirstTouchpoint.objects.get(contact=c).touchpoint_id for c in (ann, dup)}
    merge = do_merge_contacts(by=users["admin"], survivor=ann, other=dup, fields={"email": "other"})
    assert Contact.objects.get(pk=ann.pk).email == "ann.lee@gmail.com"
    drain()
    rescored = []
    real = rescore.do_score_contact
    monkeypatch.setattr(rescore, "do_score_contact", lambda *, contact, reason: (
        rescored.append((contact.pk, reason)), real(contact=contact, reason=reason))[1])
    restored = do_undo_merge(by=users["admin"], merge=merge)
    drain()
    assert restored.pk == dup.pk
    assert (_fields(ann), _fields(dup)) == (ann_before, dup_before)
    after = _rows(ann)
    assert after["touchpoints"] == ann_rows["touchpoints"] and after["roles"] == ann_rows["roles"]
    assert len(after["transitions"]) == len(ann_rows["transitions"]) + 2  # the merge and its undo, both recorded
    back = _rows(dup)
    assert back == dup_rows  # the dropped role on the shared deal included
    assert {c.pk: FirstTouchpoint.objects.get(contact=c).touchpoint_id for c in (ann, dup)} == firsts
    merge.refresh_from_db()
    assert merge.undone_at is not None and merge.undone_by == users["admin"]
    (event,) = Event.objects.filter(kind="contact.unmerged")
    assert (event.subject_id, event.payload["merge_id"], event.payload["restored_id"]) == (ann.pk, merge.pk, dup.pk)
    assert sorted(rescored) == [(ann.pk, "merge"), (dup.pk, "merge")]  # both rescored, once each
    with pytest.raises(Conflict, match="already undone"):
        do_undo_merge(by=users["admin"], merge=merge)


@pytest.mark.django_db
def test_undo_keeps_what_changed_after_the_merge(users, pair):
    ann, dup = pair["ann"], pair["dup"]
    merge = do_merge_contacts(by=users["admin"], survivor=ann, other=dup)
    kept = Contact.objects.get(pk=ann.pk)
    do_update_contact(by=users["admin"], contact=kept, changes={"title": "Chief Technology Officer"})
    later = do_record_touchpoint(contact_id=ann.pk, kind="form_submit", channel="seo")
    do_undo_merge(by=users["admin"], merge=merge)
    kept.refresh_from_db()
    assert kept.title == "Chief Technology Officer"  # edited since: the edit stands
    assert kept.last_name == "" and kept.consent_status == "unknown"  # untouched since: given back
    assert Touchpoint.objects.get(pk=later.pk).contact_id == ann.pk


@pytest.mark.django_db
def test_chained_merges_are_undone_last_first(users):
    a, b, c = (do_create_contact(email=f"{n}@example.com") for n in "abc")
    first = do_merge_contacts(by=users["admin"], survivor=a, other=b)
    second = do_merge_contacts(by=users["admin"], survivor=c, other=Contact.objects.get(pk=a.pk))
    with pytest.raises(Conflict, match=f"merged into contact {c.pk}; undo that merge first"):
        do_undo_merge(by=users["admin"], merge=first)
    do_undo_merge(by=users["admin"], merge=second)
    do_undo_merge(by=users["admin"], merge=first)
    assert set(Contact.objects.values_list("email", flat=True)) == {"a@example.com", "b@example.com", "c@example.com"}
    assert LifecycleTransition.objects.filter(contact_id=b.pk).count() == 1


@pytest.mark.django_db
def test_a_merge_that_would_leave_two_open_assignments_is_refused_and_changes_nothing(users):
    ann = do_create_contact(email="ann@example.com", lifecycle_stage="mql")
    dup = do_create_contact(email="ann2@example.com", lifecycle_stage="mql")
    do_record_touchpoint(contact_id=dup.pk, kind="page_view", channel="seo")
    assert do_route_lead(contact=ann) and do_route_lead(contact=dup)
    with pytest.raises(Conflict, match="only one contact may have") as refused:
        do_merge_contacts(by=users["admin"], survivor=ann, other=dup)
    assert refused.value.field == "other"
    assert Contact.objects.filter(pk=dup.pk).exists() and Touchpoint.objects.get().contact_id == dup.pk
    assert Assignment.objects.filter(contact=dup).count() == 1 and not ContactMerge.objects.exists()


@pytest.mark.django_db
def test_bad_merges_are_refused_with_the_field_and_reason(users):
    ann = do_create_contact(email="ann@example.com", owner=users["rep1"])
    dup = do_create_contact(email="ann2@example.com", owner=users["rep2"])
    cases = [
        (dict(survivor=ann, other=ann), DomainError, "other", "into itself"),
        (dict(survivor=ann, other=dup, fields={"lifecycle_stage": "other"}), DomainError, "fields", "not a field"),
        (dict(survivor=ann, other=dup, fields={"email": "both"}), DomainError, "fields.email", "'survivor' or 'other'"),
    ]
    for kwargs, error, field, message in cases:
        with pytest.raises(error, match=message) as refused:
            do_merge_contacts(by=users["admin"], **kwargs)
        assert refused.value.field == field
    with pytest.raises(PermissionDenied):  # a rep may change their own contact but not delete another rep's
        do_merge_contacts(by=users["rep1"], survivor=ann, other=dup)
    with pytest.raises(PermissionDenied):
        do_merge_contacts(by=users["viewer"], survivor=ann, other=dup)
    assert Contact.objects.count() == 2


@pytest.mark.django_db
def test_undo_is_refused_while_another_contact_holds_the_merged_email(users):
    ann = do_create_contact(email="ann@example.com")
    dup = do_create_contact(email="ann2@example.com")
    merge = do_merge_contacts(by=users["admin"], survivor=ann, other=dup)
    do_create_contact(email="ann2@example.com")
    with pytest.raises(Conflict, match="ann2@example.com exists now") as refused:
        do_undo_merge(by=users["admin"], merge=merge)
    assert refused.value.field == "email"
    assert ContactMerge.objects.get().undone_at is None


def test_every_table_that_belongs_to_a_contact_is_moved_by_a_merge():
    """A new table with a foreign key to contacts moves with a merge; this list makes adding one a conscious act
    (a unique constraint on it needs a rule in DROPPABLE or refuses merges)."""
    assert sorted(rel.related_model._meta.label_lower for rel in related_tables()) == [
        "consent.consententry", "crm.activity", "crm.dealcontact", "crm.lifecycletransition", "handoff.assignment",
        "marketing.touchpoint",
        "playbook.objection", "scoring.scorehistory",
        "segments.membership", "segments.membershipchange",  # one membership per segment: segments' merge step
        "tracking.hit", "tracking.visitor",
        "webforms.flowanswer", "webforms.submission",
    ]


@pytest.mark.django_db
def test_a_merge_shows_on_the_survivors_timeline_and_pages_by_cursor(users, pair):
    from plumbline.crm.queries import TimelineCursor, contact_timeline

    ann, dup = pair["ann"], pair["dup"]
    merge = do_merge_contacts(by=users["admin"], survivor=ann, other=dup)
    entries = contact_timeline(Contact.objects.get(pk=ann.pk))
    merges = [e for e in entries if e.kind == "merge"]
    assert [(e.title, e.detail, e.obj.pk) for e in merges] == [
        (f"Merged ann.lee@gmail.com into this contact by {users['admin'].display_name}", "6 rows moved here", merge.pk)]
    # a page that ends on the merge entry continues after it, without repeating it
    at = entries.index(merges[0])
    rest = contact_timeline(Contact.objects.get(pk=ann.pk), before=TimelineCursor.of(entries[at]))
    assert [(e.kind, e.obj.pk) for e in rest] == [(e.kind, e.obj.pk) for e in entries[at + 1:]]
    do_undo_merge(by=users["admin"], merge=merge)
    (after,) = [e for e in contact_timeline(Contact.objects.get(pk=ann.pk)) if e.kind == "merge"]
    assert after.detail.startswith("6 rows moved here; undone ")


@pytest.mark.django_db
def test_undo_leaves_a_company_deleted_since_the_merge_empty(users):
    from plumbline.crm.actions import do_delete_company

    initech = do_create_company(name="Initech", domain="initech.com")
    ann = do_create_contact(email="ann@example.com")
    dup = do_create_contact(email="ann@initech.com", company=initech)
    merge = do_merge_contacts(by=users["admin"], survivor=ann, other=dup, fields={"company": "survivor"})
    do_delete_company(by=users["admin"], company=initech)
    restored = do_undo_merge(by=users["admin"], merge=merge)
    assert (restored.pk, Contact.objects.get(pk=dup.pk).company_id) == (dup.pk, None)
