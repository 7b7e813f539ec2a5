"""Scoring writes: compute and store a contact's scores, promote it to MQL when the rule holds, recycle; train,
store and activate versions of the predictive model, and predict with the active one."""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from plumbline.core.errors import Conflict, DomainError, NotFound
from plumbline.core.permissions import require
from plumbline.crm.actions import do_change_lifecycle
from plumbline.crm.models import Contact, LifecycleTransition
from plumbline.definitions.models import DefinitionVersion
from plumbline.definitions.queries import current_version, definitions_for, parsed
from plumbline.definitions.schema import PlumbLine
from plumbline.events.actions import EventSpec, emit_many
from plumbline.scoring import hot, predictive
from plumbline.scoring.engine import (
    Profile,
    RuleContext,
    engagement,
    explain_rule,
    fit,
    rule_kinds_text,
)
from plumbline.scoring.models import ContactScore, PredictiveModel, TrainingRun
from plumbline.scoring.predictive import KINDS, UnusableTrainingData

if TYPE_CHECKING:
    import pandas as pd

    from plumbline.scoring.predictive import FittedModel

# Training and prediction need pandas, scikit-learn and LightGBM (~1 s to import): they are loaded by the
# functions that train or predict (numpy, pandas, training_data; the predictive facade loads its models on first
# use), not by everything that imports these actions at start-up (handoff, the API, every command's system checks).

logger = logging.getLogger(__name__)


@dataclass
class ScoreOutcome:
    score: ContactScore
    mql: LifecycleTransition | None
    rule_reason: str


# No savepoint of its own: it is one transaction when called alone, and part of its caller's otherwise (the
# worker's batch gives each contact a savepoint); a savepoint per call would cost two more round trips per event.
# It runs after every event, so its reads and writes are the hand-written statements of scoring/hot.py.
@transaction.atomic(savepoint=False)
def do_score_contact(
    *, contact: Contact, now: dt.datetime | None = None, reason: str = "event", promote: bool = True,
    version: DefinitionVersion | None = None,
) -> ScoreOutcome:
    """Recompute fit and engagement for one contact, store them with the definitions version, and promote
    the contact to MQL (recording the rule and version in the transition) when the MQL rule holds. With an
    active predictive model, the contact's probability of becoming a customer and its top factors are stored too."""
    explicit_now = now is not None
    now = now or timezone.now()
    state = hot.load(contact.pk)  # one statement: the contact (locked), company, score, definitions and model keys
    version, plumb, fit_result, eng, fields = _compute(state, now=now, explicit_now=explicit_now, version=version)
    row = state.contact
    # The contact row is locked, so nobody else writes its score meanwhile: one UPDATE or one INSERT.
    hot.save_score(row.id, fields, exists=state.score is not None)
    # History grows when the score moves from the one stored (the bulk rescore follows the same rule).
    now_key = (fit_result.score, fit_result.grade, round(eng.score), version.number)
    if state.score is None or now_key != (state.score[0], state.score[1], round(state.score[2]), state.score[3]):
        hot.append_history(row.id, {
            "fit_score": fit_result.score, "fit_grade": fit_result.grade, "engagement_score": eng.score,
            "definition_version": version.number, "computed_at": now, "reason": reason[:100]})
    ctx = RuleContext(fit_result.score, fit_result.grade, eng.score, frozenset(eng.kinds), row.lifecycle_stage)
    held, why = explain_rule(plumb.mql.when, ctx)
    transition = None
    if promote and held and row.lifecycle_stage in plumb.mql.eligible_stages:
        transition = do_change_lifecycle(
            contact=Contact.objects.get(pk=row.id), to_stage="mql", source="automation",
            definition_version=version.number, reason=f"{plumb.mql.name} (definitions v{version.number}): {why}"[:500],
            occurred_at=now,
        )
    emit_score_events(row.id, state.score, fields, transition, reason=reason, now=now)
    return ScoreOutcome(hot.score_instance(row.id, fields), transition, why)


def emit_score_events(
    contact_id: int, before: tuple[Any, ...] | None, fields: dict[str, Any], transition: LifecycleTransition | None,
    *, reason: str, now: dt.datetime,
) -> None:
    """`score.changed` when fit, grade or the rounded engagement moved (not for decay of a fraction of a point),
    and `lead.mql_reached` when the contact was promoted: handoff routes it from there."""
    old = (before[0], before[1], round(before[2])) if before else (None, None, None)
    new = (fields["fit_score"], fields["fit_grade"], round(fields["engagement_score"]))
    specs = []
    if old != new:
        specs.append(EventSpec(kind="score.changed", subject_type="contact", subject_id=contact_id, occurred_at=now,
                               payload={"fit": [old[0], new[0]], "grade": [old[1], new[1]],
                                        "engagement": [old[2], new[2]],
                                        "definition_version": fields["definition_version"], "reason": reason[:100]}))
    if transition is not None:
        specs.append(EventSpec(kind="lead.mql_reached", subject_type="contact", subject_id=contact_id, occurred_at=now,
                               payload={"transition_id": transition.pk, "fit": new[0], "grade": new[1],
                                        "engagement": new[2], "definition_version": transition.definition_version}))
    emit_many(specs)


