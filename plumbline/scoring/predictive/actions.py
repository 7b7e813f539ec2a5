"""The predictive model's writes: train on the instance's own history, store and activate versions, queue and
carry out training runs for the worker, and store the active model's probability on every score."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from plumbline.core.errors import Conflict, DomainError, NotFound
from plumbline.core.permissions import require
from plumbline.scoring import predictive
from plumbline.scoring.models import ContactScore, PredictiveModel, TrainingRun
from plumbline.scoring.predictive import KINDS, UnusableTrainingData
from plumbline.scoring.predictive.predict import active_model, plain, predict_many

if TYPE_CHECKING:
    import pandas as pd

    from plumbline.scoring.predictive import FittedModel

# Training needs pandas, scikit-learn and LightGBM (~1 s to import): training_data and the predictive facade's
# models are loaded by the functions that train, not by everything that imports these actions at start-up.

MIN_ROWS = 50
DEFAULT_HORIZON_DAYS = 120
MAX_FOLDS = 20


def resolve_cut(
    *, cut: dt.date | None = None, horizon_days: int | None = None, now: dt.datetime | None = None
) -> dt.datetime:
    """The training time cut: midnight UTC of `cut`, or `horizon_days` before now (default 120 days)."""
    now = now or timezone.now()
    if cut is not None and horizon_days is not None:
        raise DomainError("Give a cut date or a horizon in days, not both.", field="cut")
    if cut is not None:
        cut_at = dt.datetime.combine(cut, dt.time.min, tzinfo=dt.UTC)
    else:
        days = DEFAULT_HORIZON_DAYS if horizon_days is None else horizon_days
        if not 1 <= days <= 3650:
            raise DomainError("The horizon must be between 1 and 3650 days.", field="horizon_days")
        cut_at = now - dt.timedelta(days=days)
    if cut_at >= now:
        raise DomainError(
            f"The cut {cut_at:%Y-%m-%d} is not in the past: the label needs time after it.", field="cut")
    return cut_at


def do_train_model(
    *, by: Any = None, cut: dt.date | None = None, horizon_days: int | None = None, folds: int = 5, seed: int = 0,
    kind: str = "auto", now: dt.datetime | None = None,
) -> PredictiveModel:
    """Train on the instance's own history, cross-validate beside naive Bayes, store the version and activate it.

    Rows: contacts created before the cut and not customers then; label: became a customer after it (see
    training_data.py). Refuses (UnusableTrainingData) fewer than MIN_ROWS rows or a single outcome.
    Takes seconds to minutes: the command line calls it in place, the model page and the API queue a
    TrainingRun (`do_request_training`) that the worker carries out with it (`do_run_training`).
    """
    if by is not None:
        require(by, "add", "model")
    _check_options(folds=folds, kind=kind, seed=seed)
    now = now or timezone.now()
    cut_at = resolve_cut(cut=cut, horizon_days=horizon_days, now=now)
    from plumbline.scoring.training_data import TARGET, training_rows

    rows = training_rows(cut_at=cut_at, until=now)
    _check_rows(rows.frame, cut_at)
    report = predictive.evaluate_table(rows.frame, target=TARGET, positive="1", folds=folds, seed=seed, kind=kind)
    fitted = predictive.fit_model(rows.frame, target=TARGET, positive="1", kind=kind, seed=seed)
    metrics = {key: report[key] for key in ("model", "naive_bayes", "folds", "seed", "warnings", "dropped_rows")}
    metrics.update(excluded_customers=rows.excluded_customers, left_out=rows.left_out)
    fitted.cv_metrics = {name: {k: report[name][k] for k in ("auc", "auc_note", "log_loss", "brier", "ece")}
                         for name in ("model", "naive_bayes")}
    return _store_model(by, fitted, metrics, cut_at=cut_at, until=now, positives=rows.positives)


def _check_options(*, folds: int, kind: str, seed: int) -> None:
    if not 2 <= folds <= MAX_FOLDS:
        raise DomainError(f"Folds must be between 2 and {MAX_FOLDS}.", field="folds")
    if kind not in KINDS:
        raise DomainError(f"Unknown model {kind!r}; choose one of {', '.join(KINDS)}.", field="kind")
    if seed < 0:
        raise DomainError("The seed must be 0 or more.", field="seed")


def _check_rows(frame: pd.DataFrame, cut_at: dt.datetime) -> None:
    from plumbline.scoring.training_data import TARGET

    when = f"{cut_at:%Y-%m-%d}"
    if len(frame) < MIN_ROWS:
        raise UnusableTrainingData(
            f"Only {len(frame)} contacts were created before {when} and not yet customers; training needs at "
            f"least {MIN_ROWS}. Choose an earlier cut.", field="cut")
    positives = int(frame[TARGET].sum())
    if positives == 0 or positives == len(frame):
        outcome = "none" if positives == 0 else "every one"
        raise UnusableTrainingData(
            f"Of the {len(frame)} contacts known before {when}, {outcome} became a customer after it: a model "
            f"needs both outcomes. Choose another cut.", field="cut")


@transaction.atomic
def _store_model(by: Any, fitted: FittedModel, metrics: dict[str, Any], *, cut_at: dt.datetime,
                 until: dt.datetime, positives: int) -> PredictiveModel:
    list(PredictiveModel.objects.select_for_update().filter(is_active=True))
    number = (PredictiveModel.objects.aggregate(n=Max("number"))["n"] or 0) + 1
    now = timezone.now()
    PredictiveModel.objects.filter(is_active=True).update(is_active=False)
    try:
        with transaction.atomic():
            return PredictiveModel.objects.create(
                number=number, created_at=now, created_by=by if by is not None else None, cut_at=cut_at,
                trained_until=until, rows=fitted.rows, positives=positives, positive_rate=fitted.positive_rate,
                kind=fitted.kind, artifact=fitted.to_bytes(), metrics=_json_ready(metrics),
                metadata=_json_ready(fitted.metadata), is_active=True, activated_at=now,
            )
    except IntegrityError as exc:
        raise Conflict("Another model was stored at the same moment; train again.", field="number") from exc


@transaction.atomic
def do_activate_model(*, by: Any = None, number: int) -> PredictiveModel:
    """Make an earlier (or the current) version the one scoring uses. Admins only."""
    model = PredictiveModel.objects.select_for_update().filter(number=number).first()
    if by is not None:
        require(by, "change", "model", model)
    if model is None:
        raise NotFound(f"There is no model version {number}.", field="number")
    if model.is_active:
        return model
    PredictiveModel.objects.filter(is_active=True).update(is_active=False)
    model.is_active, model.activated_at = True, timezone.now()
    model.save(update_fields=["is_active", "activated_at"])
    return model


TRAINING_STALE_AFTER = dt.timedelta(hours=6)  # far beyond any training: a run this old lost its worker


def do_request_training(
    *, by: Any = None, cut: dt.date | None = None, horizon_days: int | None = None, folds: int = 5, seed: int = 0,
    kind: str = "auto", now: dt.datetime | None = None,
) -> TrainingRun:
    """Queue a training run for the worker and return it at once: how the model page and the API train.

    The options are checked now, so bad ones are refused at once; the history is read by the worker, and too
    little of it fails the run with the reason. While another run is queued or running the request is refused
    (Conflict) instead of training twice; a run left in progress for TRAINING_STALE_AFTER is failed first, so a
    worker that died mid-run cannot block training for ever.
    """
    if by is not None:
        require(by, "add", "model")
    _check_options(folds=folds, kind=kind, seed=seed)
    now = now or timezone.now()
    resolve_cut(cut=cut, horizon_days=horizon_days, now=now)
    with transaction.atomic():
        _fail_stale_runs(now)
        busy = TrainingRun.objects.filter(status__in=TrainingRun.IN_PROGRESS).first()
        if busy is not None:
            raise Conflict(f"Training run {busy.pk} is already {busy.status}; wait for it to finish.")
        try:
            with transaction.atomic():
                run = TrainingRun.objects.create(requested_by=by, requested_at=now, cut=cut,
                                                 horizon_days=horizon_days, folds=folds, seed=seed, kind=kind)
        except IntegrityError as exc:  # trainingrun_one_in_progress: another request won the race
            raise Conflict("Another training run was requested at the same moment; wait for it to finish.") from exc
        _queue_training(run.pk)  # the task row commits with the run, or neither does
    return run


def _queue_training(run_id: int) -> None:
    from plumbline.scoring.tasks import train_model

    train_model.enqueue(run_id)


def _fail_stale_runs(now: dt.datetime) -> None:
    since = now - TRAINING_STALE_AFTER
    hours = int(TRAINING_STALE_AFTER.total_seconds() // 3600)
    failed = TrainingRun.Status.FAILED
    TrainingRun.objects.filter(status=TrainingRun.Status.QUEUED, requested_at__lt=since).update(
        status=failed, finished_at=now, error=f"No worker started it within {hours} hours: is `plumbline worker` running?")
    TrainingRun.objects.filter(status=TrainingRun.Status.RUNNING, started_at__lt=since).update(
        status=failed, finished_at=now, error=f"The worker did not finish it within {hours} hours: it probably stopped.")


def do_run_training(*, run_id: int) -> TrainingRun | None:
    """Carry out a queued training run (the worker's half): claim it, train, record done or failed.

    The claim is one UPDATE from queued to running, and 0 rows means another worker has it or it is over:
    nothing happens, so a task run twice trains once. Not one transaction: the run shows "running" while it
    trains, and `_store_model` stores the version in its own. A refusal (too little history, one outcome, a
    role that may no longer train) fails the run with its message; anything else (an error, the worker being
    stopped) fails it with what it was and is raised again, for the worker's log.
    """
    claimed = TrainingRun.objects.filter(pk=run_id, status=TrainingRun.Status.QUEUED).update(
        status=TrainingRun.Status.RUNNING, started_at=timezone.now())
    if not claimed:
        return None
    run = TrainingRun.objects.select_related("requested_by").get(pk=run_id)
    try:
        model = do_train_model(by=run.requested_by, cut=run.cut, horizon_days=run.horizon_days, folds=run.folds,
                               seed=run.seed, kind=run.kind)
    except DomainError as exc:
        _finish_run(run, error=exc.message, error_field=exc.field or "")
    except BaseException as exc:  # a crash or the worker stopping: the run must not stay "running"
        why = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        _finish_run(run, error=f"Training stopped on an unexpected error: {why}"[:2000])
        raise
    else:
        _finish_run(run, model=model)
    return run


def _finish_run(run: TrainingRun, *, model: PredictiveModel | None = None, error: str = "",
                error_field: str = "") -> None:
    run.status = TrainingRun.Status.DONE if model is not None else TrainingRun.Status.FAILED
    run.model, run.error, run.error_field, run.finished_at = model, error, error_field[:30], timezone.now()
    run.save(update_fields=["status", "model", "error", "error_field", "finished_at"])


def do_refresh_predictions(*, now: dt.datetime | None = None, chunk: int = 5000) -> int:
    """Store the active model's probability on every stored score, a chunk of contacts per model call.

    For full rescoring (`plumbline score --all`), which writes fit and engagement set-based; the top factors
    are left to `do_score_contact`, which explains one contact when it is viewed or changes.
    Returns how many scores now carry a probability.
    """
    loaded = active_model()
    if loaded is None:
        return 0
    now = now or timezone.now()
    last, done = 0, 0
    while True:
        ids = list(ContactScore.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:chunk])
        if not ids:
            return done
        predictions = predict_many(ids, now=now, k=0)
        rows = [ContactScore(contact_id=pk, predictive_probability=predictions[pk].probability if pk in predictions
                             else None, model_version=loaded[0] if pk in predictions else None) for pk in ids]
        with transaction.atomic():
            ContactScore.objects.bulk_update(rows, ["predictive_probability", "model_version"], batch_size=1000)
        done += len(predictions)
        last = ids[-1]


def _json_ready(value: Any) -> Any:
    """Nested dicts and lists with every leaf JSON-safe (JSONField refuses NaN and numpy types)."""
    if isinstance(value, dict):
        return {str(key): _json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(item) for item in value]
    return plain(value)
