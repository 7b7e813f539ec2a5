"""/api/v1/scoring/models, /scoring/training-runs and the predictive part of /contacts/{id}/score: roles, figures,
queued training, refused input."""

import datetime as dt
from unittest import mock

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from plumbline.scoring.models import ContactScore, PredictiveModel, TrainingRun
from plumbline.scoring.predictive.actions import do_train_model
from plumbline.scoring.predictive.predict import predict_many
from tests.scoring.test_training_history import build_history

ROLES = ("admin", "marketing", "rep1", "manager", "viewer")


def call(tokens, who, method, path, **kw):
    headers = {"Authorization": f"Bearer {tokens[who]}"} if who else {}
    return getattr(Client(), method)(f"/api/v1{path}", headers=headers, content_type="application/json", **kw)


@pytest.fixture
def history(db):
    return build_history(timezone.now())


@pytest.fixture
def trained(users, history):
    return do_train_model(by=users["admin"], folds=3, kind="logistic")


@pytest.mark.django_db
@pytest.mark.parametrize("who", ROLES)
def test_every_role_lists_and_reads_versions(tokens, trained, who):
    listed = call(tokens, who, "get", "/scoring/models")
    assert listed.status_code == 200
    [row] = listed.json()
    for moment in ("created_at", "activated_at", "cut_at", "trained_until"):
        assert abs(dt.datetime.fromisoformat(row.pop(moment)) - getattr(trained, moment)) < dt.timedelta(milliseconds=1)
    assert row == {
        "number": 1, "is_active": True, "kind": "logistic", "created_by": "admin", "rows": 120, "positives": 30,
        "positive_rate": 0.25, "auc": trained.metrics["model"]["auc"], "auc_note": None,
        "naive_bayes_auc": trained.metrics["naive_bayes"]["auc"], "naive_bayes_auc_note": None,
    }
    detail = call(tokens, who, "get", "/scoring/models/1").json()
    assert detail["metrics"]["model"]["calibration"] == trained.metrics["model"]["calibration"]
    assert detail["metrics"]["naive_bayes"]["brier"] == trained.metrics["naive_bayes"]["brier"]
    assert "tp_pricing_view_90d" in detail["features"]


@pytest.mark.django_db
def test_anonymous_callers_get_401_everywhere(trained):
    for method, path in (("get", "/scoring/models"), ("get", "/scoring/models/1"), ("post", "/scoring/models"),
                         ("post", "/scoring/models/1/activate"), ("get", "/scoring/training-runs"),
                         ("get", "/scoring/training-runs/1")):
        response = getattr(Client(), method)(f"/api/v1{path}", content_type="application/json")
        assert response.status_code == 401


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


@pytest.mark.django_db
@pytest.mark.parametrize("who,status", [
    ("admin", 202), ("marketing", 202), ("rep1", 403), ("manager", 403), ("viewer", 403),
])
def test_admins_and_marketing_queue_training_through_the_api(tokens, history, who, status):
    response = call(tokens, who, "post", "/scoring/models", data={"folds": 3, "kind": "logistic", "seed": 4})
    assert response.status_code == status
    if status == 202:
        body = response.json()
        run = TrainingRun.objects.get()
        assert response["Location"] == f"/api/v1/scoring/training-runs/{run.pk}"
        assert abs(dt.datetime.fromisoformat(body.pop("requested_at")) - run.requested_at) < dt.timedelta(milliseconds=1)
        assert body == {
            "id": run.pk, "status": "queued", "requested_by": who, "started_at": None, "finished_at": None,
            "cut": None, "horizon_days": None, "folds": 3, "seed": 4, "kind": "logistic", "model_number": None,
            "error": None, "error_field": None,
        }
    else:
        assert response.json()["errors"] == [{"field": None, "message": "Your role may not add this model.",
                                              "code": "forbidden"}]
        assert not TrainingRun.objects.exists()
    assert not PredictiveModel.objects.exists()  # the worker trains, not the request


@pytest.mark.django_db(transaction=True)
def test_a_queued_run_shows_up_and_shows_the_version_once_the_worker_has_trained_it(tokens, history):
    # given a run queued through the API
    queued = call(tokens, "marketing", "post", "/scoring/models", data={"folds": 3, "kind": "logistic"})
    assert queued.status_code == 202
    run_id = queued.json()["id"]
    listed = call(tokens, "viewer", "get", "/scoring/training-runs").json()
    assert [(row["id"], row["status"]) for row in listed] == [(run_id, "queued")]

    # when the worker runs
    run_worker()

    # then the run is done and names the version it stored, which is the active one
    body = call(tokens, "viewer", "get", f"/scoring/training-runs/{run_id}").json()
    assert (body["status"], body["model_number"], body["error"]) == ("done", 1, None)
    assert body["started_at"] is not None and body["finished_at"] is not None
    [version] = call(tokens, "viewer", "get", "/scoring/models").json()
    assert (version["number"], version["is_active"], version["created_by"], version["rows"]) == (1, True, "marketing",
                                                                                                 120)


@pytest.mark.django_db(transaction=True)
def test_a_run_without_enough_history_fails_and_says_why(tokens, history):
    run_id = call(tokens, "admin", "post", "/scoring/models", data={"folds": 3, "cut": "2020-01-01"}).json()["id"]
    run_worker()
    body = call(tokens, "admin", "get", f"/scoring/training-runs/{run_id}").json()
    assert (body["status"], body["model_number"], body["error_field"]) == ("failed", None, "cut")
    assert body["error"].startswith("Only 0 contacts were created before 2020-01-01")
    assert call(tokens, "admin", "get", "/scoring/models").json() == []


