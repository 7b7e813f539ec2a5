"""The model page: who sees it, who trains and who activates, the figures it shows, the training run it follows,
and refused input."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from plumbline.scoring.models import PredictiveModel, TrainingRun
from plumbline.scoring.predictive.actions import do_request_training, do_train_model
from tests.conftest import PASSWORD
from tests.scoring.test_training_history import build_history


def client_for(username):
    c = Client()
    assert c.login(username=username, password=PASSWORD)
    return c


@pytest.fixture
def history(db):
    return build_history(timezone.now())


def _train(by, **options):
    return do_train_model(by=by, folds=3, kind="logistic", **options)


@pytest.mark.django_db
@pytest.mark.parametrize("who,can_train", [
    ("admin", True), ("marketing", True), ("rep1", False), ("manager", False), ("viewer", False),
])
def test_every_role_reads_the_model_page_and_admins_and_marketing_may_train(users, who, can_train):
    response = client_for(who).get("/scoring/model/")
    assert response.status_code == 200
    assert "No model has been trained yet." in response.content.decode()
    assert ('id="train"' in response.content.decode()) is can_train


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(db):
    response = Client().get("/scoring/model/")
    assert (response.status_code, response.url) == (302, "/login/?next=/scoring/model/")


@pytest.mark.django_db
def test_the_page_shows_the_active_version_beside_naive_bayes_with_calibration(users, history):
    model = _train(users["admin"])
    page = client_for("viewer").get("/scoring/model/").content.decode()
    assert f"In use: v1 ({model.kind})" in page
    assert f"<strong>{model.rows}</strong> contacts known before <strong>{model.cut_at:%Y-%m-%d}</strong>" in page
    for method in ("model", "naive_bayes"):
        assert f'<td class="num">{model.metrics[method]["auc"]:.4f}</td>' in page
        assert f'<td class="num">{model.metrics[method]["brier"]:.4f}</td>' in page
    calibration = page.split('id="calibration"')[1].split("</table>")[0]
    assert calibration.count("<tr><td>") == 10
    first = model.metrics["model"]["calibration"][0]
    assert f'<td>1</td><td class="num">{first["count"]}</td><td class="num">{first["mean_predicted"]:.4f}</td>' in page
    assert page.count("<svg") == 1 and "Predictive model: predicted" in page
    assert "pricing view touchpoints in the last 90 days" in page


@pytest.mark.django_db
@pytest.mark.parametrize("who,status,runs", [
    ("admin", 302, 1), ("marketing", 302, 1), ("rep1", 403, 0), ("manager", 403, 0), ("viewer", 403, 0),
])
def test_the_train_button_queues_a_run_for_admins_and_marketing_only(users, history, who, status, runs):
    response = client_for(who).post("/scoring/model/train/", {"folds": "3"})
    assert response.status_code == status
    assert list(TrainingRun.objects.values_list("status", "folds", "requested_by__username")) == (
        [("queued", 3, who)] if runs else [])
    assert not PredictiveModel.objects.exists()  # the worker trains, not the request


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def poll(client):
    return client.get("/scoring/model/?part=training", headers={"HX-Request": "true"})


@pytest.mark.django_db(transaction=True)
def test_the_page_follows_a_queued_run_until_the_worker_has_trained_it(users, history):
    # given an admin who pressed the train button
    admin = client_for("admin")
    page = admin.post("/scoring/model/train/", {"folds": "3"}, follow=True).content.decode()
    run = TrainingRun.objects.get()

    # then the page says it is queued, polls the run's card, and the button waits
    assert f"Training queued (run {run.pk})" in page
    assert 'data-status="queued"' in page and "waits for the worker" in page
    assert 'hx-get="/scoring/model/?part=training" hx-trigger="every 2s" hx-swap="outerHTML"' in page
    assert 'disabled title="A training run is in progress"' in page
    polled = poll(admin)
    assert 'data-status="queued"' in polled.content.decode() and "HX-Refresh" not in polled

    # when the worker has started it, the card says it is running
    TrainingRun.objects.filter(pk=run.pk).update(status="running", started_at=timezone.now())
    assert 'data-status="running"' in poll(admin).content.decode()
    TrainingRun.objects.filter(pk=run.pk).update(status="queued", started_at=None)

    # when the worker has trained it, the poll has the page reload, which shows the version in use
    run_worker()
    polled = poll(admin)
    assert polled["HX-Refresh"] == "true"
    assert 'data-status="done"' in polled.content.decode()
    page = admin.get("/scoring/model/").content.decode()
    assert "In use: v1" in page and "it stored <strong>v1</strong> and put it in use" in page
    assert "hx-trigger" not in page.split('id="training-status"')[1].split(">")[0]
    assert 'name="train">' in page  # enabled again


@pytest.mark.django_db(transaction=True)
def test_a_failed_run_shows_its_reason_on_the_page(users, history):
    do_request_training(by=users["marketing"], cut=dt.date(2020, 1, 1), folds=3)
    run_worker()
    page = client_for("viewer").get("/scoring/model/").content.decode()
    assert 'data-status="failed"' in page
    assert ('<p class="error" id="training-error">Only 0 contacts were created before 2020-01-01 and not yet '
            "customers; training needs at least 50. Choose an earlier cut.</p>") in page
    assert "No model has been trained yet." in page


@pytest.mark.django_db
def test_pressing_train_again_while_a_run_is_queued_is_refused_on_the_form(users, history):
    admin = client_for("admin")
    admin.post("/scoring/model/train/", {"folds": "3"})
    response = admin.post("/scoring/model/train/", {"folds": "3"})
    assert response.status_code == 409
    run = TrainingRun.objects.get()
    assert response.context["form"].non_field_errors() == [f"Training run {run.pk} is already queued; wait for it "
                                                           "to finish."]


@pytest.mark.django_db
def test_the_card_without_any_run_is_empty_and_does_not_poll(users):
    response = client_for("viewer").get("/scoring/model/?part=training")
    assert 'data-status="none"' in response.content.decode() and "hx-trigger" not in response.content.decode()
    assert 'id="training-status"' not in client_for("viewer").get("/scoring/model/").content.decode()


@pytest.mark.django_db
def test_an_auc_that_measures_no_ranking_shows_as_na_with_the_reason(users, history):
    model = _train(users["admin"])
    note = "In each of the 3 folds every held-out row got the same probability"
    metrics = {**model.metrics, "model": {**model.metrics["model"], "auc": 0.5, "auc_note": note}}
    PredictiveModel.objects.filter(pk=model.pk).update(metrics=metrics)
    page = client_for("viewer").get("/scoring/model/").content.decode()
    assert page.count(f'<td class="num" title="{note}">n/a</td>') == 2  # the figures and the versions table
    assert f'<td class="num">{model.metrics["naive_bayes"]["auc"]:.4f}</td>' in page


@pytest.mark.django_db
@pytest.mark.parametrize("form,field,message", [
    ({"folds": "3", "cut": "2999-01-01"}, "cut", "is not in the past"),
    ({"folds": "3", "cut": "2020-01-01", "horizon_days": "30"}, "horizon_days", "not both"),
    ({"folds": "1"}, "folds", "greater than or equal to 2"),
    ({"folds": "3", "cut": "not a date"}, "cut", "Enter a valid date"),
])
def test_bad_training_input_shows_the_error_on_its_field_and_queues_nothing(users, history, form, field, message):
    response = client_for("admin").post("/scoring/model/train/", form)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not TrainingRun.objects.exists()


@pytest.mark.django_db
def test_only_admins_see_and_use_the_activate_buttons(users, history):
    _train(users["admin"])
    _train(users["marketing"])
    assert 'action="/scoring/model/1/activate/"' in client_for("admin").get("/scoring/model/").content.decode()
    assert 'action="/scoring/model/1/activate/"' not in client_for("marketing").get("/scoring/model/").content.decode()
    for who in ("marketing", "rep1", "manager", "viewer"):
        assert client_for(who).post("/scoring/model/1/activate/").status_code == 403
    assert PredictiveModel.objects.get(is_active=True).number == 2
    assert client_for("admin").post("/scoring/model/1/activate/").status_code == 302
    assert PredictiveModel.objects.get(is_active=True).number == 1
    assert client_for("admin").post("/scoring/model/9/activate/").status_code == 404
    assert client_for("admin").get("/scoring/model/1/activate/").status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize("who,shown", [("admin", True), ("viewer", True)])
def test_the_navigation_links_the_model_page(users, who, shown):
    page = client_for(who).get("/").content.decode()
    assert ('href="/scoring/model/"' in page) is shown
