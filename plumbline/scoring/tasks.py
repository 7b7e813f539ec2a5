"""Background scoring work; every task is safe to run twice."""

from __future__ import annotations

from django_tasks import task

from plumbline.scoring.predictive.actions import do_run_training


@task()
def train_model(run_id: int) -> str:
    """Train the predictive model for a queued TrainingRun; returns how the run ended ("skipped" when another
    worker had claimed it or it was already over)."""
    run = do_run_training(run_id=run_id)
    return run.status if run is not None else "skipped"
