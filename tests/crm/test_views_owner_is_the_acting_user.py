"""On the pages too, a rep cannot make another rep the owner: the form says so next to the owner field."""

from __future__ import annotations

import pytest

from plumbline.crm.models import Contact

pytestmark = pytest.mark.django_db


def test_a_rep_naming_another_owner_gets_the_error_on_the_owner_field(client, users):
    client.force_login(users["rep1"])
    response = client.post("/contacts/new/", {"email": "jane@example.com", "owner": users["rep2"].pk,
                                              "lifecycle_stage": "subscriber", "consent_status": "unknown"})
    assert response.status_code == 403
    assert response.context["form"].errors == {"owner": ["You may only make yourself the owner of this contact."]}
    assert not Contact.objects.exists()


def test_a_rep_leaving_the_owner_empty_owns_the_contact(client, users):
    client.force_login(users["rep1"])
    response = client.post("/contacts/new/", {"email": "jane@example.com", "lifecycle_stage": "subscriber",
                                              "consent_status": "unknown"})
    assert response.status_code == 302
    assert Contact.objects.get().owner == users["rep1"]
