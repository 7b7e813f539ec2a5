"""The contact page's segments panel: the segments the contact is in now (linked), how it entered and left them,
and "Add to list" for those who may change static lists."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from plumbline.segments.actions import do_remove_from_list
from plumbline.segments.models import Membership
from tests.segments.pages import dynamic, messages_of, static, text

pytestmark = pytest.mark.django_db


def panel(html: str) -> str:
    found = re.search(r'<section class="card" id="segments-panel">(.*?)</section>', html, re.S)
    assert found, "no segments panel"
    return found.group(1)


def when(moment) -> str:
    local = timezone.localtime(moment)
    return f"{local:%b} {local.day}, {local:%Y %H:%M}"


def test_the_panel_lists_the_contacts_segments_and_history(people, users, client_for):
    # Given Ann in the leads, on the VIP list, and once on the fair list
    leads = dynamic(users)
    vip = static(users, contacts=(people.ann,))
    fair = static(users, name="Fair visitors", contacts=(people.ann,))
    static(users, name="Not hers", contacts=(people.bob,))
    do_remove_from_list(by=users["marketing"], segment=fair, contact_ids=[people.ann.pk])

    # When a sales rep opens her page
    html = panel(client_for("rep1").get(f"/contacts/{people.ann.pk}/").content.decode())

    # Then the panel links her segments by name and tells her history, newest first, with labels
    assert re.findall(r'<li><a href="/segments/(\d+)/">([^<]+)</a>', html) == [
        (str(leads.pk), "Leads"),
        (str(vip.pk), "VIP list"),
    ]
    assert "Dynamic · since" in html and "Static list · since" in html
    history = [text(li) for li in re.findall(r"<li>((?:Entered|Left).*?)</li>", html, re.S)]
    changes = people.ann.segment_changes.order_by("-occurred_at", "-pk")
    assert history == [
        f"{'Entered' if c.entered else 'Left'} {c.segment.name} {c.get_reason_display()}, {when(c.occurred_at)}"
        for c in changes
    ]
    assert [h.split(",")[0] for h in history] == [
        "Left Fair visitors Removed by hand",
        "Entered Fair visitors Added by hand",
        "Entered VIP list Added by hand",
        "Entered Leads Matched the conditions",
    ]
    assert "Add to list" not in html  # a rep reads segments only


def test_a_contact_in_no_segment_says_so(people, users, client_for):
    assert "In no segment." in panel(client_for("viewer").get(f"/contacts/{people.cat.pk}/").content.decode())


def test_add_to_list_offers_the_static_lists_the_contact_is_not_in_and_adds_it(people, users, client_for):
    dynamic(users)
    static(users, contacts=(people.ann,))
    fair = static(users, name="Fair visitors")
    client = client_for("marketing")
    html = panel(client.get(f"/contacts/{people.ann.pk}/").content.decode())
    assert re.findall(r'<option value="(\d+)">([^<]+)</option>', html) == [(str(fair.pk), "Fair visitors")]
    response = client.post(f"/contacts/{people.ann.pk}/segments/add/", {"segment": fair.pk})
    assert response.status_code == 302 and response["Location"] == f"/contacts/{people.ann.pk}/"
    assert Membership.objects.filter(segment=fair, contact=people.ann).exists()
    assert messages_of(client, f"/contacts/{people.ann.pk}/") == ["Ann Lee added to Fair visitors."]
    assert "Add to list" not in panel(client.get(f"/contacts/{people.ann.pk}/").content.decode())  # none left


def test_add_to_list_refuses_readers_dynamic_segments_and_nonsense(people, users, client_for):
    leads = dynamic(users)
    fair = static(users, name="Fair visitors")
    for role in ("viewer", "rep1", "manager"):
        assert (
            client_for(role)
            .post(f"/contacts/{people.cat.pk}/segments/add/", {"segment": fair.pk})
            .status_code
            == 403
        )
    client = client_for("marketing")
    for bad in (leads.pk, "x", "", 999999):
        assert client.post(f"/contacts/{people.cat.pk}/segments/add/", {"segment": bad}).status_code == 302
        assert messages_of(client, f"/contacts/{people.cat.pk}/") == [
            "Pick a static list to add the contact to."
        ]
    assert client.post("/contacts/999999/segments/add/", {"segment": fair.pk}).status_code == 404
    assert client.get(f"/contacts/{people.cat.pk}/segments/add/").status_code == 405
    assert not Membership.objects.filter(contact=people.cat).exists()


def test_the_panel_costs_the_same_queries_for_two_lists_or_twelve(people, users, client_for):
    for i in range(2):
        static(users, name=f"List {i}", contacts=(people.ann,))
    static(users, name="Open list")
    client = client_for("marketing")
    client.get(f"/contacts/{people.ann.pk}/")
    few = _count(client, people.ann.pk)
    for i in range(2, 12):
        static(users, name=f"List {i}", contacts=(people.ann,))
    assert _count(client, people.ann.pk) == few


def _count(client, pk: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        client.get(f"/contacts/{pk}/")
    return len(queries.captured_queries)


def test_the_panel_links_a_dynamic_segment_to_why_the_contact_is_in(people, users, client_for):
    leads = dynamic(users)
    static(users, contacts=(people.ann,))
    html = panel(client_for("viewer").get(f"/contacts/{people.ann.pk}/").content.decode())
    assert re.findall(r'href="(/segments/\d+/why/\?contact=\d+)"', html) == [
        f"/segments/{leads.pk}/why/?contact={people.ann.pk}"
    ]
