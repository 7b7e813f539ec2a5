"""The pipelines page: stages listed in order, and the stage forms (plain posts and HTMX) calling the actions."""

from __future__ import annotations

import pytest
from django.test import Client

from plumbline.crm.actions import do_create_deal
from plumbline.crm.models import PipelineStage
from tests.ui.test_forms import field_error

ORIGINAL = [("Discovery", 10), ("Demo", 30), ("Proposal", 60), ("Negotiation", 80), ("Won", 100), ("Lost", 0)]
HX = {"HTTP_HX_REQUEST": "true"}


def stages(pipeline) -> list[tuple[str, int]]:
    return list(PipelineStage.objects.filter(pipeline=pipeline).order_by("position")
                .values_list("name", "probability"))


def stage(pipeline, name: str) -> PipelineStage:
    return pipeline.stages.get(name=name)


@pytest.mark.django_db
def test_the_page_lists_each_pipeline_with_its_stages_and_deal_counts(record, client_for, pipeline):
    html = client_for("manager").get("/pipelines/").content.decode()
    assert f'<section class="card" id="pipeline-{pipeline.pk}">' in html
    assert html.index('value="Discovery"') < html.index('value="Demo"') < html.index('value="Lost"')
    assert "<td>2</td>" in html  # both record deals are in Discovery
    assert f'action="/pipelines/{pipeline.pk}/stages/"' in html
    assert 'name="csrfmiddlewaretoken"' in html


@pytest.mark.django_db
def test_a_viewer_reads_the_stages_without_any_form_and_is_refused_every_post(record, client_for, pipeline):
    viewer = client_for("viewer")
    html = viewer.get("/pipelines/").content.decode()
    assert "Discovery (10%)" in html
    assert "<form method=\"post\" action=\"/pipelines/" not in html
    demo = stage(pipeline, "Demo")
    posts = [
        (f"/pipelines/{pipeline.pk}/stages/", {f"new-{pipeline.pk}-name": "X", f"new-{pipeline.pk}-probability": "5",
                                               f"new-{pipeline.pk}-kind": "open"}),
        (f"/pipelines/{pipeline.pk}/stages/{demo.pk}/", {f"stage-{demo.pk}-name": "Y",
                                                          f"stage-{demo.pk}-probability": "5"}),
        (f"/pipelines/{pipeline.pk}/stages/{demo.pk}/move/", {"direction": "up"}),
        (f"/pipelines/{pipeline.pk}/stages/{demo.pk}/remove/", {}),
    ]
    for who in ("viewer", "rep1", "marketing"):
        assert [client_for(who).post(url, data).status_code for url, data in posts] == [403] * 4
    assert stages(pipeline) == ORIGINAL


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(pipeline):
    assert Client().get("/pipelines/")["Location"] == "/login/?next=/pipelines/"
    response = Client().post(f"/pipelines/{pipeline.pk}/stages/", {})
    assert (response.status_code, response["Location"]) == (302, f"/login/?next=/pipelines/{pipeline.pk}/stages/")


@pytest.mark.django_db
def test_adding_a_stage_redirects_back_with_a_message(record, client_for, pipeline):
    p = f"new-{pipeline.pk}"
    response = client_for("manager").post(f"/pipelines/{pipeline.pk}/stages/",
                                          {f"{p}-name": "Legal review", f"{p}-probability": "90", f"{p}-kind": "open"},
                                          follow=True)
    assert response.redirect_chain == [(f"/pipelines/#pipeline-{pipeline.pk}", 302)]
    assert '<li class="msg-success">Stage Legal review added to New business.</li>' in response.content.decode()
    assert stages(pipeline) == [*ORIGINAL[:4], ("Legal review", 90), *ORIGINAL[4:]]


@pytest.mark.django_db
def test_a_duplicate_stage_name_from_htmx_answers_409_with_the_card_and_the_error_on_name(record, client_for, pipeline):
    p = f"new-{pipeline.pk}"
    response = client_for("admin").post(f"/pipelines/{pipeline.pk}/stages/",
                                        {f"{p}-name": "Demo", f"{p}-probability": "5", f"{p}-kind": "open"}, **HX)
    html = response.content.decode()
    assert response.status_code == 409
    assert html.lstrip().startswith(f'<section class="card" id="pipeline-{pipeline.pk}">')
    assert "This pipeline already has a stage named &#x27;Demo&#x27;." in field_error(html, f"{p}-name")
    assert stages(pipeline) == ORIGINAL


