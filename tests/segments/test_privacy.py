"""A contact's segments in its privacy export."""

from __future__ import annotations

from plumbline.crm.privacy import privacy_export
from plumbline.segments.actions import do_add_to_list, do_create_segment, do_remove_from_list


def test_the_export_lists_memberships_and_history(users, people):
    ann = people["ann"]
    booth = do_create_segment(by=users["marketing"], name="Booth", kind="static")
    old = do_create_segment(by=users["marketing"], name="Old list", kind="static")
    do_add_to_list(segment=booth, contact_ids=[ann.pk])
    do_add_to_list(segment=old, contact_ids=[ann.pk])
    do_remove_from_list(segment=old, contact_ids=[ann.pk])

    mine = privacy_export(ann)["apps"]["segments"]

    assert [(m["segment"], m["kind"]) for m in mine["memberships"]] == [("Booth", "Static list")]
    assert [(h["segment"], h["entered"], h["reason"]) for h in mine["history"]] == [
        ("Booth", True, "Added by hand"),
        ("Old list", True, "Added by hand"),
        ("Old list", False, "Removed by hand"),
    ]