@pytest.mark.django_db
def test_a_second_request_while_one_is_queued_is_a_conflict(tokens, history):
    first = call(tokens, "admin", "post", "/scoring/models", data={"folds": 3}).json()
    second = call(tokens, "marketing", "post", "/scoring/models", data={"folds": 3})
    assert second.status_code == 409
    assert second.json()["errors"] == [{"field": None, "code": "conflict",
                                        "message": f"Training run {first['id']} is already queued; wait for it to finish."}]
    assert TrainingRun.objects.count() == 1


@pytest.mark.django_db
def test_a_missing_run_is_not_found(tokens):
    response = call(tokens, "viewer", "get", "/scoring/training-runs/7")
    assert (response.status_code, response.json()["errors"][0]["message"]) == (404, "No training run with id 7.")


@pytest.mark.django_db
@pytest.mark.parametrize("body,status,field,code", [
    ({"folds": 1}, 422, "folds", "greater_than_equal"),
    ({"folds": 3, "cut": "2026-13-01"}, 422, "cut", "date_from_datetime_parsing"),
    ({"folds": 3, "horizon_days": 0}, 422, "horizon_days", "greater_than_equal"),
    ({"folds": 3, "kind": "forest"}, 422, "kind", "literal_error"),
    ({"folds": 3, "colour": "red"}, 422, "colour", "extra_forbidden"),
    ({"folds": 3, "cut": "2999-01-01"}, 400, "cut", "invalid"),
    ({"folds": 3, "cut": "2020-01-01", "horizon_days": 5}, 400, "cut", "invalid"),
])
def test_bad_training_requests_name_the_field_and_queue_nothing(tokens, history, body, status, field, code):
    response = call(tokens, "admin", "post", "/scoring/models", data=body)
    assert response.status_code == status
    error = response.json()["errors"][0]
    assert (error["field"], error["code"]) == (field, code)
    assert not TrainingRun.objects.exists()


@pytest.mark.django_db
def test_an_auc_that_measures_no_ranking_is_null_with_the_reason(tokens, trained):
    note = "In each of the 3 folds every held-out row got the same probability (too little to learn from in 8 rows)"
    metrics = {**trained.metrics, "model": {**trained.metrics["model"], "auc": 0.5, "auc_note": note}}
    PredictiveModel.objects.filter(pk=trained.pk).update(metrics=metrics)
    [row] = call(tokens, "viewer", "get", "/scoring/models").json()
    assert (row["auc"], row["auc_note"]) == (None, note)
    assert (row["naive_bayes_auc"], row["naive_bayes_auc_note"]) == (trained.metrics["naive_bayes"]["auc"], None)


@pytest.mark.django_db
def test_only_admins_activate_a_version(tokens, users, trained):
    do_train_model(by=users["marketing"], folds=3, kind="logistic")
    for who in ("marketing", "rep1", "manager", "viewer"):
        assert call(tokens, who, "post", "/scoring/models/1/activate").status_code == 403
    assert PredictiveModel.objects.get(is_active=True).number == 2
    response = call(tokens, "admin", "post", "/scoring/models/1/activate")
    assert (response.status_code, response.json()["number"], response.json()["is_active"]) == (200, 1, True)
    assert list(PredictiveModel.objects.filter(is_active=True).values_list("number", flat=True)) == [1]
    assert call(tokens, "admin", "post", "/scoring/models/9/activate").status_code == 404
    assert call(tokens, "admin", "get", "/scoring/models/9").status_code == 404


@pytest.mark.django_db
def test_the_contact_score_carries_the_probability_and_its_top_factors(tokens, history, trained):
    lead = next(c for i, c in enumerate(history) if i % 4 == 1)
    body = call(tokens, "viewer", "get", f"/contacts/{lead.pk}/score").json()
    assert body["model_version"] == 1
    # the GET explains the score as of its computed_at, stored or not (reads never write)
    expected = predict_many([lead.pk], now=dt.datetime.fromisoformat(body["computed_at"]))[lead.pk]
    assert body["predictive_probability"] == expected.probability
    factors = body["explanation"]["predictive"]
    assert factors == expected.factors
    assert 1 <= len(factors) <= 5
    assert all(set(f) == {"feature", "label", "value", "contribution"} for f in factors)
    assert factors == sorted(factors, key=lambda f: -abs(f["contribution"]))


@pytest.mark.django_db
def test_customers_scores_carry_no_probability(tokens, history, trained):
    customer = history[0]
    body = call(tokens, "viewer", "get", f"/contacts/{customer.pk}/score").json()
    assert (body["predictive_probability"], body["model_version"]) == (None, None)
    assert "predictive" not in body["explanation"]


@pytest.mark.django_db
def test_a_score_written_in_bulk_is_explained_again_when_read(tokens, history, trained):
    lead = history[1]
    call_command("score", "--all", no_progress=True, stdout=mock.MagicMock(), stderr=mock.MagicMock())
    assert ContactScore.objects.get(contact=lead).explanation == {"bulk": True}
    body = call(tokens, "viewer", "get", f"/contacts/{lead.pk}/score").json()
    assert set(body["explanation"]) == {"fit", "engagement", "engagement_events", "predictive"}
    assert body["model_version"] == 1