@pytest.mark.django_db
def test_an_out_of_range_probability_is_a_400_field_error_on_the_full_page(record, client_for, pipeline):
    demo = stage(pipeline, "Demo")
    p = f"stage-{demo.pk}"
    response = client_for("admin").post(f"/pipelines/{pipeline.pk}/stages/{demo.pk}/",
                                        {f"{p}-name": "Product demo", f"{p}-probability": "150"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "<h1>Pipelines</h1>" in html
    assert "Ensure this value is less than or equal to 100." in field_error(html, f"{p}-probability")
    assert stages(pipeline) == ORIGINAL


@pytest.mark.django_db
def test_renaming_a_stage_over_htmx_redraws_the_card(record, client_for, pipeline):
    demo = stage(pipeline, "Demo")
    p = f"stage-{demo.pk}"
    response = client_for("manager").post(f"/pipelines/{pipeline.pk}/stages/{demo.pk}/",
                                          {f"{p}-name": "Product demo", f"{p}-probability": "35"}, **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<p class="msg-success" role="status">Stage Product demo saved.</p>' in html
    assert 'value="Product demo"' in html
    assert stages(pipeline)[1] == ("Product demo", 35)


@pytest.mark.django_db
def test_moving_a_stage_up_and_down(record, client_for, pipeline):
    manager = client_for("manager")
    demo = stage(pipeline, "Demo")
    assert manager.post(f"/pipelines/{pipeline.pk}/stages/{demo.pk}/move/", {"direction": "up"}).status_code == 302
    assert [n for n, _ in stages(pipeline)][:3] == ["Demo", "Discovery", "Proposal"]
    manager.post(f"/pipelines/{pipeline.pk}/stages/{demo.pk}/move/", {"direction": "down"}, **HX)
    assert [n for n, _ in stages(pipeline)][:3] == ["Discovery", "Demo", "Proposal"]


@pytest.mark.django_db
def test_moving_the_first_stage_up_or_with_no_direction_is_refused_on_the_card(record, client_for, pipeline):
    discovery = stage(pipeline, "Discovery")
    response = client_for("admin").post(f"/pipelines/{pipeline.pk}/stages/{discovery.pk}/move/",
                                        {"direction": "up"}, **HX)
    assert response.status_code == 400
    assert ('<p class="error" role="alert">Discovery cannot move that way: choose up or down (it is first).</p>'
            in response.content.decode())
    assert stages(pipeline) == ORIGINAL


@pytest.mark.django_db
def test_removing_an_empty_stage_and_refusing_one_with_deals(record, client_for, pipeline):
    admin = client_for("admin")
    demo, discovery = stage(pipeline, "Demo"), stage(pipeline, "Discovery")
    removed = admin.post(f"/pipelines/{pipeline.pk}/stages/{demo.pk}/remove/", follow=True)
    assert '<li class="msg-success">Stage Demo removed from New business.</li>' in removed.content.decode()
    refused = admin.post(f"/pipelines/{pipeline.pk}/stages/{discovery.pk}/remove/", **HX)
    assert refused.status_code == 409
    assert ('<p class="error" role="alert">2 deals are in Discovery: move them to another stage first.</p>'
            in refused.content.decode())
    assert stages(pipeline) == [ORIGINAL[0], *ORIGINAL[2:]]


@pytest.mark.django_db
def test_a_stage_of_another_pipeline_is_404_here(record, client_for, pipeline):
    from plumbline.crm.actions import do_create_pipeline

    other = do_create_pipeline(name="Partners", stages=[{"name": "Talk"}, {"name": "Signed", "kind": "won"}])
    talk = other.stages.get(name="Talk")
    do_create_deal(name="Partner deal", stage=talk)
    assert client_for("admin").post(f"/pipelines/{pipeline.pk}/stages/{talk.pk}/remove/").status_code == 404
    assert other.stages.count() == 2


@pytest.mark.django_db
def test_a_post_without_the_csrf_token_is_refused(record, users, pipeline):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["admin"])
    demo = stage(pipeline, "Demo")
    assert client.post(f"/pipelines/{pipeline.pk}/stages/{demo.pk}/remove/").status_code == 403
    assert stages(pipeline) == ORIGINAL


@pytest.mark.django_db
def test_creating_a_pipeline_starts_it_with_the_standard_stages(record, client_for, pipeline):
    from plumbline.crm.models import Pipeline

    manager = client_for("manager")
    page = manager.get("/pipelines/").content.decode()
    assert 'action="/pipelines/new/"' in page and "Discovery, Qualification, Proposal, Negotiation, Won, Lost" in page
    response = manager.post("/pipelines/new/", {"create-name": "  Partners "}, follow=True)
    made = Pipeline.objects.get(name="Partners")
    assert response.redirect_chain == [(f"/pipelines/#pipeline-{made.pk}", 302)]
    assert "Pipeline Partners created with the standard stages" in response.content.decode()
    assert stages(made) == [("Discovery", 10), ("Qualification", 25), ("Proposal", 50), ("Negotiation", 75),
                            ("Won", 100), ("Lost", 0)]
    assert not made.is_default and Pipeline.objects.get(pk=pipeline.pk).is_default
    again = manager.post("/pipelines/new/", {"create-name": "Partners"})
    assert again.status_code == 409 and field_error(again.content.decode(), "create-name")
    blank = manager.post("/pipelines/new/", {"create-name": ""})
    assert blank.status_code == 400 and Pipeline.objects.count() == 2
    assert client_for("rep1").post("/pipelines/new/", {"create-name": "Mine"}).status_code == 403


@pytest.mark.django_db
def test_renaming_a_pipeline_and_making_it_the_default_over_htmx(record, client_for, pipeline):
    from plumbline.crm.actions import do_create_pipeline
    from plumbline.crm.models import Pipeline

    other = do_create_pipeline(name="Partners", stages=[{"name": "Talk"}, {"name": "Signed", "kind": "won"}])
    manager = client_for("manager")
    response = manager.post(f"/pipelines/{other.pk}/", {f"pipeline-{other.pk}-name": "Channel partners",
                                                        f"pipeline-{other.pk}-is_default": "on"}, **HX)
    html = response.content.decode()
    assert response.status_code == 200 and "Pipeline Channel partners saved." in html
    assert html.startswith(f'<section class="card" id="pipeline-{other.pk}">')
    assert Pipeline.objects.get(pk=other.pk).is_default and not Pipeline.objects.get(pk=pipeline.pk).is_default
    clash = manager.post(f"/pipelines/{other.pk}/", {f"pipeline-{other.pk}-name": pipeline.name}, **HX)
    assert clash.status_code == 409 and field_error(clash.content.decode(), f"pipeline-{other.pk}-name")
    assert Pipeline.objects.get(pk=other.pk).name == "Channel partners"


@pytest.mark.django_db
def test_deleting_an_empty_pipeline_and_refusing_one_with_deals(record, client_for, pipeline):
    from plumbline.crm.actions import do_create_pipeline
    from plumbline.crm.models import Pipeline

    empty = do_create_pipeline(name="Partners", stages=[{"name": "Talk"}, {"name": "Signed", "kind": "won"}])
    manager = client_for("manager")
    gone = manager.post(f"/pipelines/{empty.pk}/delete/", **HX)
    assert (gone.status_code, gone["HX-Redirect"]) == (204, "/pipelines/")
    assert not Pipeline.objects.filter(pk=empty.pk).exists()
    refused = manager.post(f"/pipelines/{pipeline.pk}/delete/", **HX)
    assert refused.status_code == 409
    assert "This pipeline still has deals; move or delete them first." in refused.content.decode()
    plain = manager.post(f"/pipelines/{pipeline.pk}/delete/")
    assert plain.status_code == 409 and Pipeline.objects.filter(pk=pipeline.pk).exists()
    assert client_for("marketing").post(f"/pipelines/{pipeline.pk}/delete/").status_code == 403
