"""Stages of an existing pipeline: add, rename/reweight, reorder, remove, keeping positions 0..n-1."""

from __future__ import annotations

import pytest

from plumbline.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from plumbline.crm.actions import (
    do_add_stage,
    do_create_deal,
    do_create_pipeline,
    do_move_deal,
    do_remove_stage,
    do_reorder_stages,
    do_update_stage,
)
from plumbline.crm.models import Deal, Pipeline, PipelineStage

ORIGINAL = [("Discovery", 0, 10, "open"), ("Demo", 1, 30, "open"), ("Proposal", 2, 60, "open"),
            ("Negotiation", 3, 80, "open"), ("Won", 4, 100, "won"), ("Lost", 5, 0, "lost")]


def stages(pipeline: Pipeline) -> list[tuple]:
    return list(PipelineStage.objects.filter(pipeline=pipeline).order_by("position")
                .values_list("name", "position", "probability", "kind"))


def stage(pipeline: Pipeline, name: str) -> PipelineStage:
    return PipelineStage.objects.get(pipeline=pipeline, name=name)


@pytest.mark.django_db
def test_an_open_stage_is_added_after_the_last_open_stage(pipeline, users):
    # given the six-stage pipeline; when a manager adds an open stage without a position
    added = do_add_stage(by=users["manager"], pipeline=pipeline, name="  Legal review ", probability=90)
    # then it sits before Won and Lost, and every position is 0..n-1
    assert (added.name, added.position, added.kind) == ("Legal review", 4, "open")
    assert stages(pipeline) == [*ORIGINAL[:4], ("Legal review", 4, 90, "open"), ("Won", 5, 100, "won"),
                                ("Lost", 6, 0, "lost")]


@pytest.mark.django_db
def test_a_closing_stage_is_appended_and_an_explicit_position_is_kept(pipeline):
    do_add_stage(pipeline=pipeline, name="Lost to competitor", kind="lost")
    do_add_stage(pipeline=pipeline, name="Lead in", probability=5, position=0)
    assert [s[:2] for s in stages(pipeline)] == [
        ("Lead in", 0), ("Discovery", 1), ("Demo", 2), ("Proposal", 3), ("Negotiation", 4), ("Won", 5), ("Lost", 6),
        ("Lost to competitor", 7)]


@pytest.mark.django_db
def test_adding_bumps_the_pipeline_so_sync_clients_see_the_change(pipeline):
    before = Pipeline.objects.get(pk=pipeline.pk).updated_at
    do_add_stage(pipeline=pipeline, name="Legal review")
    assert Pipeline.objects.get(pk=pipeline.pk).updated_at > before


@pytest.mark.django_db
def test_a_duplicate_name_is_a_conflict_on_name_and_adds_nothing(pipeline):
    with pytest.raises(Conflict) as exc:
        do_add_stage(pipeline=pipeline, name="Demo")
    assert (exc.value.field, exc.value.message) == ("name", "This pipeline already has a stage named 'Demo'.")
    assert stages(pipeline) == ORIGINAL


@pytest.mark.django_db
def test_blank_name_bad_probability_and_kind_are_all_reported_and_nothing_is_added(pipeline):
    with pytest.raises(ValidationFailed) as exc:
        do_add_stage(pipeline=pipeline, name="  ", probability=101, kind="maybe")
    assert [(e.field, e.message) for e in exc.value.errors] == [
        ("name", "Stage name is required."),
        ("probability", "Probability must be a whole number from 0 to 100."),
        ("kind", "Kind must be open, won or lost."),
    ]
    assert stages(pipeline) == ORIGINAL


@pytest.mark.django_db
@pytest.mark.parametrize("position", [-1, True])
def test_a_position_outside_the_pipeline_is_refused(pipeline, position):
    with pytest.raises(DomainError) as exc:
        do_add_stage(pipeline=pipeline, name="Somewhere", position=position)
    assert (exc.value.field, exc.value.message) == ("position", "Position must be from 0 to 6.")
    assert stages(pipeline) == ORIGINAL


@pytest.mark.django_db
@pytest.mark.parametrize("position", [6, 7, 2_147_483_647])
def test_a_position_past_the_last_stage_appends(pipeline, position):
    added = do_add_stage(pipeline=pipeline, name="Somewhere", position=position)
    assert added.position == 6
    assert [(name, pos) for name, pos, _, _ in stages(pipeline)] == [(name, pos) for name, pos, _, _ in ORIGINAL] + [
        ("Somewhere", 6)]


@pytest.mark.django_db
def test_renaming_and_reweighting_keeps_the_deals_in_the_stage(pipeline, users):
    demo = stage(pipeline, "Demo")
    deal = do_create_deal(name="Acme", stage=demo)
    do_update_stage(by=users["admin"], stage=demo, name="Product demo", probability=35)
    assert stages(pipeline)[1] == ("Product demo", 1, 35, "open")
    assert Deal.objects.get(pk=deal.pk).stage_id == demo.pk


