"""Training in the background: a request queues a run, the worker claims and trains it once, a failure keeps why."""

import datetime as dt
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from plumbline.accounts.models import User
from plumbline.core.errors import Conflict, DomainError, PermissionDenied
from plumbline.scoring import predictive
from plumbline.scoring.models import PredictiveModel, TrainingRun
from plumbline.scoring.predictive import actions
from plumbline.scoring.predictive.actions import do_request_training, do_run_training
from plumbline.scoring.tasks import train_model
from tests.scoring.test_training_history import build_history


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


@pytest.fixture
def history(db):
    return build_history(timezone.now())


@pytest.mark.django_db(transaction=True)
def test_a_request_queues_a_run_that_the_worker_trains_and_puts_in_use(users, history):
    # given a marketer's request
    run = do_request_training(by=users["marketing"], folds=3, kind="logistic")

    # then it is queued with one task for the worker, and nothing is trained yet
    assert (run.status, run.requested_by, run.folds, run.kind, run.started_at) == (
        "queued", users["marketing"], 3, "logistic", None)
    [task] = DBTaskResult.objects.all()
    assert (task.task_path, task.args_kwargs["args"]) == ("plumbline.scoring.tasks.train_model", [run.pk])
    assert not PredictiveModel.objects.exists()

    # when the worker runs
    run_worker()

    # then the run is done with the version it stored, which is the one in use
    run.refresh_from_db()
    model = PredictiveModel.objects.get()
    assert (run.status, run.model, run.error, run.error_field) == ("done", model, "", "")
    assert (model.number, model.is_active, model.created_by, model.rows, model.kind) == (
        1, True, users["marketing"], 120, "logistic")
    assert run.requested_at <= run.started_at <= run.finished_at
    task.refresh_from_db()
    assert (task.status, task.return_value) == ("SUCCESSFUL", "done")


@pytest.mark.django_db(transaction=True)
def test_a_failing_training_records_its_reason(users, history):
    # given a cut before any contact existed
    run = do_request_training(by=users["admin"], cut=dt.date(2020, 1, 1), folds=3)

    # when the worker runs it
    run_worker()

    # then the run failed with the refusal's message and field, and nothing was stored
    run.refresh_from_db()
    assert (run.status, run.model, run.error_field) == ("failed", None, "cut")
    assert run.error == ("Only 0 contacts were created before 2020-01-01 and not yet customers; training needs at "
                         "least 50. Choose an earlier cut.")
    assert run.finished_at is not None
    assert not PredictiveModel.objects.exists()
    assert DBTaskResult.objects.get().return_value == "failed"


@pytest.mark.django_db(transaction=True)
def test_an_unexpected_error_fails_the_run_with_it_and_the_task_too(users, history):
    run = do_request_training(by=users["admin"], folds=3, kind="logistic")

    with mock.patch.object(predictive, "fit_model", side_effect=MemoryError("no room for the trees")):
        run_worker()

    run.refresh_from_db()
    assert (run.status, run.error) == ("failed", "Training stopped on an unexpected error: MemoryError: no room "
                                                 "for the trees")
    assert DBTaskResult.objects.get().status == "FAILED"  # with the traceback, for whoever reads the worker's log
    assert not PredictiveModel.objects.exists()


@pytest.mark.django_db
def test_the_task_trains_a_run_once_even_when_it_runs_twice(users, history):
    run = do_request_training(by=users["admin"], folds=3, kind="logistic")

    assert train_model.call(run.pk) == "done"
    assert train_model.call(run.pk) == "skipped"
    assert do_run_training(run_id=run.pk) is None

    assert PredictiveModel.objects.count() == 1
    run.refresh_from_db()
    assert (run.status, run.model.number) == ("done", 1)


@pytest.mark.django_db
def test_a_second_request_while_one_is_in_progress_is_refused(users, history):
    first = do_request_training(by=users["admin"], folds=3)

    with pytest.raises(Conflict) as refused:
        do_request_training(by=users["marketing"], folds=4)
    assert (refused.value.status, refused.value.message) == (
        409, f"Training run {first.pk} is already queued; wait for it to finish.")

    TrainingRun.objects.filter(pk=first.pk).update(status="running", started_at=timezone.now())
    with pytest.raises(Conflict, match=f"Training run {first.pk} is already running"):
        do_request_training(by=users["marketing"], folds=4)
    assert TrainingRun.objects.count() == 1

    TrainingRun.objects.filter(pk=first.pk).update(status="failed", error="gone")
    assert do_request_training(by=users["marketing"], folds=4).status == "queued"
    assert TrainingRun.objects.count() == 2


