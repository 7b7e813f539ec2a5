"""The objections list: 50 a page with the filters kept, write controls only for who may use them, stage labels."""

from __future__ import annotations

import re

import pytest

from plumbline.playbook.actions import do_log_objection


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="objection-(\d+)">', html)]


@pytest.mark.django_db
def test_objections_come_fifty_a_page_newest_first_with_the_filters_kept(world, users, client_for):
    # given 60 price objections and 5 about timing
    price = [do_log_objection(by=users["rep2"], category="price", verbatim=f"Too much {i}", deal=world.deal).pk
             for i in range(60)]
    for i in range(5):
        do_log_objection(by=users["rep2"], category="timing", verbatim=f"Later {i}", deal=world.deal)
    client = client_for("manager")

    # when the manager pages through the price objections
    first = client.get("/objections/?category=price").content.decode()
    second = client.get("/objections/?category=price&page=2").content.decode()

    # then each page holds its share, newest first, and the pager keeps the filter
    assert _ids(first) == price[::-1][:50]
    assert _ids(second) == price[::-1][50:]
    assert "1–50 of 60 objections" in first and 'href="?category=price&amp;page=2">Older →</a>' in first
    assert "51–60 of 60 objections" in second and 'href="?category=price&amp;page=1">← Newer</a>' in second
    assert "Older →" not in second


@pytest.mark.django_db
def test_a_short_list_has_no_pager(world, users, client_for):
    do_log_objection(by=users["rep2"], category="price", verbatim="Too much", deal=world.deal)
    assert 'class="pager"' not in client_for("viewer").get("/objections/").content.decode()


@pytest.mark.django_db
def test_only_those_who_may_change_an_objection_see_its_save_button(world, users, client_for):
    # given one objection logged by rep2 on a contact (no deal)
    o = do_log_objection(by=users["rep2"], category="price", verbatim="Too much", contact=world.contact)

    # when the viewer, rep1, rep2 and the manager open the list
    pages = {who: client_for(who).get("/objections/").content.decode() for who in ("viewer", "rep1", "rep2", "manager")}

    # then only rep2 (who logged it) and the manager get the outcome form
    form = f'action="/objections/{o.pk}/outcome"'
    assert {who: form in html for who, html in pages.items()} == {
        "viewer": False, "rep1": False, "rep2": True, "manager": True}
    # and the contact's lifecycle stage is shown by its label
    assert "<td>Sales qualified lead</td>" in pages["viewer"] and "<td>sql</td>" not in pages["viewer"]


@pytest.mark.django_db
def test_objection_report_names_groups_by_their_labels(world, users, client_for):
    do_log_objection(by=users["rep2"], category="price", verbatim="Too much", contact=world.contact)
    html = client_for("marketing").get("/reports/objections/?group_by=lifecycle_stage").content.decode()
    assert "<h1>Objections by lifecycle stage</h1>" in html
    assert '<option value="lifecycle_stage" selected>Lifecycle stage</option>' in html
    assert "<tr><td>Sales qualified lead</td>" in html and "<td>sql</td>" not in html
