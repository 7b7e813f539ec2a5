"""A search without `sort` is ordered newest id first; paging it gives every match once; `sort` still wins."""

import datetime as dt

import pytest

from plumbline.crm.actions import do_create_contact
from plumbline.crm.models import Contact
from tests.api.test_pagination import walk


@pytest.fixture
def marias(users):
    made = [do_create_contact(email=f"maria{n:02d}@example.com", first_name="Maria") for n in range(12)]
    do_create_contact(email="other@example.com", first_name="Otto")
    # updated_at runs against id order, so the two orders differ
    for n, contact in enumerate(made):
        Contact.objects.filter(pk=contact.pk).update(updated_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
                                                     + dt.timedelta(minutes=n * 7 % 12))
    return made


@pytest.mark.django_db
def test_search_without_sort_is_newest_id_first_and_pages_cover_every_match_once(api, marias):
    pages = walk(api("viewer"), "/contacts", q="mar", limit=5)
    assert [len(p) for p in pages] == [5, 5, 2]
    assert [i for p in pages for i in p] == sorted((c.pk for c in marias), reverse=True)


@pytest.mark.django_db
def test_search_with_sort_keeps_the_asked_order(api, marias):
    pages = walk(api("viewer"), "/contacts", q="mar", sort="-updated_at", limit=5)
    expected = sorted(Contact.objects.filter(first_name="Maria"), key=lambda c: (c.updated_at, c.pk), reverse=True)
    assert [i for p in pages for i in p] == [c.pk for c in expected]


@pytest.mark.django_db
def test_a_list_without_search_is_still_most_recently_updated_first(api, marias):
    items = api("viewer").get("/contacts", limit=3).json()["items"]
    expected = Contact.objects.order_by("-updated_at", "-pk").values_list("pk", flat=True)[:3]
    assert [i["id"] for i in items] == list(expected)


@pytest.mark.django_db
def test_a_search_cursor_is_refused_under_another_sort(api, marias):
    client = api("viewer")
    cursor = client.get("/contacts", q="mar", limit=5).json()["next_cursor"]
    response = client.get("/contacts", q="mar", sort="-updated_at", cursor=cursor)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "cursor"
