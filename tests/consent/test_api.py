"""/api/v1/contacts/{id}/consent, /api/v1/subscription-types, and the privacy endpoints."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from plumbline.consent.models import ConsentEntry, SubscriptionType
from plumbline.crm.actions import do_create_contact
from plumbline.crm.hooks import erasers
from plumbline.crm.models import Contact, ErasureRecord
from plumbline.events.models import Event


def _client(token: str, **headers: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}", **headers})


@pytest.fixture
def ada(db):
    return do_create_contact(email="ada@example.org", first_name="Ada", last_name="Lovelace")


def test_a_change_posted_lands_in_the_ledger_and_the_list_pages_it(ada, tokens):
    api = _client(tokens["marketing"])
    # when: three changes are posted
    for at, granted in (("2026-03-01T09:00:00Z", True), ("2026-03-02T09:00:00Z", False),
                        ("2026-03-03T09:00:00Z", True)):
        made = api.post(f"/api/v1/contacts/{ada.pk}/consent", {
            "channel": "email", "subscription": "newsletter", "granted": granted, "basis": "consent",
            "source": "form", "occurred_at": at, "proof": {"form": "signup", "text": "Yes please", "version": 4,
                                                           "ip": "203.0.113.5"},
        }, content_type="application/json")
        assert made.status_code == 201, made.content
    body = made.json()
    assert (body["channel"], body["subscription"], body["subscription_label"], body["status"], body["basis"],
            body["source"]) == ("email", "newsletter", "Newsletter", "granted", "consent", "form")
    assert "ip" not in body["proof"] and len(body["proof"]["ip_hash"]) == 64
    # then: the list pages newest first, two at a time
    first = api.get(f"/api/v1/contacts/{ada.pk}/consent", {"limit": 2}).json()
    assert [e["status"] for e in first["items"]] == ["granted", "withdrawn"]
    second = api.get(f"/api/v1/contacts/{ada.pk}/consent", {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert ([e["status"] for e in second["items"]], second["next_cursor"]) == (["granted"], None)
    assert second["items"][0]["occurred_at"] == "2026-03-01T09:00:00Z"
    assert Contact.objects.get(pk=ada.pk).consent_status == "opted_in"


def test_the_idempotency_key_makes_a_retry_write_nothing(ada, tokens):
    api = _client(tokens["marketing"], **{"Idempotency-Key": "consent-1"})
    body = {"channel": "phone", "granted": False, "source": "api"}
    first = api.post(f"/api/v1/contacts/{ada.pk}/consent", body, content_type="application/json")
    again = api.post(f"/api/v1/contacts/{ada.pk}/consent", body, content_type="application/json")
    assert (first.status_code, again.status_code, again.headers["Idempotent-Replayed"]) == (201, 201, "true")
    assert first.json() == again.json()
    assert ConsentEntry.objects.count() == 1
    assert Event.objects.filter(kind="consent.withdrawn").count() == 1


def test_bad_input_is_a_422_naming_the_field_and_writes_nothing(ada, tokens):
    api = _client(tokens["marketing"])
    bad_channel = api.post(f"/api/v1/contacts/{ada.pk}/consent", {"channel": "fax", "granted": True},
                           content_type="application/json")
    assert bad_channel.status_code == 422
    assert bad_channel.json()["errors"][0]["field"] == "channel"
    unknown = api.post(f"/api/v1/contacts/{ada.pk}/consent", {"channel": "email", "subscription": "gossip",
                                                               "granted": True}, content_type="application/json")
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == [{"field": "subscription", "message": "No subscription type 'gossip'.",
                                         "code": "does_not_exist"}]
    missing = api.get("/api/v1/contacts/999999/consent")
    assert missing.status_code == 404
    assert api.post("/api/v1/contacts/999999/consent", {"channel": "email", "granted": True},
                    content_type="application/json").status_code == 404
    assert ConsentEntry.objects.count() == 0


def test_double_opt_in_through_the_api_only_requests(ada, tokens, django_capture_on_commit_callbacks):
    api = _client(tokens["marketing"])
    with django_capture_on_commit_callbacks(execute=False) as queued:
        made = api.post(f"/api/v1/contacts/{ada.pk}/consent", {"channel": "email", "subscription": "events",
                                                                "granted": True, "double_opt_in": True},
                        content_type="application/json")
    assert (made.status_code, made.json()["status"], len(queued)) == (201, "requested", 1)
    assert Contact.objects.get(pk=ada.pk).consent_status == "unknown"


def test_subscription_types_are_listed_and_created_by_marketing_not_by_reps(db, tokens):
    listed = _client(tokens["viewer"]).get("/api/v1/subscription-types").json()
    assert [t["code"] for t in listed["items"]] == ["newsletter", "product_news", "events"]
    new = {"code": "webinars", "label": "Webinars", "description": "Live sessions", "position": 4}
    assert _client(tokens["rep1"]).post("/api/v1/subscription-types", new,
                                        content_type="application/json").status_code == 403
    made = _client(tokens["marketing"]).post("/api/v1/subscription-types", new, content_type="application/json")
    assert made.status_code == 201
    assert (made.json()["code"], made.json()["double_opt_in"], made.json()["channel"]) == ("webinars", True, "email")
    again = _client(tokens["marketing"]).post("/api/v1/subscription-types", new, content_type="application/json")
    assert (again.status_code, again.json()["errors"][0]["field"]) == (409, "code")
    assert SubscriptionType.objects.count() == 4


def test_export_and_erase_through_the_api(ada, tokens):
    admin = _client(tokens["admin"])
    export = admin.get(f"/api/v1/contacts/{ada.pk}/export")
    assert export.status_code == 200
    assert (export.json()["contact"]["email"], export.json()["contact"]["first_name"]) == ("ada@example.org", "Ada")
    erased = admin.post(f"/api/v1/contacts/{ada.pk}/erase", {}, content_type="application/json")
    assert erased.status_code == 200
    assert erased.json()["contact_id"] == ada.pk and erased.json()["erasers"] == list(erasers())
    assert Contact.objects.get(pk=ada.pk).email == f"erased-{ada.pk}@erased.invalid"
    assert ErasureRecord.objects.count() == 1
    assert dt.datetime.fromisoformat(erased.json()["erased_at"]).tzinfo is not None


def test_the_ledger_list_reads_in_a_fixed_number_of_queries(ada, tokens, django_assert_num_queries):
    from plumbline.consent.actions import do_record_consent

    for code in ("newsletter", "events", "product_news") * 10:
        do_record_consent(contact=ada, channel="email", subscription=code, granted=True, basis="consent",
                          source="api")
    api = _client(tokens["viewer"])
    api.get(f"/api/v1/contacts/{ada.pk}/consent")  # warm: the token's user
    with django_assert_num_queries(3):  # the token, the contact, the page (with its types and users)
        page = api.get(f"/api/v1/contacts/{ada.pk}/consent", {"limit": 30})
    assert len(page.json()["items"]) == 30
