import pytest

from plumbline.core.errors import DomainError, PermissionDenied, ValidationFailed
from plumbline.crm.actions import do_create_deal, do_create_pipeline
from plumbline.playbook.actions import do_save_qualification, do_update_framework
from plumbline.playbook.models import DealQualification
from plumbline.playbook.queries import completeness, completeness_by_deal


@pytest.mark.django_db
def test_completeness_is_the_weighted_share_confirmed_with_partial_counting_half(world):
    # given BANT with budget weighted 3 and the others 1 (total 6)
    criteria = world.bant.criteria
    criteria[0]["weight"] = 3
    do_update_framework(framework=world.bant, changes={"criteria": criteria})
    assert completeness(world.deal) == 0.0
    # when budget is confirmed and need partial
    do_save_qualification(deal=world.deal, answers=[
        {"criterion": "budget", "value": "25,000", "status": "confirmed"},
        {"criterion": "need", "value": "Manual reporting", "status": "partial"},
    ])
    # then completeness is (3 + 0.5) / 6
    assert completeness(world.deal) == round(3.5 / 6, 4) == 0.5833
    # and all four confirmed is 1
    do_save_qualification(deal=world.deal, answers=[
        {"criterion": k, "value": v, "status": "confirmed"}
        for k, v in (("need", "Reporting"), ("authority", "CFO"), ("timeline", "2026-09-01"))])
    assert completeness(world.deal) == 1.0


@pytest.mark.django_db
def test_completeness_is_none_without_a_framework_and_bulk_matches_single(world, users):
    other = do_create_pipeline(name="Renewals", stages=[{"name": "Due"}])
    renewal = do_create_deal(name="Renewal", pipeline=other)
    do_save_qualification(deal=world.deal, answers=[{"criterion": "authority", "value": "CFO", "status": "partial"}])
    assert completeness(renewal) is None
    assert completeness_by_deal([world.deal.pk, world.own_deal.pk, renewal.pk]) == {
        world.deal.pk: 0.125, world.own_deal.pk: 0.0, renewal.pk: None}


@pytest.mark.django_db
def test_answers_are_checked_against_the_criterion_type_and_saved_all_or_nothing(world, users):
    with pytest.raises(ValidationFailed) as exc:
        do_save_qualification(by=users["rep2"], deal=world.deal, answers=[
            {"criterion": "need", "value": "Reporting", "status": "confirmed"},
            {"criterion": "budget", "value": "lots", "status": "confirmed"},
            {"criterion": "timeline", "value": "soon", "status": "partial"},
            {"criterion": "colour", "value": "blue"},
            {"criterion": "authority", "value": "CFO", "status": "sure"},
        ])
    assert [e.field for e in exc.value.errors] == [
        "answers.1.value", "answers.2.value", "answers.3.criterion", "answers.4.status"]
    assert DealQualification.objects.count() == 0


@pytest.mark.django_db
def test_only_who_may_change_the_deal_records_answers_and_who_when_is_kept(world, users):
    with pytest.raises(PermissionDenied):
        do_save_qualification(by=users["rep1"], deal=world.deal, answers=[{"criterion": "need", "status": "partial"}])
    with pytest.raises(PermissionDenied):
        do_save_qualification(by=users["marketing"], deal=world.deal, answers=[])
    [row] = do_save_qualification(by=users["rep2"], deal=world.deal,
                                  answers=[{"criterion": "need", "value": " Reporting ", "status": "partial"}])
    assert (row.value, row.status, row.updated_by, row.updated_at is not None) == (
        "Reporting", "partial", users["rep2"], True)


@pytest.mark.django_db
def test_a_deal_in_a_pipeline_without_framework_cannot_be_qualified(users):
    pipeline = do_create_pipeline(name="Bare", stages=[{"name": "Open"}])
    deal = do_create_deal(name="Bare deal", pipeline=pipeline)
    with pytest.raises(DomainError) as exc:
        do_save_qualification(deal=deal, answers=[])
    assert exc.value.field == "framework"
