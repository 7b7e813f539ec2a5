"""What the segment page changes, each a POST through the segments' actions: refresh, snapshot, delete, and a
static list's add, remove and import. Each is refused to roles that may not, without a CSRF token, and by GET."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tasks_db.models import DBTaskResult

from plumbline.crm.actions import do_change_lifecycle, do_create_contact
from plumbline.segments import actions
from plumbline.segments.models import Membership, MembershipChange, Segment
from tests.segments.pages import dynamic, messages_of, static

pytestmark = pytest.mark.django_db


def member_emails(segment: Segment) -> list[str]:
    return sorted(Membership.objects.filter(segment=segment).values_list("contact__email", flat=True))


def errors_of(html: str) -> list[str]:
    return [
        unescape(e)
        for e in re.findall(
            r"<li>([^<]+)</li>", "".join(re.findall(r'<ul class="errorlist">(.*?)</ul>', html, re.S))
        )
    ]


# --- refresh -----------------------------------------------------------------------------------------------


def test_refresh_now_evaluates_a_dynamic_segment_and_says_what_changed(people, users, client_for):
    leads = dynamic(users)
    # Bob moves on to MQL, so he no longer matches (the change feed is not run here: the refresh finds it)
    do_change_lifecycle(contact=people.bob, to_stage="mql")
    client = client_for("marketing")
    response = client.post(f"/segments/{leads.pk}/refresh/")
    assert response.status_code == 302 and response["Location"] == f"/segments/{leads.pk}/"
    assert member_emails(leads) == ["ann@acme.test", "dan@globex.test"]
    assert messages_of(client, f"/segments/{leads.pk}/") == [
        "Leads evaluated: 2 members (0 entered, 1 left)."
    ]


def test_refresh_now_queues_a_big_population_for_the_worker(people, users, client_for, monkeypatch):
    leads = dynamic(users)
    monkeypatch.setattr(actions, "INLINE_LIMIT", 3)  # four contacts: more than a request evaluates itself
    client = client_for("marketing")
    assert client.post(f"/segments/{leads.pk}/refresh/").status_code == 302
    assert messages_of(client, f"/segments/{leads.pk}/") == [
        "Leads is queued: the worker evaluates it shortly."
    ]
    queued = DBTaskResult.objects.filter(task_path="plumbline.segments.tasks.refresh_segment")
    assert [t.args_kwargs["args"] for t in queued] == [[leads.pk]]
    assert Segment.objects.get(pk=leads.pk).evaluated_at == leads.evaluated_at  # not evaluated in the request


def test_refresh_is_for_dynamic_segments_and_for_those_who_may_change_them(people, users, client_for):
    leads = dynamic(users)
    vip = static(users)
    client = client_for("marketing")
    assert client.post(f"/segments/{vip.pk}/refresh/").status_code == 302
    assert messages_of(client, f"/segments/{vip.pk}/") == [
        "A static list is not evaluated; only dynamic segments are refreshed."
    ]
    before = Segment.objects.get(pk=leads.pk).evaluated_at
    for role in ("viewer", "rep1", "manager"):
        assert client_for(role).post(f"/segments/{leads.pk}/refresh/").status_code == 403
    assert client.get(f"/segments/{leads.pk}/refresh/").status_code == 405
    assert Segment.objects.get(pk=leads.pk).evaluated_at == before
    assert "Refresh now" not in client_for("viewer").get(f"/segments/{leads.pk}/").content.decode()
    assert "Refresh now" in client.get(f"/segments/{leads.pk}/").content.decode()
    assert "Refresh now" not in client.get(f"/segments/{vip.pk}/").content.decode()


# --- snapshot ----------------------------------------------------------------------------------------------


def test_take_snapshot_freezes_the_members_under_a_new_name(people, users, client_for):
    leads = dynamic(users)
    client = client_for("marketing")
    response = client.post(f"/segments/{leads.pk}/snapshot/", {"name": "Leads at the fair"})
    snapshot = Segment.objects.get(name="Leads at the fair")
    assert response.status_code == 302 and response["Location"] == f"/segments/{snapshot.pk}/"
    assert (snapshot.kind, snapshot.source_id, snapshot.owner_id) == (
        "snapshot",
        leads.pk,
        users["marketing"].pk,
    )
    assert member_emails(snapshot) == ["ann@acme.test", "bob@mail.test", "dan@globex.test"]
    assert messages_of(client, f"/segments/{snapshot.pk}/") == [
        "Snapshot Leads at the fair taken: 3 members."
    ]
    assert "Take snapshot" not in client.get(f"/segments/{snapshot.pk}/").content.decode()


def test_a_snapshot_needs_a_free_name_and_the_right_to_add(people, users, client_for):
    leads = dynamic(users)
    client = client_for("marketing")
    blank = client.post(f"/segments/{leads.pk}/snapshot/", {"name": "  "})
    assert blank.status_code == 400 and errors_of(blank.content.decode()) == ["Name the snapshot."]
    taken = client.post(f"/segments/{leads.pk}/snapshot/", {"name": "Leads"})
    assert taken.status_code == 409
    assert errors_of(taken.content.decode()) == ["There is already a segment named 'Leads'."]
    assert client_for("viewer").post(f"/segments/{leads.pk}/snapshot/", {"name": "Mine"}).status_code == 403
    assert Segment.objects.count() == 1


# --- delete ------------------------------------------------------------------------------------------------


def test_delete_needs_the_confirmation_and_removes_the_segment(people, users, client_for):
    leads = dynamic(users)
    client = client_for("marketing")
    page = client.get(f"/segments/{leads.pk}/").content.decode()
    assert 'data-confirm="Delete the segment Leads?' in page and 'name="confirm" value="delete"' in page
    assert client.post(f"/segments/{leads.pk}/delete/").status_code == 302
    assert Segment.objects.filter(pk=leads.pk).exists()
    assert messages_of(client, f"/segments/{leads.pk}/") == ["Confirm the deletion to delete this segment."]
    response = client.post(f"/segments/{leads.pk}/delete/", {"confirm": "delete"})
    assert response.status_code == 302 and response["Location"] == "/segments/"
    assert not Segment.objects.filter(pk=leads.pk).exists()
    assert messages_of(client, "/segments/") == ["Segment Leads deleted."]


def test_delete_is_refused_to_readers_and_while_another_segment_uses_it(people, users, client_for):
    leads = dynamic(users)
    dynamic(
        users,
        name="Leads not at Acme",
        predicate={
            "all": [
                {"segment": leads.pk, "op": "member"},
                {"not": {"field": "company.name", "op": "eq", "value": "Acme"}},
            ]
        },
    )
    for role in ("viewer", "rep1", "manager"):
        assert (
            client_for(role).post(f"/segments/{leads.pk}/delete/", {"confirm": "delete"}).status_code == 403
        )
    client = client_for("marketing")
    assert client.post(f"/segments/{leads.pk}/delete/", {"confirm": "delete"}).status_code == 302
    assert Segment.objects.filter(pk=leads.pk).exists()
    assert messages_of(client, f"/segments/{leads.pk}/") == [
        "Leads not at Acme refers to this segment: change it first."
    ]


def test_posts_need_the_csrf_token(people, users):
    leads = dynamic(users)
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["marketing"])
    assert client.post(f"/segments/{leads.pk}/delete/", {"confirm": "delete"}).status_code == 403
    assert client.post(f"/segments/{leads.pk}/refresh/").status_code == 403
    assert Segment.objects.filter(pk=leads.pk).exists()
    page = client.get(f"/segments/{leads.pk}/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(
        f"/segments/{leads.pk}/delete/", {"confirm": "delete", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert not Segment.objects.filter(pk=leads.pk).exists()


# --- a static list by hand ---------------------------------------------------------------------------------


def test_contacts_are_added_by_email_id_or_ticked_search_result(people, users, client_for):
    vip = static(users)
    client = client_for("marketing")
    response = client.post(
        f"/segments/{vip.pk}/members/add/",
        {
            "contacts": f"ANN@acme.test, {people.bob.pk}\n",
            "contact": [str(people.cat.pk), str(people.bob.pk)],
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/segments/{vip.pk}/"
    assert member_emails(vip) == ["ann@acme.test", "bob@mail.test", "cat@mail.test"]
    assert messages_of(client, f"/segments/{vip.pk}/") == ["3 contacts added."]
    client.post(f"/segments/{vip.pk}/members/add/", {"contacts": f"{people.ann.pk} dan@globex.test"})
    assert messages_of(client, f"/segments/{vip.pk}/") == ["1 contact added, 1 in the list already."]
    assert [c.reason for c in MembershipChange.objects.filter(segment=vip)] == ["added"] * 4


def test_an_unknown_email_or_id_adds_nobody_and_says_which(people, users, client_for):
    vip = static(users)
    response = client_for("marketing").post(
        f"/segments/{vip.pk}/members/add/", {"contacts": "ann@acme.test nobody@nowhere.test 999999 x-y"}
    )
    assert response.status_code == 422
    assert errors_of(response.content.decode()) == [
        "'x-y' is neither an email nor a contact id.",
        "No contact has the email nobody@nowhere.test.",
        "No contact has the id 999999.",
    ]
    assert "ann@acme.test nobody@nowhere.test 999999 x-y" in response.content.decode()  # kept for correcting
    assert member_emails(vip) == []
    empty = client_for("marketing").post(f"/segments/{vip.pk}/members/add/", {"contacts": ""})
    assert empty.status_code == 422 and errors_of(empty.content.decode()) == [
        "Pick contacts or name them by email or id."
    ]


def test_a_dynamic_segment_takes_no_contacts_by_hand(people, users, client_for):
    leads = dynamic(users)
    response = client_for("marketing").post(
        f"/segments/{leads.pk}/members/add/", {"contacts": "cat@mail.test"}
    )
    assert response.status_code == 409
    assert errors_of(response.content.decode()) == [
        "Only a static list can have contacts added by hand; 'Leads' is a dynamic."
    ]
    assert member_emails(leads) == ["ann@acme.test", "bob@mail.test", "dan@globex.test"]
    assert "Add contacts" not in client_for("marketing").get(f"/segments/{leads.pk}/").content.decode()


def test_ticked_members_are_removed(people, users, client_for):
    vip = static(users, contacts=(people.ann, people.bob, people.cat))
    client = client_for("marketing")
    page = client.get(f"/segments/{vip.pk}/?q=a").content.decode()
    assert f'name="contact" value="{people.ann.pk}"' in page
    response = client.post(
        f"/segments/{vip.pk}/members/remove/",
        {
            "contact": [str(people.ann.pk), str(people.cat.pk), str(people.dan.pk)],
            "next": f"/segments/{vip.pk}/?q=a",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/segments/{vip.pk}/?q=a"
    assert member_emails(vip) == ["bob@mail.test"]
    assert messages_of(client, f"/segments/{vip.pk}/") == ["2 contacts removed, 1 not in the list."]
    assert client.post(f"/segments/{vip.pk}/members/remove/", {"next": "https://evil.test/"})["Location"] == (
        f"/segments/{vip.pk}/"
    )
    assert messages_of(client, f"/segments/{vip.pk}/") == ["Tick the members to remove."]


def test_readers_may_not_add_remove_or_import(people, users, client_for):
    vip = static(users, contacts=(people.ann,))
    upload = SimpleUploadedFile("list.csv", b"email\nbob@mail.test\n", content_type="text/csv")
    for role in ("viewer", "rep1", "manager"):
        client = client_for(role)
        assert (
            client.post(f"/segments/{vip.pk}/members/add/", {"contacts": "bob@mail.test"}).status_code == 403
        )
        assert (
            client.post(f"/segments/{vip.pk}/members/remove/", {"contact": [people.ann.pk]}).status_code
            == 403
        )
        assert client.post(f"/segments/{vip.pk}/members/import/", {"file": upload}).status_code == 403
        page = client.get(f"/segments/{vip.pk}/").content.decode()
        assert "Add contacts" not in page and 'name="contact"' not in page and "Import emails" not in page
    assert member_emails(vip) == ["ann@acme.test"]


def test_an_imported_csv_adds_the_contacts_of_its_email_column(people, users, client_for):
    vip = static(users, contacts=(people.ann,))
    client = client_for("marketing")
    upload = SimpleUploadedFile(
        "list.csv",
        b"name,email\nAnn,ann@acme.test\nBob,BOB@mail.test\nZed,zed@x.test\n",
        content_type="text/csv",
    )
    response = client.post(f"/segments/{vip.pk}/members/import/", {"file": upload})
    assert response.status_code == 302
    assert member_emails(vip) == ["ann@acme.test", "bob@mail.test"]
    assert messages_of(client, f"/segments/{vip.pk}/") == [
        "1 contact added, 1 in the list already; 1 email matched no contact (zed@x.test)."
    ]
    assert MembershipChange.objects.get(segment=vip, contact=people.bob).reason == "imported"


def test_an_import_without_a_file_or_without_emails_says_so(people, users, client_for):
    vip = static(users)
    client = client_for("marketing")
    missing = client.post(f"/segments/{vip.pk}/members/import/")
    assert missing.status_code == 400 and errors_of(missing.content.decode()) == ["Choose a CSV file."]
    empty = SimpleUploadedFile("list.csv", b"email\n", content_type="text/csv")
    response = client.post(f"/segments/{vip.pk}/members/import/", {"file": empty})
    assert response.status_code == 422 and errors_of(response.content.decode()) == [
        "The import names no email."
    ]
    assert member_emails(vip) == []


def test_the_add_search_lists_contacts_not_yet_in_the_list(people, users, client_for):
    vip = static(users, contacts=(people.bob,))
    client = client_for("marketing")
    html = client.get(f"/segments/{vip.pk}/members/candidates/?q=cat", headers={"HX-Request": "true"}).content
    assert re.findall(r'value="(\d+)"', html.decode()) == [str(people.cat.pk)]
    assert (
        "No contact outside this list matches “bob”."
        in client.get(f"/segments/{vip.pk}/members/candidates/?q=bob").content.decode()
    )
    assert client.get(f"/segments/{vip.pk}/members/candidates/").content.decode().strip() == ""
    assert client_for("viewer").get(f"/segments/{vip.pk}/members/candidates/?q=a").status_code == 403
    do_create_contact(email="bobby@mail.test", first_name="Bobby")
    names = re.findall(
        r"&lt;([^&]+)&gt;", client.get(f"/segments/{vip.pk}/members/candidates/?q=bob").content.decode()
    )
    assert names == ["bobby@mail.test"]
