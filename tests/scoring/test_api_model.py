"""/api/v1/scoring/models and the predictive part of /contacts/{id}/score: roles, figures, refused input."""

import datetime as dt
from unittest import mock

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from plumbline.scoring.actions import do_train_model, predict_many
from plumbline.scoring.models import ContactScore, PredictiveModel
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
                         ("post", "/scoring/models/1/activate")):
        response = getattr(Client(), method)(f"/api/v1{path}", content_type="application/json")
        assert response.status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("who,status", [
    ("admin", 201), ("marketing", 201), ("rep1", 403), ("manager", 403), ("viewer", 403),
])
def test_admins_and_marketing_train_through_the_api(tokens, history, who, status):
    response = call(tokens, who, "post", "/scoring/models", data={"folds": 3, "kind": "logistic"})
    assert response.status_code == status
    if status == 201:
        body = response.json()
        assert (body["number"], body["is_active"], body["created_by"], body["rows"]) == (1, True, who, 120)
        assert set(body["metrics"]) >= {"model", "naive_bayes", "folds", "left_out"}
    else:
        assert response.json()["errors"] == [{"field": None, "message": "Your role may not add this model.",
                                              "code": "forbidden"}]
    assert PredictiveModel.objects.count() == (1 if status == 201 else 0)


@pytest.mark.django_db
@pytest.mark.parametrize("body,status,field,code", [
    ({"folds": 1}, 422, "folds", "greater_than_equal"),
    ({"folds": 3, "cut": "2026-13-01"}, 422, "cut", "date_from_datetime_parsing"),
    ({"folds": 3, "horizon_days": 0}, 422, "horizon_days", "greater_than_equal"),
    ({"folds": 3, "kind": "forest"}, 422, "kind", "literal_error"),
    ({"folds": 3, "colour": "red"}, 422, "colour", "extra_forbidden"),
    ({"folds": 3, "cut": "2999-01-01"}, 400, "cut", "invalid"),
    ({"folds": 3, "cut": "2020-01-01", "horizon_days": 5}, 400, "cut", "invalid"),
    ({"folds": 3, "cut": "2020-01-01"}, 400, "cut", "unusable_training_data"),
    ({"folds": 3, "horizon_days": 5}, 400, "cut", "unusable_training_data"),
])
def test_bad_training_requests_name_the_field_and_store_nothing(tokens, history, body, status, field, code):
    response = call(tokens, "admin", "post", "/scoring/models", data=body)
    assert response.status_code == status
    error = response.json()["errors"][0]
    assert (error["field"], error["code"]) == (field, code)
    assert not PredictiveModel.objects.exists()


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
    stored = ContactScore.objects.get(contact=lead)
    assert body["predictive_probability"] == stored.predictive_probability
    expected = predict_many([lead.pk], now=stored.computed_at)[lead.pk]
    assert stored.predictive_probability == expected.probability
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
