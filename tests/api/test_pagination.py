import datetime as dt

import pytest

from plumbline.core.pagination import decode_cursor, encode_cursor
from plumbline.crm.actions import do_create_contact
from plumbline.crm.models import Contact

TIE = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def contacts_with_ties(users):
    """23 contacts; 10 share one updated_at and 13 another, so most pages start and end inside a tie."""
    made = [do_create_contact(email=f"person{n:02d}@example.com", last_name=["Berg", "Adams"][n % 2])
            for n in range(23)]
    Contact.objects.filter(pk__in=[c.pk for c in made[:10]]).update(updated_at=TIE)
    Contact.objects.filter(pk__in=[c.pk for c in made[10:]]).update(updated_at=TIE + dt.timedelta(seconds=1))
    return made


def walk(client, path, **params):
    """Every page of a list, following next_cursor; returns the pages' ids."""
    pages, cursor = [], None
    while True:
        response = client.get(path, cursor=cursor, **params)
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append([item["id"] for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["-updated_at", "updated_at", "email", "-email", "last_name", "-created_at"])
def test_walking_all_pages_gives_every_row_once_in_order(api, contacts_with_ties, sort):
    # when a client walks the contacts 5 at a time
    pages = walk(api("viewer"), "/contacts", sort=sort, limit=5)
    # then it sees 5 pages of 5, 5, 5, 5, 3 rows, each contact exactly once, in (sort key, id) order
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    seen = [pk for page in pages for pk in page]
    name = sort.lstrip("-")
    expected = sorted(contacts_with_ties, key=lambda c: (getattr(Contact.objects.get(pk=c.pk), name), c.pk),
                      reverse=sort.startswith("-"))
    assert seen == [c.pk for c in expected]


@pytest.mark.django_db
def test_rows_added_while_paging_do_not_shift_later_pages(api, contacts_with_ties):
    client = api("viewer")
    first = client.get("/contacts", sort="email", limit=10).json()
    # given a contact that sorts before everything served so far is added after page one
    do_create_contact(email="aaa@example.com")
    second = client.get("/contacts", sort="email", limit=10, cursor=first["next_cursor"]).json()
    # then page two continues right after page one's last row
    assert second["items"][0]["email"] == "person10@example.com"


@pytest.mark.django_db
def test_last_page_has_no_next_cursor(api, contacts_with_ties):
    body = api("viewer").get("/contacts", limit=200).json()
    assert (len(body["items"]), body["next_cursor"]) == (23, None)


@pytest.mark.django_db
def test_bad_paging_parameters_are_422s_naming_the_parameter(api, contacts_with_ties):
    client = api("viewer")
    email_cursor = client.get("/contacts", sort="email", limit=5).json()["next_cursor"]
    cases = {
        "limit": client.get("/contacts", limit=201),
        "sort": client.get("/contacts", sort="password"),
        "cursor": client.get("/contacts", cursor="not-a-cursor"),
    }
    for field, response in cases.items():
        assert response.status_code == 422, field
        assert response.json()["errors"][0]["field"] == field
    # a cursor made for one sort is refused under another
    response = client.get("/contacts", sort="-updated_at", cursor=email_cursor)
    assert response.status_code == 422
    assert response.json()["errors"] == [{
        "field": "cursor", "message": "This cursor was made for sort='email'; keep the same sort while paging.",
        "code": "invalid_cursor"}]


@pytest.mark.django_db
def test_cursor_round_trips_datetimes_and_ids():
    cursor = encode_cursor("-updated_at", TIE, 42)
    assert decode_cursor(cursor, "-updated_at", Contact) == (TIE, 42)