def _compute(
    state: hot.Loaded, *, now: dt.datetime, explicit_now: bool, version: DefinitionVersion | None,
) -> tuple[DefinitionVersion, PlumbLine, Any, Any, dict[str, Any]]:
    """Fit, engagement and prediction of a loaded contact, and the score fields they make; writes nothing."""
    if version is None:
        version, plumb = definitions_for(state.definitions_key)
    else:
        plumb = parsed(version)
    row = state.contact
    floor_at = state.score[4] if state.score else None
    fit_result = fit(Profile.of(row, state.company), plumb.icp)
    eng = engagement(hot.events(row.id, floor_at), plumb.engagement, now=now,
                     email_domain=row.email.rsplit("@", 1)[-1], floor_at=floor_at)
    explanation = {"fit": fit_result.contributions, "engagement": eng.contributions[:25],
                   "engagement_events": len(eng.contributions)}
    prediction = prediction_for(row.id, now=now, explicit_now=explicit_now, model_key=state.model_key)
    if prediction is not None:
        explanation["predictive"] = prediction.factors
    fields = {
        "fit_score": fit_result.score, "fit_grade": fit_result.grade, "engagement_score": eng.score,
        "definition_version": version.number, "computed_at": now, "explanation": explanation,
        "engagement_floor_at": floor_at, "decay_basis_at": now, "engagement_decaying": eng.decaying,
        "last_event_at": eng.last_event_at, "rule_kinds": rule_kinds_text(plumb.mql.when, eng.kinds),
        "predictive_probability": prediction.probability if prediction else None,
        "model_version": prediction.model_version if prediction else None,
    }
    return version, plumb, fit_result, eng, fields


def explain_score(*, contact: Contact, now: dt.datetime | None = None) -> ContactScore:
    """The contact's score computed now with every rule explained, without storing it: what a page or a GET shows
    for a contact never scored, or rescored in bulk without the detail. Reads never write; the worker stores."""
    explicit_now = now is not None
    state = hot.load(contact.pk, lock=False)
    *_, fields = _compute(state, now=now or timezone.now(), explicit_now=explicit_now, version=None)
    return hot.score_instance(contact.pk, fields)


@transaction.atomic
def do_reset_engagement(*, contact: Contact, mode: str, now: dt.datetime | None = None) -> None:
    """Recycle rule: 'zero' ignores every earlier touchpoint, 'halve' ages them by one half-life, 'keep' nothing."""
    if mode == "keep":
        return
    now = now or timezone.now()
    plumb = parsed(current_version())
    score, _ = ContactScore.objects.get_or_create(
        contact=contact, defaults={"definition_version": current_version().number, "computed_at": now}
    )
    if mode == "zero":
        score.engagement_floor_at = now
    elif mode == "halve":
        # Older events already lose half each half-life; dropping those older than one half-life halves the rest.
        score.engagement_floor_at = now - dt.timedelta(days=plumb.engagement.half_life_days)
    score.save(update_fields=["engagement_floor_at"])
    do_score_contact(contact=contact, now=now, reason="recycled", promote=False)


def score_many(contact_ids: list[int], *, reason: str = "event", now: Any = None) -> int:
    """Rescore each contact (one transaction each, so one failure does not undo the others)."""
    version = current_version()
    done = 0
    with predictions_prefetched(contact_ids, now=now):
        for contact in Contact.objects.filter(pk__in=contact_ids):
            do_score_contact(contact=contact, now=now, reason=reason, version=version)
            done += 1
    return done


# --- the predictive model: train, activate, predict ---------------------------------------------------------

MIN_ROWS = 50
DEFAULT_HORIZON_DAYS = 120
MAX_FOLDS = 20
TOP_FACTORS = 5


@dataclass(frozen=True)
class Prediction:
    """One contact's probability of becoming a customer, the model version, and its top factors."""

    probability: float
    model_version: int
    factors: list[dict[str, Any]]


@dataclass(frozen=True)
class _Prefetched:
    at: dt.datetime
    covered: frozenset[int]
    predictions: dict[int, Prediction] = field(default_factory=dict)


_PREFETCHED: ContextVar[_Prefetched | None] = ContextVar("scoring_prefetched_predictions", default=None)
_LOADED: dict[str, tuple[tuple[int, int, dt.datetime], FittedModel]] = {}


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


def active_model() -> tuple[int, FittedModel] | None:
    """(version number, fitted model) of the active version, loaded once per process and version."""
    return model_for(PredictiveModel.objects.filter(is_active=True).values_list("pk", "number", "created_at").first())


