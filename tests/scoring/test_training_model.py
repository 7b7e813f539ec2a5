"""Training the predictive model on the demo company's history: versions, activation, predictions on scores."""

import datetime as dt
from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from plumbline.accounts.models import User
from plumbline.core.errors import DomainError, PermissionDenied
from plumbline.crm.models import Contact, LifecycleTransition
from plumbline.scoring.actions import do_score_contact
from plumbline.scoring.models import ContactScore, PredictiveModel
from plumbline.scoring.predictive import FittedModel, UnusableTrainingData, top_factors
from plumbline.scoring.predictive.actions import do_activate_model, do_train_model
from plumbline.scoring.predictive.predict import predict_many
from plumbline.scoring.training_data import features_at

AS_OF = dt.date(2026, 6, 30)
NOW = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
CUT = dt.date(2026, 2, 1)
CUT_AT = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)


@pytest.fixture
def demo(db):
    call_command("demo", contacts=1200, seed=3, as_of=AS_OF, no_progress=True, stdout=mock.MagicMock())
    return {user.username: user for user in User.objects.all()}


def _train(by, **options):
    return do_train_model(by=by, cut=CUT, folds=3, now=NOW, **options)


def _expected_rows() -> tuple[int, int]:
    """Contacts known before the cut and not customers then, and how many of them became customers by NOW."""
    known = set(Contact.objects.filter(created_at__lt=CUT_AT).values_list("pk", flat=True))
    customer_moves = LifecycleTransition.objects.filter(to_stage__in=["customer", "evangelist"])
    before = set(customer_moves.filter(occurred_at__lte=CUT_AT).values_list("contact_id", flat=True))
    stage_at_cut = {}
    for contact_id, stage in LifecycleTransition.objects.filter(occurred_at__lte=CUT_AT).order_by(
            "occurred_at", "pk").values_list("contact_id", "to_stage"):
        stage_at_cut[contact_id] = stage
    population = {pk for pk in known - before if stage_at_cut.get(pk) not in ("customer", "evangelist", "past_customer")}
    after = set(customer_moves.filter(occurred_at__gt=CUT_AT, occurred_at__lte=NOW).values_list("contact_id", flat=True))
    return len(population), len(population & after)


@pytest.mark.django_db
def test_training_stores_an_active_version_with_cv_figures_for_model_and_naive_bayes(demo):
    model = _train(demo["admin"])
    rows, positives = _expected_rows()
    assert (model.number, model.is_active, model.created_by, model.cut_at) == (1, True, demo["admin"], CUT_AT)
    assert (model.rows, model.positives, model.trained_until) == (rows, positives, NOW)
    assert model.positive_rate == pytest.approx(positives / rows)
    for method in ("model", "naive_bayes"):
        figures = model.metrics[method]
        assert set(figures) >= {"auc", "log_loss", "brier", "ece", "calibration"}
        assert 0.5 < figures["auc"] <= 1.0
        assert len(figures["calibration"]) == 10
        assert sum(row["count"] for row in figures["calibration"]) == rows
    assert model.metrics["folds"] == 3
    assert model.metrics["left_out"] == {}
    fitted = FittedModel.from_bytes(bytes(model.artifact))
    assert fitted.kind == model.kind and fitted.rows == rows
    # the demo qualifies its deals with MEDDPICC, so the completeness feature has values and the model keeps it
    assert "deal_qualification" not in model.metadata["columns"]["dropped"]


@pytest.mark.django_db
def test_training_again_activates_the_new_version_and_an_admin_can_go_back(demo):
    _train(demo["admin"], kind="lightgbm")
    second = _train(demo["marketing"], kind="lightgbm")
    assert list(PredictiveModel.objects.filter(is_active=True).values_list("number", flat=True)) == [2]
    assert second.created_by == demo["marketing"]
    do_activate_model(by=demo["admin"], number=1)
    assert list(PredictiveModel.objects.filter(is_active=True).values_list("number", flat=True)) == [1]


@pytest.mark.django_db
def test_only_admins_activate_and_only_admins_and_marketing_train(demo):
    _train(demo["admin"], kind="lightgbm")
    _train(demo["admin"], kind="lightgbm")
    for username in ("marketing", "rep1", "manager", "viewer"):
        with pytest.raises(PermissionDenied):
            do_activate_model(by=demo[username], number=1)
    for username in ("rep1", "manager", "viewer"):
        with pytest.raises(PermissionDenied):
            _train(demo[username], kind="lightgbm")
    assert PredictiveModel.objects.get(is_active=True).number == 2


@pytest.mark.django_db
def test_activating_a_missing_version_is_not_found(demo):
    with pytest.raises(DomainError) as refused:
        do_activate_model(by=demo["admin"], number=7)
    assert (refused.value.status, refused.value.field) == (404, "number")


