"""Spam and replays: a clear 4xx with field and reason, and nothing written."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from plumbline.consent.models import ConsentEntry
from plumbline.crm.models import Contact
from plumbline.events.models import Event
from plumbline.marketing.models import Touchpoint
from plumbline.webforms import spam
from plumbline.webforms.actions import do_prune_used_challenges, do_update_form
from plumbline.webforms.models import Submission, UsedChallenge
from tests.webforms.conftest import pow_payload, solve, submit

pytestmark = pytest.mark.django_db


def assert_nothing_written() -> None:
    assert (Contact.objects.count(), Submission.objects.count(), Touchpoint.objects.count(),
            ConsentEntry.objects.count(), UsedChallenge.objects.count()) == (0, 0, 0, 0, 0)
    assert not Event.objects.filter(kind="form.submitted").exists()


def error_of(response) -> tuple[int, str | None, str]:
    (error, *_) = response.json()["errors"]
    return response.status_code, error["field"], error["code"]


def test_a_filled_honeypot_is_refused_as_spam(newsletter):
    response = submit("newsletter", {"email": "bot@example.com", "website_url": "http://spam.test"})
    assert error_of(response) == (400, "website_url", "honeypot")
    assert_nothing_written()


def test_a_missing_proof_of_work_is_refused(newsletter):
    response = submit("newsletter", {"email": "x@example.com"}, pow_="")
    assert error_of(response) == (400, "altcha", "pow_missing")
    assert_nothing_written()


def test_a_wrong_number_is_refused(newsletter):
    payload = json.loads(base64.b64decode(pow_payload()))
    payload["number"] += 1
    forged = base64.b64encode(json.dumps(payload).encode()).decode()
    assert error_of(submit("newsletter", {"email": "x@example.com"}, pow_=forged)) == (400, "altcha", "pow_invalid")
    assert_nothing_written()


def test_a_challenge_not_signed_by_us_is_refused(newsletter):
    payload = json.loads(base64.b64decode(pow_payload()))
    payload["signature"] = "0" * 64
    forged = base64.b64encode(json.dumps(payload).encode()).decode()
    assert error_of(submit("newsletter", {"email": "x@example.com"}, pow_=forged)) == (400, "altcha", "pow_invalid")
    assert_nothing_written()


def test_an_expired_challenge_is_refused(newsletter):
    old = spam.new_challenge(now=timezone.now() - dt.timedelta(hours=1))
    response = submit("newsletter", {"email": "x@example.com"}, pow_=solve(old))
    assert error_of(response) == (400, "altcha", "pow_invalid")
    assert "expired" in response.json()["errors"][0]["message"]
    assert_nothing_written()


def test_a_challenge_buys_one_submission(newsletter):
    # Given a submission that spent its challenge
    solved = pow_payload()
    assert submit("newsletter", {"email": "x@example.com"}, pow_=solved).status_code == 201
    # When the same solved challenge comes again, even with other answers
    response = submit("newsletter", {"email": "y@example.com"}, pow_=solved)
    # Then it is refused and nothing more is written
    assert error_of(response) == (400, "altcha", "pow_replayed")
    assert (Contact.objects.count(), Submission.objects.count(), Touchpoint.objects.count()) == (1, 1, 1)


def test_the_same_idempotency_key_answers_the_first_submission_again(newsletter):
    first = submit("newsletter", {"email": "x@example.com", "newsletter": True}, key="retry-1")
    again = submit("newsletter", {"email": "x@example.com", "newsletter": True}, key="retry-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["submission_id"] == first.json()["submission_id"]
    assert again.json()["replayed"] is True
    assert (Submission.objects.count(), Touchpoint.objects.count(), ConsentEntry.objects.count()) == (1, 1, 1)


def test_invalid_answers_are_refused_with_each_field_and_reason(newsletter):
    response = submit("newsletter", {"email": "not-an-email", "first_name": "x" * 301})
    assert response.status_code == 422
    errors = {e["field"]: e["code"] for e in response.json()["errors"]}
    assert errors == {"email": "invalid", "first_name": "invalid"}
    assert_nothing_written()


def test_a_missing_email_is_required(newsletter):
    response = submit("newsletter", {"first_name": "Ada"})
    assert error_of(response) == (422, "email", "required")
    assert_nothing_written()


def test_a_forged_visitor_id_is_refused_and_writes_nothing(newsletter):
    response = submit("newsletter", {"email": "x@example.com", "visitor_id": "../../etc/passwd"})
    assert error_of(response) == (422, "visitor_id", "invalid")
    assert_nothing_written()


def test_malformed_json_is_refused(newsletter):
    response = Client().post("/f/newsletter/submit", b"[1, 2", content_type="application/json")
    assert error_of(response) == (400, None, "malformed")
    assert_nothing_written()


def test_an_address_past_its_rate_limit_gets_429(newsletter, settings):
    settings.FORMS_RATE_LIMIT_PER_HOUR = 2
    assert submit("newsletter", {"email": "a@example.com"}).status_code == 201
    assert submit("newsletter", {"email": "b@example.com"}).status_code == 201
    response = submit("newsletter", {"email": "c@example.com"})
    assert error_of(response) == (429, None, "rate_limited")
    assert Submission.objects.count() == 2
    # and another address is still welcome
    assert submit("newsletter", {"email": "c@example.com"}, ip="198.51.100.9").status_code == 201


def test_the_embed_endpoints_answer_cors_for_any_site(newsletter):
    client = Client()
    preflight = client.options("/f/newsletter/submit", HTTP_ORIGIN="https://www.acme.test")
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert "Idempotency-Key" in preflight["Access-Control-Allow-Headers"]
    schema = client.get("/f/newsletter/schema.json")
    assert schema["Access-Control-Allow-Origin"] == "*"
    assert [f["key"] for f in schema.json()["fields"]] == [
        "email", "first_name", "last_name", "company", "title", "newsletter", "events", "utm_campaign"]
    assert schema.json()["fields"][5]["subscription"] == "Newsletter"


def test_an_unknown_or_closed_form_is_404(newsletter):
    do_update_form(by=None, form=newsletter, changes={"is_active": False})
    assert submit("newsletter", {"email": "x@example.com"}).status_code == 404
    assert submit("nope", {"email": "x@example.com"}).status_code == 404
    assert_nothing_written()


def test_spent_challenges_are_pruned_once_they_could_only_be_expired(newsletter):
    assert submit("newsletter", {"email": "x@example.com"}).status_code == 201
    spent = UsedChallenge.objects.get().used_at
    assert do_prune_used_challenges(now=spent + dt.timedelta(minutes=39)) == 0
    assert do_prune_used_challenges(now=spent + dt.timedelta(minutes=41)) == 1
    assert UsedChallenge.objects.count() == 0
