"""Static lists kept by hand and by import, and snapshots."""

from __future__ import annotations

import io

import pytest

from plumbline.core.errors import DomainError, MissingReferences, PermissionDenied
from plumbline.events.models import Event
from plumbline.segments.actions import (
    do_add_to_list,
    do_create_segment,
    do_import_list,
    do_remove_from_list,
    do_snapshot,
)
from plumbline.segments.models import Membership, MembershipChange


def _emails(segment) -> list[str]:
    return sorted(Membership.objects.filter(segment=segment).values_list("contact__email", flat=True))


@pytest.fixture
def booth(users, people):
    return do_create_segment(by=users["marketing"], name="Trade show booth scans", kind="static")


def test_add_to_a_list_skips_those_already_in(users, people, booth):
    ann, bob = people["ann"], people["bob"]
    first = do_add_to_list(by=users["marketing"], segment=booth, contact_ids=[ann.pk])
    second = do_add_to_list(by=users["marketing"], segment=booth, contact_ids=[ann.pk, bob.pk])

    booth.refresh_from_db()
    assert (first.changed, first.unchanged, second.changed, second.unchanged) == (1, 0, 1, 1)
    assert _emails(booth) == ["ann@one.test", "bob@two.test"] and booth.member_count == 2
    assert list(
        MembershipChange.objects.order_by("pk").values_list("contact__email", "reason", "by__username")
    ) == [("ann@one.test", "added", "marketing"), ("bob@two.test", "added", "marketing")]
    assert Event.objects.filter(kind="segment.entered", payload__segment=booth.pk).count() == 2


def test_unknown_contact_ids_are_refused_and_nothing_is_added(users, people, booth):
    with pytest.raises(MissingReferences) as exc:
        do_add_to_list(by=users["marketing"], segment=booth, contact_ids=[people["ann"].pk, 999_999])

    assert exc.value.status == 422 and exc.value.field == "contact_ids"
    assert Membership.objects.count() == 0


def test_remove_from_a_list(users, people, booth):
    ann, bob = people["ann"], people["bob"]
    do_add_to_list(by=users["marketing"], segment=booth, contact_ids=[ann.pk, bob.pk])

    result = do_remove_from_list(by=users["marketing"], segment=booth, contact_ids=[ann.pk, people["cat"].pk])

    booth.refresh_from_db()
    assert (result.changed, result.unchanged) == (1, 1)
    assert _emails(booth) == ["bob@two.test"] and booth.member_count == 1
    assert MembershipChange.objects.filter(entered=False).values_list("reason", flat=True).get() == "removed"
    assert Event.objects.filter(kind="segment.left").values_list("subject_id", flat=True).get() == ann.pk


def test_a_dynamic_segment_is_not_kept_by_hand(users, people):
    segment = do_create_segment(
        by=users["marketing"],
        name="D",
        kind="dynamic",
        predicate={"field": "email", "op": "contains", "value": "@"},
    )

    with pytest.raises(DomainError) as exc:
        do_add_to_list(by=users["marketing"], segment=segment, contact_ids=[people["ann"].pk])
    assert exc.value.field == "kind"


def test_sales_may_not_change_a_list(users, people, booth):
    with pytest.raises(PermissionDenied):
        do_add_to_list(by=users["rep1"], segment=booth, contact_ids=[people["ann"].pk])


def test_import_a_csv_of_emails_reports_the_unknown(users, people, booth):
    csv = "name,Email\nAnn,ANN@one.test\nNobody,nobody@x.test\nBob, bob@two.test\n,\n"

    result = do_import_list(by=users["marketing"], segment=booth, file=io.BytesIO(csv.encode()))

    assert (result.changed, result.unchanged, result.unknown) == (2, 0, ["nobody@x.test"])
    assert _emails(booth) == ["ann@one.test", "bob@two.test"]
    assert set(MembershipChange.objects.values_list("reason", flat=True)) == {"imported"}


def test_import_plain_rows_twice_adds_once(users, people, booth):
    do_import_list(by=users["marketing"], segment=booth, rows=["cat@three.test"])
    again = do_import_list(by=users["marketing"], segment=booth, rows=["cat@three.test"])

    assert (again.changed, again.unchanged) == (0, 1)
    assert _emails(booth) == ["cat@three.test"]


def test_an_import_without_emails_is_refused(users, people, booth):
    with pytest.raises(DomainError) as exc:
        do_import_list(by=users["marketing"], segment=booth, file=io.StringIO("email\n\n"))
    assert exc.value.field == "file"


def test_a_snapshot_freezes_the_members_of_its_source(users, people):
    mqls = do_create_segment(
        by=users["marketing"],
        name="MQLs",
        kind="dynamic",
        predicate={"field": "lifecycle_stage", "op": "in", "value": ["mql", "lead"]},
    )

    snap = do_snapshot(by=users["marketing"], segment=mqls, name="MQLs in June")

    assert (snap.kind, snap.source, snap.member_count, snap.predicate) == (
        "snapshot",
        mqls,
        2,
        mqls.predicate,
    )
    assert snap.snapshot_at is not None
    assert _emails(snap) == ["ann@one.test", "bob@two.test"]
    assert set(MembershipChange.objects.filter(segment=snap).values_list("reason", flat=True)) == {"snapshot"}
    with pytest.raises(DomainError):
        do_add_to_list(by=users["marketing"], segment=snap, contact_ids=[people["cat"].pk])
