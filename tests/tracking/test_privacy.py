"""A contact's tracking data in the privacy export, and gone (rows kept, anonymous) after erasure."""

from __future__ import annotations

from plumbline.crm.actions import do_create_contact
from plumbline.crm.actions.privacy import do_erase_contact
from plumbline.crm.privacy import privacy_export
from plumbline.tracking.actions import do_identify
from plumbline.tracking.models import Hit, Visitor
from tests.tracking.helpers import batch, event, post, vid


def test_export_lists_the_hits_and_erasure_anonymises_them(site):
    # Given a visitor who read a page and said who they are
    visitor = vid()
    post(batch(site.key, [event(url="https://www.acme.test/secret-plans", title="Secret plans"),
                          event("identify", email="gus@acme.test")], visitor=visitor))
    contact = do_create_contact(email="gus@acme.test", first_name="Gus")
    do_identify(visitor_id=visitor, contact=contact, source="form")
    # When the contact's data is exported
    exported = privacy_export(contact)["apps"]["tracking"]
    # Then the hits and the visitor id are in it
    assert exported["visitor_ids"] == [visitor]
    assert sorted(h["kind"] for h in exported["hits"]) == ["identify", "page_view"]
    assert exported["hits"][0]["url"] == "https://www.acme.test/secret-plans"
    # When the contact is erased
    do_erase_contact(contact=contact)
    # Then the hits stay (counts do not change) but hold nothing personal, and the visitor id is forgotten
    assert Hit.objects.count() == 2
    assert set(Hit.objects.values_list("url", "title", "visitor_id", "ip_hash")) == {("", "", "erased", "")}
    assert list(Hit.objects.values_list("props", flat=True)) == [{}, {}]
    assert Visitor.objects.count() == 0


def test_a_merge_moves_the_hits_and_visitor_ids_to_the_survivor(site, users):
    from plumbline.crm.actions import do_merge_contacts

    visitor = vid()
    post(batch(site.key, [event()], visitor=visitor))
    ann, dup = do_create_contact(email="ann@acme.test"), do_create_contact(email="ann2@acme.test")
    do_identify(visitor_id=visitor, contact=dup, source="form")
    do_merge_contacts(by=users["admin"], survivor=ann, other=dup)
    assert list(Hit.objects.values_list("contact_id", flat=True)) == [ann.pk]
    assert list(Visitor.objects.values_list("contact_id", flat=True)) == [ann.pk]
