"""Scanning the CRM's contacts for duplicates: stored suggestions, dismissals that stick, the page, API and CLI."""

import io

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from plumbline.analytics.contact_duplicates import records, scan
from plumbline.analytics.tasks import scan_duplicates
from plumbline.crm.actions import do_create_company, do_create_contact, do_merge_contacts
from plumbline.crm.models import DuplicatePair, DuplicateScan
from plumbline.demo.vocab import FIRST_NAMES, LAST_NAMES


@pytest.fixture
def book(users):
    """150 distinct people at five companies, and three second records: a personal email, a typo with the same
    phone, and an initial instead of the first name."""
    companies = [do_create_company(name=f"Co {n}", domain=f"co{n}.example") for n in range(5)]
    people = []
    for i in range(150):
        first, last = FIRST_NAMES[i % 120], LAST_NAMES[(i * 7) % 121]
        people.append(do_create_contact(
            email=f"{first}.{last}@co{i % 5}.example".lower(), first_name=first, last_name=last,
            phone=f"+1 555 {1000 + i * 13:04d}", company=companies[i % 5], owner=users["rep2"]))
    a, b, c = people[10], people[20], people[30]
    twins = [
        (a, do_create_contact(email=f"{a.first_name}{a.last_name}@gmail.com".lower(), first_name=a.first_name,
                              last_name=a.last_name, owner=users["rep2"])),
        (b, do_create_contact(email="someone@other.example", first_name=b.first_name, last_name=b.last_name + "s",
                              phone=b.phone, owner=users["rep2"])),
        (c, do_create_contact(email=c.email.replace("@co0.example", "@yahoo.com"), first_name=c.first_name[0],
                              last_name=c.last_name, owner=users["rep2"])),
    ]
    return {(x.pk, y.pk) for x, y in twins}


def test_records_are_cleaned_for_comparison():
    frame = records([(1, " Ann ", "LEE", "Ann.Lee+news@Gmail.com", "+1 (555) 010-0100", 7),
                     (2, None, "", "x@y.example", None, None)])
    assert frame.to_dict("records") == [
        {"id": 1, "first": "ann", "last": "lee", "phone": "5550100100", "company": "7", "initial": "a",
         "local": "annlee", "domain": "gmail.com", "derived": True, "handle": ""},
        {"id": 2, "first": "", "last": "", "phone": "", "company": "", "initial": "", "local": "x",
         "domain": "y.example", "derived": False, "handle": "x"},
    ]


@pytest.mark.django_db
def test_a_scan_stores_the_planted_duplicates_and_a_dismissal_sticks(book, users):
    done = scan()
    assert (done.contacts, done.found) == (153, 3)
    assert set(DuplicatePair.objects.values_list("left_id", "right_id")) == book
    assert [f["label"] for f in done.model["fields"]] == [
        "First name", "Last name", "Email name", "Email domain", "Phone", "Company"]
    pair = DuplicatePair.objects.order_by("probability").first()
    from plumbline.crm.actions.duplicates import do_dismiss_duplicate

    do_dismiss_duplicate(by=users["admin"], pair=pair)
    again = scan()
    assert again.found == 2
    assert DuplicatePair.objects.get(left_id=pair.left_id, right_id=pair.right_id).status == "dismissed"
    # merging a pair removes the suggestions that name the merged contact
    kept = DuplicatePair.objects.filter(status="open").first()
    do_merge_contacts(by=users["admin"], survivor=kept.left, other=kept.right)
    assert not DuplicatePair.objects.filter(pk=kept.pk).exists()


