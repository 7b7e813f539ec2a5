"""Scoring a contact must not block rows that refer to it (a touchpoint batch committing): on PostgreSQL its lock
is FOR NO KEY UPDATE, which foreign-key checks pass. FOR UPDATE made a batch and the worker deadlock under load."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection, transaction

from plumbline.crm.actions import do_create_contact
from plumbline.scoring import hot


@pytest.mark.django_db(transaction=True)
def test_a_contact_being_scored_can_still_be_referred_to() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks: one writer at a time")
    # Given a contact being scored: its row is locked by the scorer's transaction
    contact = do_create_contact(email="ann@example.com")
    params = connection.get_connection_params()
    other = psycopg.connect(**{k: v for k, v in params.items() if k in ("dbname", "user", "password", "host", "port")})
    try:
        with transaction.atomic():
            hot.load(contact.pk)

            # When another transaction checks the contact as a foreign key does before inserting a touchpoint
            other.execute("SET lock_timeout = '5s'")
            rows = other.execute("SELECT id FROM crm_contact WHERE id = %s FOR KEY SHARE", [contact.pk]).fetchall()

            # Then it gets the row at once (FOR UPDATE would keep it waiting until the scorer commits)
            assert rows == [(contact.pk,)]
    finally:
        other.rollback()
        other.close()
