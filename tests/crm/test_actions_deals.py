import pytest

from plumbline.core.errors import DomainError
from plumbline.crm.actions import do_create_deal, do_move_deal
from plumbline.crm.models import Deal, DealTransition


@pytest.mark.django_db
def test_new_deal_starts_in_first_stage_with_a_transition(pipeline):
    deal = do_create_deal(name="Acme expansion", amount="12000.00")
    assert deal.stage.name == "Discovery"
    assert DealTransition.objects.filter(deal=deal).count() == 1


@pytest.mark.django_db
def test_moving_a_deal_records_the_transition(pipeline, users):
    deal = do_create_deal(by=users["rep1"], name="Acme", amount=5000)
    proposal = pipeline.stages.get(name="Proposal")
    do_move_deal(by=users["rep1"], deal=deal, stage=proposal)
    t = DealTransition.objects.filter(deal=deal).first()
    assert (t.from_stage.name, t.to_stage.name, t.by) == ("Discovery", "Proposal", users["rep1"])
    assert Deal.objects.get(pk=deal.pk).stage == proposal


@pytest.mark.django_db
def test_lost_needs_a_reason_and_closes_the_deal(pipeline):
    deal = do_create_deal(name="Globex")
    lost = pipeline.stages.get(name="Lost")
    with pytest.raises(DomainError) as exc:
        do_move_deal(deal=deal, stage=lost)
    assert exc.value.field == "reason"
    do_move_deal(deal=deal, stage=lost, reason="No budget")
    deal.refresh_from_db()
    assert (deal.status, deal.close_reason) == ("lost", "No budget")
    assert deal.closed_at is not None
