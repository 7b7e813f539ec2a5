"""The contacts list: search, filters, keyset paging and a query count that does not grow with the rows."""

from __future__ import annotations

import re

import pytest

from plumbline.crm.actions import do_create_company, do_create_contact
from plumbline.crm.models import Contact
from plumbline.crm.views.contacts import PAGE_SIZE


def emails(html: str) -> list[str]:
    return re.findall(r"<td>([^<@]+@[^<]+)</td>", html)


@pytest.fixture
def people(users):
    globex = do_create_company(name="Globex", domain="globex.io")
    do_create_contact(email="hank@globex.io", first_name="Hank", last_name="Scorpio", owner=users["rep1"])
    do_create_contact(email="jane@else.org", first_name="Jane", last_name="Roe", lifecycle_stage="mql")
    do_create_contact(email="zed@other.net", first_name="Zed", last_name="Janeway", owner=users["rep1"])
    return globex


@pytest.mark.django_db
def test_search_matches_name_email_and_company_prefixes(people, client_for):
    client = client_for("viewer")
    assert emails(client.get("/contacts/?q=jane").content.decode()) == ["zed@other.net", "jane@else.org"]
    assert emails(client.get("/contacts/?q=glob").content.decode()) == ["hank@globex.io"]
    assert emails(client.get("/contacts/?q=hank@").content.decode()) == ["hank@globex.io"]
    assert emails(client.get("/contacts/?q=hank scorpio").content.decode()) == ["hank@globex.io"]


@pytest.mark.django_db
def test_filters_by_stage_owner_and_company_combine(people, client_for, users):
    client = client_for("viewer")
    assert emails(client.get("/contacts/?stage=mql").content.decode()) == ["jane@else.org"]
    owned = client.get(f"/contacts/?owner={users['rep1'].pk}").content.decode()
    assert emails(owned) == ["zed@other.net", "hank@globex.io"]
    both = client.get(f"/contacts/?owner={users['rep1'].pk}&company={people.pk}").content.decode()
    assert emails(both) == ["hank@globex.io"]
    assert emails(client.get("/contacts/?stage=bogus&owner=x&company=-1").content.decode()) == [
        "zed@other.net", "jane@else.org", "hank@globex.io"]


@pytest.mark.django_db
def test_htmx_search_returns_only_the_rows(people, client_for):
    response = client_for("viewer").get("/contacts/?q=zed", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith("<tr>")
    assert emails(html) == ["zed@other.net"]


def make_contacts(n: int) -> None:
    Contact.objects.bulk_create(Contact(email=f"c{i:03d}@bulk.test", first_name=f"C{i}") for i in range(n))


@pytest.mark.django_db
def test_load_more_walks_every_contact_once_by_keyset(users, client_for):
    make_contacts(PAGE_SIZE + 7)
    client = client_for("viewer")
    first = client.get("/contacts/").content.decode()
    after = re.search(r'after=(\d+)"', first).group(1)
    second = client.get(f"/contacts/?after={after}", HTTP_HX_REQUEST="true").content.decode()
    seen = emails(first) + emails(second)
    assert len(emails(first)) == PAGE_SIZE
    assert len(emails(second)) == 7
    assert sorted(seen) == [f"c{i:03d}@bulk.test" for i in range(PAGE_SIZE + 7)]
    assert "Load more" not in second


@pytest.mark.django_db
def test_contact_list_query_count_does_not_grow_with_rows(users, client_for, django_assert_num_queries):
    # session, user, contacts page (with company and owner joined), owners for the filter, the header's unread
    # notifications
    client = client_for("viewer")
    make_contacts(3)
    with django_assert_num_queries(5):
        client.get("/contacts/")
    Contact.objects.bulk_create(Contact(email=f"more{i}@bulk.test", owner=users["rep1"]) for i in range(60))
    with django_assert_num_queries(5):
        client.get("/contacts/?q=more&stage=subscriber")
    with django_assert_num_queries(3):
        client.get("/contacts/?q=more", HTTP_HX_REQUEST="true")


@pytest.mark.django_db
def test_contact_list_never_counts_or_offsets(users, client_for, django_assert_max_num_queries):
    make_contacts(PAGE_SIZE + 1)
    client = client_for("viewer")
    with django_assert_max_num_queries(5) as captured:
        client.get("/contacts/?after=999999&q=c0")
    sql = " ".join(q["sql"].upper() for q in captured.captured_queries)
    assert "COUNT(" not in sql
    assert "OFFSET" not in sql
