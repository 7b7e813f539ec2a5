"""Contact search finds what exists: an email's domain (hyphens included) and names outside ASCII, whatever their
case, on SQLite (whose LOWER() folds ASCII only) and PostgreSQL alike."""

from __future__ import annotations

import pytest
from django.test import Client

from plumbline.crm.actions import do_create_company, do_create_contact
from plumbline.crm.models import Contact
from plumbline.crm.queries import search_contacts


@pytest.fixture
def people(db):
    do_create_company(name="Newco Test GmbH", domain="newco-test.de")
    return {
        "ann": do_create_contact(email="ann@newco-test.com", first_name="Ann", last_name="Lee"),
        "bob": do_create_contact(email="bob@other.org", first_name="Bob", last_name="Newcomb"),
        "anders": do_create_contact(email="anders@uu.se", first_name="Anders", last_name="Ångström"),
        "elin": do_create_contact(email="elin@kth.se", first_name="ÉLIN", last_name="ÖBERG"),
        "zoe": do_create_contact(email="zoe@example.com", first_name="Zoë", last_name="Müller-Lüdenscheidt"),
    }


def _emails(q: str) -> list[str]:
    return sorted(c.email for c in search_contacts(Contact.objects.all(), q))


@pytest.mark.django_db
@pytest.mark.parametrize("q, expected", [
    ("newco-test", ["ann@newco-test.com"]),
    ("newco-test.com", ["ann@newco-test.com"]),
    ("NEWCO-TEST", ["ann@newco-test.com"]),
    ("@newco-test", ["ann@newco-test.com"]),
    ("newco", ["bob@other.org"]),  # a plain word stays a prefix search: Newcomb, not the domain
])
def test_search_finds_contacts_by_their_email_domain(people, q, expected):
    assert _emails(q) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("q, expected", [
    ("Ångström", ["anders@uu.se"]),
    ("ångström", ["anders@uu.se"]),
    ("ÅNGSTR", ["anders@uu.se"]),
    ("anders ångström", ["anders@uu.se"]),
    ("élin", ["elin@kth.se"]),
    ("öberg", ["elin@kth.se"]),
    ("Élin Öberg", ["elin@kth.se"]),
    ("zoë", ["zoe@example.com"]),
    ("müller-lüd", ["zoe@example.com"]),
])
def test_search_finds_names_outside_ascii_in_any_case(people, q, expected):
    assert _emails(q) == expected


@pytest.mark.django_db
def test_contact_list_page_finds_them(people, users):
    client = Client()
    client.force_login(users["viewer"])
    html = client.get("/contacts/", {"q": "Ångström"}).content.decode()
    assert "anders@uu.se" in html
    html = client.get("/contacts/", {"q": "newco-test"}).content.decode()
    assert "ann@newco-test.com" in html