@pytest.mark.django_db
def test_renaming_to_a_taken_name_or_an_out_of_range_probability_changes_nothing(pipeline):
    demo = stage(pipeline, "Demo")
    with pytest.raises(Conflict) as taken:
        do_update_stage(stage=demo, name="Proposal", probability=40)
    with pytest.raises(DomainError) as bad:
        do_update_stage(stage=stage(pipeline, "Demo"), probability=-1)
    assert (taken.value.field, bad.value.field) == ("name", "probability")
    assert stages(pipeline) == ORIGINAL


@pytest.mark.django_db
def test_reordering_puts_the_stages_in_the_given_order(pipeline):
    ids = {name: pk for name, pk in PipelineStage.objects.filter(pipeline=pipeline).values_list("name", "id")}
    order = ["Demo", "Discovery", "Negotiation", "Proposal", "Lost", "Won"]
    do_reorder_stages(pipeline=pipeline, stage_ids=[ids[n] for n in order])
    assert [(s[0], s[1]) for s in stages(pipeline)] == [(n, i) for i, n in enumerate(order)]


@pytest.mark.django_db
def test_a_reorder_that_misses_repeats_or_borrows_stages_is_refused_with_what_is_wrong(pipeline, world_other):
    ids = list(PipelineStage.objects.filter(pipeline=pipeline).order_by("position").values_list("id", flat=True))
    foreign = world_other.stages.first().pk
    with pytest.raises(DomainError) as exc:
        do_reorder_stages(pipeline=pipeline, stage_ids=[ids[0], ids[0], *ids[2:], foreign])
    assert exc.value.field == "stage_ids"
    assert exc.value.message == (f"List every stage of the pipeline exactly once (missing {ids[1]}; "
                                 f"not in this pipeline {foreign}; repeated {ids[0]}).")
    assert stages(pipeline) == ORIGINAL


@pytest.mark.django_db
def test_removing_an_unused_stage_closes_the_gap(pipeline, users):
    do_remove_stage(by=users["manager"], stage=stage(pipeline, "Demo"))
    assert stages(pipeline) == [ORIGINAL[0], ("Proposal", 1, 60, "open"), ("Negotiation", 2, 80, "open"),
                                ("Won", 3, 100, "won"), ("Lost", 4, 0, "lost")]


@pytest.mark.django_db
def test_a_stage_with_deals_in_it_is_not_removed(pipeline):
    demo = stage(pipeline, "Demo")
    do_create_deal(name="Acme", stage=demo)
    do_create_deal(name="Globex", stage=demo)
    with pytest.raises(Conflict) as exc:
        do_remove_stage(stage=demo)
    assert (exc.value.field, exc.value.message) == ("stage", "2 deals are in Demo: move them to another stage first.")
    assert stages(pipeline) == ORIGINAL


@pytest.mark.django_db
def test_a_stage_named_in_a_deals_history_stays_even_when_empty(pipeline):
    deal = do_create_deal(name="Acme", stage=stage(pipeline, "Demo"))
    do_move_deal(deal=deal, stage=stage(pipeline, "Proposal"))
    with pytest.raises(Conflict) as exc:
        do_remove_stage(stage=stage(pipeline, "Demo"))
    assert exc.value.message == ("Deals have passed through Demo and their stage history names it, so it stays; "
                                 "rename it instead.")
    assert stages(pipeline) == ORIGINAL


@pytest.mark.django_db
def test_the_last_stage_of_a_pipeline_is_not_removed(db):
    solo = do_create_pipeline(name="Solo", stages=[{"name": "Only"}])
    with pytest.raises(Conflict) as exc:
        do_remove_stage(stage=solo.stages.get())
    assert exc.value.message == "A pipeline needs at least one stage; add another before removing this one."
    assert solo.stages.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["viewer", "rep1", "marketing"])
def test_roles_that_may_only_read_pipelines_change_no_stage(pipeline, users, username):
    by = users[username]
    demo = stage(pipeline, "Demo")
    ids = list(PipelineStage.objects.filter(pipeline=pipeline).order_by("-position").values_list("id", flat=True))
    for attempt in (
        lambda: do_add_stage(by=by, pipeline=pipeline, name="X"),
        lambda: do_update_stage(by=by, stage=demo, name="Y"),
        lambda: do_reorder_stages(by=by, pipeline=pipeline, stage_ids=ids),
        lambda: do_remove_stage(by=by, stage=demo),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    assert stages(pipeline) == ORIGINAL


@pytest.fixture
def world_other(db) -> Pipeline:
    return do_create_pipeline(name="Partners", stages=[{"name": "Talk"}, {"name": "Signed", "kind": "won"}])