@pytest.mark.django_db
def test_the_database_keeps_at_most_one_run_in_progress(users):
    # two requests that both passed the check before either wrote: the second write is refused
    now = timezone.now()
    TrainingRun.objects.create(requested_at=now, status="queued")
    for status in ("queued", "running"):
        with pytest.raises(IntegrityError), transaction.atomic():
            TrainingRun.objects.create(requested_at=now, status=status)
    TrainingRun.objects.create(requested_at=now, status="done")
    TrainingRun.objects.create(requested_at=now, status="failed")
    assert TrainingRun.objects.count() == 3


@pytest.mark.django_db
def test_losing_the_race_to_the_constraint_is_a_conflict(users):
    with mock.patch.object(TrainingRun.objects, "create", side_effect=IntegrityError("trainingrun_one_in_progress")):
        with pytest.raises(Conflict, match="Another training run was requested at the same moment"):
            do_request_training(by=users["admin"], folds=3)


@pytest.mark.django_db
@pytest.mark.parametrize("options,field,message", [
    ({"folds": 1}, "folds", "Folds must be between 2 and 20."),
    ({"kind": "forest"}, "kind", "Unknown model 'forest'; choose one of auto, lightgbm, logistic."),
    ({"seed": -1}, "seed", "The seed must be 0 or more."),
    ({"cut": dt.date(2999, 1, 1)}, "cut", "The cut 2999-01-01 is not in the past: the label needs time after it."),
    ({"cut": dt.date(2020, 1, 1), "horizon_days": 5}, "cut", "Give a cut date or a horizon in days, not both."),
    ({"horizon_days": 0}, "horizon_days", "The horizon must be between 1 and 3650 days."),
])
def test_bad_options_are_refused_at_once_and_queue_nothing(users, options, field, message):
    with pytest.raises(DomainError) as refused:
        do_request_training(by=users["admin"], **options)
    assert (refused.value.field, refused.value.message) == (field, message)
    assert not TrainingRun.objects.exists()
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["rep1", "manager", "viewer"])
def test_only_admins_and_marketing_may_ask_for_training(users, who):
    with pytest.raises(PermissionDenied):
        do_request_training(by=users[who], folds=3)
    assert not TrainingRun.objects.exists()


@pytest.mark.django_db
def test_a_run_requested_by_someone_who_may_no_longer_train_fails_with_why(users, history):
    run = do_request_training(by=users["marketing"], folds=3, kind="logistic")
    User.objects.filter(pk=users["marketing"].pk).update(role="viewer")

    do_run_training(run_id=run.pk)

    run.refresh_from_db()
    assert (run.status, run.error) == ("failed", "Your role may not add this model.")
    assert not PredictiveModel.objects.exists()


@pytest.mark.django_db
def test_runs_left_in_progress_by_a_dead_worker_are_failed_before_a_new_one_is_queued(users):
    now = timezone.now()
    long_ago = now - actions.TRAINING_STALE_AFTER - dt.timedelta(minutes=1)
    queued = TrainingRun.objects.create(requested_at=long_ago, status="queued")
    fresh = do_request_training(by=users["admin"], folds=3, now=now)
    queued.refresh_from_db()
    assert (queued.status, queued.finished_at, queued.error) == (
        "failed", now, "No worker started it within 6 hours: is `plumbline worker` running?")

    TrainingRun.objects.filter(pk=fresh.pk).update(status="running", started_at=long_ago)
    later = do_request_training(by=users["admin"], folds=3, now=now)
    fresh.refresh_from_db()
    assert (fresh.status, fresh.error) == ("failed", "The worker did not finish it within 6 hours: it probably stopped.")
    assert later.status == "queued"

    # a run started within the limit still blocks
    TrainingRun.objects.filter(pk=later.pk).update(status="running", started_at=now - dt.timedelta(hours=5))
    with pytest.raises(Conflict):
        do_request_training(by=users["admin"], folds=3, now=now)