@pytest.mark.django_db
def test_the_duplicates_page_lists_pairs_with_why_and_queues_a_scan(book, client_for):
    client = client_for("rep2")
    empty = client.get("/contacts/duplicates/").content.decode()
    assert "No scan has run yet." in empty and "run a scan" in empty
    queued = client.post("/contacts/duplicates/scan/", follow=True)
    assert "A scan for duplicates is queued" in queued.content.decode() and "Scan queued…" in queued.content.decode()
    client.post("/contacts/duplicates/scan/")
    assert DBTaskResult.objects.filter(task_path="plumbline.analytics.tasks.scan_duplicates").count() == 1
    scan_duplicates.call()  # what the worker runs
    html = client.get("/contacts/duplicates/").content.decode()
    assert "153 contacts" in html and "3 likely duplicates" in html
    left, right = sorted(book)[0]
    assert f'href="/contacts/{left}/merge/?other={right}">Compare and merge</a>' in html
    assert "Email name exact" in html and '<span class="pos">+' in html
    pair = DuplicatePair.objects.get(left_id=left, right_id=right)
    dismissed = client.post(f"/contacts/duplicates/{pair.pk}/dismiss/", follow=True).content.decode()
    assert "are marked as two people." in dismissed
    assert f"?other={right}\"" not in dismissed
    assert client_for("viewer").post("/contacts/duplicates/scan/").status_code == 403
    assert "Compare and merge" not in client_for("viewer").get("/contacts/duplicates/").content.decode()


@pytest.mark.django_db
def test_the_api_lists_queues_and_dismisses(book, api):
    admin = api("admin")
    assert admin.post("/duplicates/scan", {}).json()["queued"] is True
    assert admin.post("/duplicates/scan", {}).json()["queued"] is False  # one waiting scan is enough
    scan_duplicates.call()
    items = admin.get("/duplicates").json()["items"]
    assert {(i["left_id"], i["right_id"]) for i in items} == book
    assert items[0]["probability"] >= items[-1]["probability"] >= 0.5
    assert [w[0] for w in items[0]["why"]] == ["First name", "Last name", "Email name", "Email domain", "Phone",
                                               "Company"]
    one = items[-1]
    assert admin.post(f"/duplicates/{one['id']}/dismiss", {}).json()["status"] == "dismissed"
    assert len(admin.get("/duplicates").json()["items"]) == 2
    assert admin.get("/duplicates?status=dismissed").json()["items"][0]["id"] == one["id"]
    again = admin.post(f"/duplicates/{one['id']}/dismiss", {})
    assert again.status_code == 400 and again.json()["errors"][0]["field"] == "pair"
    assert api("viewer").post("/duplicates/scan", {}).status_code == 403
    assert api("rep1").post(f"/duplicates/{items[0]['id']}/dismiss", {}).status_code == 403  # rep2's contacts


@pytest.mark.django_db
def test_the_command_line_scans_and_lists(book):
    out = io.StringIO()
    call_command("contacts", "duplicates", stdout=out)
    assert out.getvalue() == "No scan has run yet: plumbline contacts duplicates --scan\n"
    out = io.StringIO()
    call_command("contacts", "duplicates", "--scan", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Scanned 153 contacts in ") and lines[0].endswith("3 likely duplicates.")
    assert len(lines) == 4 and all("(id " in line and "Last name" in line for line in lines[1:])
    assert DuplicateScan.objects.count() == 1


@pytest.mark.django_db
def test_the_merge_page_suggests_the_scanned_pairs_first(book, client_for):
    scan()
    left, right = sorted(book)[2]  # an initial for the first name, no phone, no company: only the scan finds it
    page = client_for("rep2").get(f"/contacts/{left}/merge/").content.decode()
    assert f'href="/contacts/{left}/merge/?other={right}"' in page


@pytest.mark.django_db
@pytest.mark.parametrize("emails", [[], ["only@example.com"]])
def test_a_scan_of_an_empty_or_one_contact_book_stores_an_empty_scan(users, emails):
    for email in emails:
        do_create_contact(email=email, first_name="Only")
    done = scan()
    assert (done.contacts, done.candidates, done.found) == (len(emails), 0, 0)
    assert [f["label"] for f in done.model["fields"]][:2] == ["First name", "Last name"]
