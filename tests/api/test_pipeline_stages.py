"""/pipelines/{id}/stages and /stage-order: the stage actions over the API, with their refusals."""

from __future__ import annotations

import pytest

from plumbline.crm.models import PipelineStage


def names(pipeline) -> list[tuple[str, int]]:
    return list(PipelineStage.objects.filter(pipeline=pipeline).order_by("position").values_list("name", "position"))


ORIGINAL = [("Discovery", 0), ("Demo", 1), ("Proposal", 2), ("Negotiation", 3), ("Won", 4), ("Lost", 5)]


@pytest.mark.django_db
def test_a_manager_adds_a_stage_and_the_pipeline_shows_it_in_place(api, pipeline):
    manager = api("manager")
    response = manager.post(f"/pipelines/{pipeline.pk}/stages", {"name": "Legal review", "probability": 90})
    assert response.status_code == 201
    body = response.json()
    assert body == {"id": body["id"], "name": "Legal review", "position": 4, "probability": 90, "kind": "open"}
    listed = manager.get(f"/pipelines/{pipeline.pk}").json()["stages"]
    assert [(s["name"], s["position"]) for s in listed] == [*ORIGINAL[:4], ("Legal review", 4), ("Won", 5),
                                                              ("Lost", 6)]


@pytest.mark.django_db
def test_adding_at_a_position_and_as_a_lost_stage(api, pipeline):
    admin = api("admin")
    assert admin.post(f"/pipelines/{pipeline.pk}/stages", {"name": "Intake", "position": 0}).json()["position"] == 0
    assert admin.post(f"/pipelines/{pipeline.pk}/stages", {"name": "No budget", "kind": "lost"}).json()[
        "position"] == 7


@pytest.mark.django_db
@pytest.mark.parametrize("body, status, field", [
    ({"name": "Demo"}, 409, "name"),
    ({"name": "X", "probability": 101}, 422, "probability"),
    ({"name": "X", "probability": "50"}, 422, "probability"),
    ({"name": "X", "kind": "maybe"}, 422, "kind"),
    ({"name": "X", "position": -1}, 422, "position"),
    ({"name": "X", "colour": "red"}, 422, "colour"),
    ({"name": "   "}, 400, "name"),
])
def test_bad_new_stages_are_field_errors_and_add_nothing(api, pipeline, body, status, field):
    response = api("admin").post(f"/pipelines/{pipeline.pk}/stages", body)
    assert (response.status_code, response.json()["errors"][0]["field"]) == (status, field)
    assert names(pipeline) == ORIGINAL


@pytest.mark.django_db
def test_renaming_and_reweighting_a_stage(api, pipeline):
    demo = pipeline.stages.get(name="Demo")
    response = api("manager").patch(f"/pipelines/{pipeline.pk}/stages/{demo.pk}",
                                    {"name": "Product demo", "probability": 35})
    assert response.status_code == 200
    assert response.json() == {"id": demo.pk, "name": "Product demo", "position": 1, "probability": 35,
                               "kind": "open"}


@pytest.mark.django_db
def test_a_stage_kind_cannot_be_patched_and_a_taken_name_is_a_conflict(api, pipeline):
    demo = pipeline.stages.get(name="Demo")
    admin = api("admin")
    kind = admin.patch(f"/pipelines/{pipeline.pk}/stages/{demo.pk}", {"kind": "won"})
    taken = admin.patch(f"/pipelines/{pipeline.pk}/stages/{demo.pk}", {"name": "Won"})
    assert (kind.status_code, kind.json()["errors"][0]["field"]) == (422, "kind")
    assert (taken.status_code, taken.json()["errors"][0]) == (
        409, {"field": "name", "message": "This pipeline already has a stage named 'Won'.", "code": "conflict"})
    assert PipelineStage.objects.get(pk=demo.pk).kind == "open"
    assert names(pipeline) == ORIGINAL


@pytest.mark.django_db
def test_a_stage_of_another_pipeline_is_not_found_here(api, world):
    other = world["empty_pipeline"].stages.first()
    response = api("admin").patch(f"/pipelines/{world['pipeline'].pk}/stages/{other.pk}", {"name": "Hijacked"})
    assert response.status_code == 404
    assert PipelineStage.objects.get(pk=other.pk).name == "Talk"


@pytest.mark.django_db
def test_reordering_returns_the_pipeline_in_its_new_order(api, pipeline):
    ids = dict(pipeline.stages.values_list("name", "id"))
    order = ["Demo", "Discovery", "Proposal", "Negotiation", "Lost", "Won"]
    response = api("manager").put(f"/pipelines/{pipeline.pk}/stage-order", {"stage_ids": [ids[n] for n in order]})
    assert response.status_code == 200
    assert [(s["name"], s["position"]) for s in response.json()["stages"]] == [(n, i) for i, n in enumerate(order)]


@pytest.mark.django_db
def test_a_partial_order_is_a_field_error_and_reorders_nothing(api, pipeline):
    ids = list(pipeline.stages.order_by("position").values_list("id", flat=True))
    response = api("admin").put(f"/pipelines/{pipeline.pk}/stage-order", {"stage_ids": ids[1:]})
    assert response.status_code == 400
    assert response.json()["errors"] == [{
        "field": "stage_ids", "code": "invalid",
        "message": f"List every stage of the pipeline exactly once (missing {ids[0]}).",
    }]
    assert names(pipeline) == ORIGINAL


@pytest.mark.django_db
def test_removing_an_unused_stage_and_refusing_one_with_deals(api, world):
    pipeline = world["pipeline"]
    admin = api("admin")
    demo, discovery = pipeline.stages.get(name="Demo"), pipeline.stages.get(name="Discovery")
    assert admin.delete(f"/pipelines/{pipeline.pk}/stages/{demo.pk}").status_code == 204
    refused = admin.delete(f"/pipelines/{pipeline.pk}/stages/{discovery.pk}")
    assert (refused.status_code, refused.json()["errors"]) == (409, [{
        "field": "stage_id", "code": "conflict",
        "message": "2 deals are in Discovery: move them to another stage first.",
    }])
    assert names(pipeline) == [("Discovery", 0), ("Proposal", 1), ("Negotiation", 2), ("Won", 3), ("Lost", 4)]


@pytest.mark.django_db
@pytest.mark.parametrize("who, status", [(None, 401), ("viewer", 403), ("rep1", 403), ("marketing", 403)])
def test_only_roles_that_may_change_pipelines_touch_stages(api, pipeline, who, status):
    client = api(who)
    demo = pipeline.stages.get(name="Demo")
    ids = list(pipeline.stages.order_by("-position").values_list("id", flat=True))
    responses = [
        client.post(f"/pipelines/{pipeline.pk}/stages", {"name": "X"}),
        client.patch(f"/pipelines/{pipeline.pk}/stages/{demo.pk}", {"name": "Y"}),
        client.put(f"/pipelines/{pipeline.pk}/stage-order", {"stage_ids": ids}),
        client.delete(f"/pipelines/{pipeline.pk}/stages/{demo.pk}"),
    ]
    assert [r.status_code for r in responses] == [status] * 4
    assert names(pipeline) == ORIGINAL
