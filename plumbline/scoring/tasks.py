"""Background scoring work; every task is safe to run twice."""

from __future__ import annotations

from django_tasks import task

from plumbline.crm.models import Contact
from plumbline.scoring.bulk import bulk_rescore
from plumbline.scoring.predictive.actions import do_refresh_predictions, do_run_training
from plumbline.scoring.rescore import rescore_contacts


@task()
def train_model(run_id: int) -> str:
    """Train the predictive model for a queued TrainingRun; returns how the run ended ("skipped" when another
    worker had claimed it or it was already over)."""
    run = do_run_training(run_id=run_id)
    return run.status if run is not None else "skipped"


@task()
def rescore_all() -> int:
    """Nightly and after a publish: decay lowers engagement without any event, so every contact is rescored in
    bulk; those the MQL rule now promotes go through the per-contact path, so each promotion is recorded as usual
    with its `lead.mql_reached` event (handoff routes them from the feed)."""
    result = bulk_rescore()
    do_refresh_predictions()
    rescore_contacts(list(Contact.objects.filter(pk__in=result.to_promote).values_list("pk", flat=True)),
                     reason="nightly")
    return result.scored
