"""`plumbline pipelines ...`: the pipelines page's actions from a shell."""

import io

import pytest
from django.core.management import CommandError, call_command

from plumbline.crm.actions import do_create_deal
from plumbline.crm.models import Pipeline, PipelineStage


def run(*args):
    out = io.StringIO()
    call_command("pipelines", *args, stdout=out)
    return out.getvalue()


def names(pipeline):
    return list(PipelineStage.objects.filter(pipeline=pipeline).order_by("position").values_list("name", flat=True))


@pytest.mark.django_db
def test_pipelines_and_stages_from_the_command_line():
    out = run("create", "Partners", "--stage", "Talk:10", "--stage", "Pilot:40", "--stage", "Signed:100:won",
              "--default")
    partners = Pipeline.objects.get(name="Partners")
    assert out == f"Created pipeline Partners (id {partners.pk}) with 3 stages.\n" and partners.is_default
    run("create", "Renewals")
    assert names(Pipeline.objects.get(name="Renewals")) == [
        "Discovery", "Qualification", "Proposal", "Negotiation", "Won", "Lost"]
    assert run("stage", "add", "Partners", "Legal", "--probability", "70").startswith("Added Legal at position 3")
    run("stage", "update", "Partners", "Talk", "--name", "First talk", "--probability", "15")
    assert run("stage", "move", "Partners", "Legal", "--to", "1") == "Legal is now stage 1 of Partners.\n"
    assert names(partners) == ["Legal", "First talk", "Pilot", "Signed"]
    run("stage", "remove", "Partners", "Pilot")
    assert names(partners) == ["Legal", "First talk", "Signed"]
    run("rename", str(partners.pk), "Channel")
    assert run("default", "Renewals") == "Renewals is the default pipeline.\n"
    listed = run("list")
    assert listed.startswith(f"{Pipeline.objects.get(name='Renewals').pk}\tRenewals (default)\n")
    assert "\tChannel\n  1. Legal (70%, open) id " in listed and ": 0 deals" in listed
    assert run("delete", "Channel") == "Deleted pipeline Channel.\n"
    assert not Pipeline.objects.filter(name="Channel").exists()


@pytest.mark.django_db
def test_command_line_refusals_name_the_field():
    run("create", "Sales")
    do_create_deal(name="Big one", pipeline=Pipeline.objects.get(name="Sales"))
    cases = [
        (("create", "Sales"), "name: A pipeline named 'Sales' already exists."),
        (("create", "X", "--stage", "A:lots"), "--stage 'A:lots': write Name:probability[:won|lost]."),
        (("create", "X", "--stage", "A:10", "--stage", "A:20"), "stages: Stage names must be unique"),
        (("delete", "Sales"), "This pipeline still has deals; move or delete them first."),
        (("delete", "Nope"), "No pipeline 'Nope' (give an id or a name)."),
        (("stage", "remove", "Sales", "Discovery"), "stage: "),
        (("stage", "move", "Sales", "Won", "--to", "9"), "--to is a position from 1 to 6."),
        (("stage", "update", "Sales", "Nope", "--name", "X"), "No stage 'Nope' in Sales"),
    ]
    for args, message in cases:
        with pytest.raises(CommandError) as refused:
            run(*args)
        assert str(refused.value).startswith(message), (args, str(refused.value))
    assert Pipeline.objects.count() == 1
