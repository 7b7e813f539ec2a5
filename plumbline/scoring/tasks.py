"""Background scoring work; every task is safe to run twice."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from plumbline.scoring.bulk import bulk_rescore, do_bulk_promote
from plumbline.scoring.predictive.actions import do_refresh_predictions, do_run_training


@task()
def train_model(run_id: int) -> str:
    """Train the predictive model for a queued TrainingRun; returns how the run ended ("skipped" when another
    worker had claimed it or it was already over)."""
    run = do_run_training(run_id=run_id)
    return run.status if run is not None else "skipped"


PROMOTE_BATCH = 50_000  # contacts promoted per transaction (one statement per stage left on PostgreSQL)


@task()
def rescore_all() -> int:
    """Nightly: decay lowers engagement without any event, so every contact is rescored in bulk; those the MQL
    rule now promotes are promoted set-based (`do_bulk_promote`: the same transitions, reasons and versions as one
    at a time), with a `lead.mql_reached` event each, from which handoff routes them."""
    result = bulk_rescore()
    do_refresh_predictions()
    now = timezone.now()
    ids = sorted(result.to_promote)
    for start in range(0, len(ids), PROMOTE_BATCH):
        do_bulk_promote(contact_ids=ids[start:start + PROMOTE_BATCH], now=now, inputs=result.rule_inputs)
    return result.scored