def model_for(key: tuple[Any, ...] | None) -> tuple[int, FittedModel] | None:
    """(version number, fitted model) for the model with this (pk, number, created_at) key, read by the caller
    (the scoring path reads it with the contact); the artifact is loaded once per process and version."""
    if key is None:
        return None
    cached = _LOADED.get("active")
    if cached is None or cached[0] != key:
        blob = PredictiveModel.objects.values_list("artifact", flat=True).get(pk=key[0])
        cached = (key, predictive.FittedModel.from_bytes(bytes(blob)))
        _LOADED["active"] = cached
    return key[1], cached[1]


def predict_many(contact_ids: Sequence[int], *, now: dt.datetime | None = None, k: int = TOP_FACTORS,
                 loaded: tuple[int, FittedModel] | None | bool = True) -> dict[int, Prediction]:
    """Probabilities and top factors for many contacts: features for all of them at once, one model call.

    Customers (and past customers) get none: the model answers "will this contact become a customer".
    `loaded`: the model to use (`model_for`), None for none; True (default) reads the active one."""
    if loaded is True:
        loaded = active_model()
    if not loaded or not contact_ids:
        return {}
    import numpy as np

    from plumbline.scoring.training_data import WAS_CUSTOMER_STAGES, features_at

    number, fitted = loaded
    frame = features_at(contact_ids, at=now or timezone.now())
    frame = frame[~frame["lifecycle_stage"].isin(WAS_CUSTOMER_STAGES)]  # the model learnt on non-customers only
    if frame.empty:
        return {}
    probabilities = fitted.predict_proba(frame)
    if k == 0:
        return {int(pk): Prediction(float(p), number, []) for pk, p in zip(frame.index, probabilities, strict=True)}
    contributions, _bias = fitted.estimator.contributions(fitted.pipeline.transform(frame))
    scaled = contributions * fitted.calibrator.slope
    names = fitted.features
    out = {}
    for row, contact_id in enumerate(frame.index):
        order = np.argsort(-np.abs(scaled[row]), kind="stable")[:k]
        factors = [_factor(fitted, names[j], float(scaled[row, j]), frame.iloc[row]) for j in order
                   if scaled[row, j] != 0.0]
        out[int(contact_id)] = Prediction(float(probabilities[row]), number, factors)
    return out


def _factor(fitted: FittedModel, feature: str, contribution: float, row: pd.Series) -> dict[str, Any]:
    from plumbline.scoring.training_data import feature_label

    value = row[fitted.pipeline.source_of(feature)]
    value = _plain(value)
    if isinstance(value, float):
        value = int(value) if value.is_integer() else round(value, 2)
    return {"feature": feature, "label": feature_label(feature), "value": value,
            "contribution": round(contribution, 4)}


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


@contextmanager
def predictions_prefetched(contact_ids: Sequence[int], *, now: dt.datetime | None = None) -> Iterator[None]:
    """Within the block, do_score_contact takes these contacts' predictions from one bulk `predict_many` call."""
    at = now or timezone.now()
    try:
        predictions = predict_many(contact_ids, now=at)
    except UnusableTrainingData as exc:
        logger.warning("predictive model unusable, scores keep no probability: %s", exc.message)
        predictions = {}
    token = _PREFETCHED.set(_Prefetched(at, frozenset(contact_ids), predictions))
    try:
        yield
    finally:
        _PREFETCHED.reset(token)


def prediction_for(contact_id: int, *, now: dt.datetime, explicit_now: bool = True,
                   model_key: tuple[Any, ...] | None | bool = True) -> Prediction | None:
    """The contact's prediction: prefetched in bulk when available, else predicted now; None without a model.
    `model_key`: the active model's key when the caller has read it (None: no active model)."""
    prefetched = _PREFETCHED.get()
    if prefetched is not None and contact_id in prefetched.covered and (not explicit_now or prefetched.at == now):
        return prefetched.predictions.get(contact_id)
    if model_key is None:
        return None
    try:
        loaded = active_model() if model_key is True else model_for(model_key)
        return predict_many([contact_id], now=now, loaded=loaded).get(contact_id)
    except UnusableTrainingData as exc:  # a stored model this code cannot use must not stop scoring
        logger.warning("predictive model unusable, score keeps no probability: %s", exc.message)
        return None


def _plain(value: Any) -> Any:
    """A value as JSON: numpy numbers as int/float, NaN and missing as None."""
    import numpy as np
    import pandas as pd

    if value is None or value is pd.NA or (isinstance(value, float | np.floating) and math.isnan(value)):
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value if isinstance(value, int | float | str) else str(value)


def _json_ready(value: Any) -> Any:
    """Nested dicts and lists with every leaf JSON-safe (JSONField refuses NaN and numpy types)."""
    if isinstance(value, dict):
        return {str(key): _json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(item) for item in value]
    return _plain(value)