@pytest.mark.django_db
def test_scores_carry_the_probability_and_top_factors_of_the_active_model(demo):
    model = _train(demo["admin"])
    contact = Contact.objects.filter(lifecycle_stage="lead").order_by("pk").first()
    score = do_score_contact(contact=contact, promote=False).score
    fitted = FittedModel.from_bytes(bytes(model.artifact))
    row = features_at([contact.pk], at=score.computed_at)
    assert score.model_version == 1
    assert score.predictive_probability == pytest.approx(float(fitted.predict_proba(row)[0]))
    expected = top_factors(fitted, row, k=5)
    assert [(f["feature"], f["contribution"]) for f in score.explanation["predictive"]] == [
        (name, round(value, 4)) for name, value in expected]
    assert all(set(f) == {"feature", "label", "value", "contribution"} for f in score.explanation["predictive"])


@pytest.mark.django_db
def test_customers_and_instances_without_a_model_get_no_probability(demo):
    lead = Contact.objects.filter(lifecycle_stage="lead").order_by("pk").first()
    assert do_score_contact(contact=lead, promote=False).score.predictive_probability is None
    _train(demo["admin"], kind="lightgbm")
    customer = Contact.objects.filter(lifecycle_stage="customer").order_by("pk").first()
    score = do_score_contact(contact=customer, promote=False).score
    assert (score.predictive_probability, score.model_version) == (None, None)
    assert "predictive" not in score.explanation


@pytest.mark.django_db
def test_bulk_scoring_builds_features_once_per_chunk(demo):
    _train(demo["admin"], kind="lightgbm")
    ids = list(Contact.objects.filter(lifecycle_stage__in=["subscriber", "lead"]).order_by("pk").values_list(
        "pk", flat=True)[:40])
    with mock.patch("plumbline.scoring.training_data.features_at", wraps=features_at) as built, \
            mock.patch("django.utils.timezone.now", return_value=NOW):
        call_command("score", *map(str, ids), no_progress=True, stdout=mock.MagicMock())
    assert built.call_count == 1
    stored = dict(ContactScore.objects.filter(contact_id__in=ids).values_list("contact_id", "predictive_probability"))
    expected = predict_many(ids, now=NOW)
    assert stored == {pk: expected[pk].probability for pk in ids}


@pytest.mark.django_db
def test_train_command_prints_figures_and_the_active_version(demo, capsys):
    out = mock.MagicMock()
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        call_command("scoring", "train", "--cut", CUT.isoformat(), "--folds", "3", "--model", "lightgbm", stdout=out)
    lines = [call.args[0].rstrip("\n") for call in out.write.call_args_list]
    model = PredictiveModel.objects.get()
    assert lines[0].startswith(f"Trained model v1 (lightgbm) on {model.rows} contacts known before 2026-02-01: "
                               f"{model.positives} became customers")
    assert lines[1].startswith(f"model        AUC {model.metrics['model']['auc']:.4f}")
    assert lines[2].startswith(f"naive_bayes  AUC {model.metrics['naive_bayes']['auc']:.4f}")
    assert lines[3] == "Model v1 is now active."


@pytest.mark.django_db
def test_train_command_refuses_too_little_history(db):
    with pytest.raises(CommandError, match="Only 0 contacts were created before .* training needs at least 50"):
        call_command("scoring", "train", "--horizon-days", "30")
    assert not PredictiveModel.objects.exists()


@pytest.mark.django_db
def test_train_command_refuses_a_cut_in_the_future_and_both_cut_options(db):
    with pytest.raises(CommandError, match="is not in the past"):
        call_command("scoring", "train", "--cut", "2999-01-01")
    with pytest.raises(CommandError, match="not allowed with argument"):
        call_command("scoring", "train", "--cut", "2020-01-01", "--horizon-days", "30")
    with pytest.raises(CommandError, match="is not a date"):
        call_command("scoring", "train", "--cut", "2020-13-01")


@pytest.mark.django_db
def test_training_refuses_history_where_nobody_became_a_customer(db):
    Contact.objects.bulk_create([Contact(email=f"p{i}@example.com", lifecycle_stage="lead") for i in range(60)])
    Contact.objects.update(created_at=CUT_AT - dt.timedelta(days=10))
    with pytest.raises(UnusableTrainingData, match="none became a customer after it"):
        do_train_model(cut=CUT, now=NOW, folds=3)


@pytest.mark.django_db
def test_training_refuses_bad_folds_and_horizons(db):
    with pytest.raises(DomainError) as folds:
        do_train_model(folds=1)
    with pytest.raises(DomainError) as horizon:
        do_train_model(horizon_days=0)
    with pytest.raises(DomainError) as kind:
        do_train_model(kind="forest")
    assert [e.value.field for e in (folds, horizon, kind)] == ["folds", "horizon_days", "kind"]


@pytest.mark.django_db
def test_full_rescore_stores_the_active_models_probability_on_every_score(demo):
    model = _train(demo["admin"], kind="lightgbm")
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        call_command("score", "--all", no_progress=True, stdout=mock.MagicMock(), stderr=mock.MagicMock())
    ids = list(Contact.objects.values_list("pk", flat=True))
    expected = predict_many(ids, now=NOW, k=0)
    stored = dict(ContactScore.objects.values_list("contact_id", "predictive_probability"))
    assert stored == {pk: expected[pk].probability if pk in expected else None for pk in ids}
    customers = Contact.objects.filter(lifecycle_stage__in=["customer", "evangelist", "past_customer"]).count()
    assert ContactScore.objects.filter(model_version=model.number).count() == len(ids) - customers
