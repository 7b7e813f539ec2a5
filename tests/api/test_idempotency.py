"""`Idempotency-Key` on POSTs that create rows: a retry with the same key and body gets the first response
instead of a second write; another body with the key is refused; a request still running answers 409."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection
from django.test import Client
from django.utils import timezone
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from plumbline.core.models import IdempotencyKey
from plumbline.crm.actions import do_create_contact
from plumbline.crm.models import Company, Contact
from plumbline.events.models import Event
from plumbline.marketing.models import Touchpoint

ROOT = Path(__file__).resolve().parents[2]
BATCH = {"items": [{"contact_email": "ada@example.com", "kind": "page_view", "channel": "seo"}]}


def _post(token: str, path: str, body: dict, key: str | None, client: Client | None = None):
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    client = client or Client(raise_request_exception=False)
    return client.post("/api/v1" + path, data=json.dumps(body), content_type="application/json", headers=headers)


@pytest.fixture
def ada(db):
    return do_create_contact(email="ada@example.com", first_name="Ada")


@pytest.mark.django_db
def test_a_retried_batch_is_written_once_and_answered_alike(tokens, ada):
    # given a batch recorded with a key
    first = _post(tokens["marketing"], "/touchpoints/batch", BATCH, "batch-1")
    assert first.status_code == 201
    # when the client retries it with the same key and body
    retry = _post(tokens["marketing"], "/touchpoints/batch", BATCH, "batch-1")
    # then it gets the first answer again, marked as a replay, and nothing more is written or queued
    assert (retry.status_code, retry.json()) == (201, first.json())
    assert retry["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert Touchpoint.objects.count() == 1
    assert Event.objects.filter(kind="touchpoint.recorded").count() == 1


@pytest.mark.django_db
def test_without_a_key_every_post_writes(tokens, ada):
    _post(tokens["marketing"], "/touchpoints/batch", BATCH, None)
    _post(tokens["marketing"], "/touchpoints/batch", BATCH, None)
    assert Touchpoint.objects.count() == 2


@pytest.mark.django_db
def test_a_key_reused_for_another_body_is_refused(tokens, ada):
    # given a batch recorded with a key
    _post(tokens["marketing"], "/touchpoints/batch", BATCH, "batch-1")
    # when the key is sent with another body
    other = {"items": [{**BATCH["items"][0], "kind": "email_open"}]}
    response = _post(tokens["marketing"], "/touchpoints/batch", other, "batch-1")
    # then it is refused naming the header, and nothing is written
    assert response.status_code == 422
    assert response.json()["errors"] == [{
        "field": "Idempotency-Key", "code": "idempotency_mismatch",
        "message": "This Idempotency-Key was used for a different request; use a new key."}]
    assert Touchpoint.objects.count() == 1


@pytest.mark.django_db
def test_keys_belong_to_their_user(tokens, ada):
    # when two users send the same key with the same body
    first = _post(tokens["marketing"], "/companies", {"name": "Acme"}, "same-key")
    second = _post(tokens["admin"], "/companies", {"name": "Acme"}, "same-key")
    # then each is a request of its own
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    assert Company.objects.count() == 2


@pytest.mark.django_db
def test_a_refused_request_releases_its_key(tokens, ada):
    # given a batch refused for a bad item
    bad = {"items": [{**BATCH["items"][0], "kind": "teleport"}]}
    assert _post(tokens["marketing"], "/touchpoints/batch", bad, "batch-1").status_code == 422
    # when the corrected batch is sent with the same key
    response = _post(tokens["marketing"], "/touchpoints/batch", BATCH, "batch-1")
    # then it is recorded
    assert response.status_code == 201
    assert Touchpoint.objects.count() == 1


@pytest.mark.django_db
def test_a_request_still_in_flight_answers_409(tokens, users, ada):
    # given a key claimed a moment ago by a request that has not finished
    IdempotencyKey.objects.create(user=users["marketing"], key="batch-1", fingerprint=_fingerprint(BATCH),
                                  created_at=timezone.now())
    # when the same request arrives again
    response = _post(tokens["marketing"], "/touchpoints/batch", BATCH, "batch-1")
    # then it is told to retry later, and nothing is written
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "idempotency_in_flight"
    assert Touchpoint.objects.count() == 0


@pytest.mark.django_db
def test_a_key_whose_request_died_is_taken_over(tokens, users, ada):
    # given a key claimed 11 minutes ago by a request that never finished (its process was killed)
    IdempotencyKey.objects.create(user=users["marketing"], key="batch-1", fingerprint=_fingerprint(BATCH),
                                  created_at=timezone.now() - dt.timedelta(minutes=11))
    # when the client retries
    response = _post(tokens["marketing"], "/touchpoints/batch", BATCH, "batch-1")
    # then the batch is recorded and its response kept
    assert response.status_code == 201
    assert IdempotencyKey.objects.get(key="batch-1").status == 201


@pytest.mark.django_db
def test_keys_older_than_a_day_are_pruned(tokens, users, ada):
    # given a key used 25 hours ago
    IdempotencyKey.objects.create(user=users["marketing"], key="old", fingerprint="x", status=201,
                                  created_at=timezone.now() - dt.timedelta(hours=25))
    # when another keyed request arrives
    _post(tokens["marketing"], "/touchpoints/batch", BATCH, "new")
    # then the old key is gone (and may be used again)
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db
def test_a_malformed_key_is_refused(tokens, ada):
    response = _post(tokens["marketing"], "/touchpoints/batch", BATCH, "x" * 256)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert Touchpoint.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_request_that_fails_after_writing_keeps_neither_rows_nor_key(tokens, ada, monkeypatch):
    # given a task queue that fails, so the batch fails after its rows were inserted (no pump of the feed is
    # waiting, so the batch must queue one)
    DBTaskResult.objects.all().delete()
    def refuse(*args, **kwargs):
        raise OperationalError("disk I/O error")

    monkeypatch.setattr(DatabaseBackend, "enqueue", refuse)
    assert _post(tokens["marketing"], "/touchpoints/batch", BATCH, "batch-1").status_code == 500
    assert (Touchpoint.objects.count(), IdempotencyKey.objects.count()) == (0, 0)
    # when the queue is back and the client retries with the same key
    monkeypatch.undo()
    response = _post(tokens["marketing"], "/touchpoints/batch", BATCH, "batch-1")
    # then the batch is recorded once
    assert response.status_code == 201
    assert Touchpoint.objects.count() == 1


def _upload(token: str, data: bytes, key: str):
    body = {"kind": "contacts", "file": SimpleUploadedFile("people.csv", data, "text/csv")}
    return Client().post("/api/v1/imports", body, headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key})


@pytest.mark.django_db
def test_a_retried_upload_larger_than_the_in_memory_limit_is_imported_once(tokens, settings):
    # given an upload larger than the body Django holds in memory
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    rows = "".join(f"person{i}@example.com,Person{i}\n" for i in range(100))
    data = ("email,first_name\n" + rows).encode()
    assert len(data) > 2000
    # when it is posted twice with one key
    first = _upload(tokens["marketing"], data, "upload-1")
    retry = _upload(tokens["marketing"], data, "upload-1")
    # then it is imported once and the retry gets the same report; another file with the key is refused
    assert (first.status_code, first.json()["created"]) == (200, 100)
    assert (retry.status_code, retry.json(), retry["Idempotent-Replayed"]) == (200, first.json(), "true")
    assert Contact.objects.count() == 100
    assert _upload(tokens["marketing"], data.replace(b"Person1\n", b"Persona\n"), "upload-1").status_code == 422


def _check_race(answers: list, touchpoints: int) -> None:
    # exactly one wrote; each other one was told it is in flight (409) or got the stored answer
    assert len(answers) == 4
    assert [tuple(a) for a in answers].count((201, False)) == 1
    assert all(tuple(a) in ((201, False), (201, True), (409, False)) for a in answers)
    assert touchpoints == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite: the subprocess test below")
def test_concurrent_requests_with_one_key_write_once_on_postgresql(tokens, ada):
    # given four clients that send the same keyed batch at the same moment
    barrier, answers = threading.Barrier(4), []

    def send() -> None:
        try:
            barrier.wait()
            response = _post(tokens["marketing"], "/touchpoints/batch", BATCH, "batch-1")
            answers.append((response.status_code, response.has_header("Idempotent-Replayed")))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    _check_race(answers, Touchpoint.objects.count())


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL: the in-process test above")
def test_concurrent_requests_with_one_key_write_once_on_sqlite(tmp_path):
    # given four threads of one process that send the same keyed batch at the same moment to a SQLite file
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'race.sqlite3'}", "PLUMBLINE_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "tests.api.idempotency_race", "4"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    _check_race(result["answers"], result["touchpoints"])


@pytest.mark.django_db
def test_the_header_is_documented_on_creating_posts(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/touchpoints/batch", "/api/v1/contacts", "/api/v1/imports", "/api/v1/definitions"):
        names = [p["name"] for p in paths[path]["post"]["parameters"]]
        assert "Idempotency-Key" in names, path
    assert "Idempotency-Key" not in [p["name"] for p in paths["/api/v1/contacts"]["get"]["parameters"]]


def _fingerprint(body: dict) -> str:
    import hashlib

    return hashlib.sha256(b"POST\0/api/v1/touchpoints/batch\0" + json.dumps(body).encode()).hexdigest()
