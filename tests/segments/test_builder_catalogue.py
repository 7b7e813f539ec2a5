"""The catalogue builder.js reads: the predicate language's fields and condition kinds, in the builder's shape."""

from __future__ import annotations

from plumbline.crm.models import Pipeline
from plumbline.segments.actions import do_create_segment
from plumbline.segments.builder_views import builder_catalogue
from plumbline.segments.predicate.catalogue import catalogue


def kinds() -> dict:
    return {k["key"]: k for k in builder_catalogue(catalogue())["kinds"]}


def test_every_condition_kind_of_the_language_is_offered_in_order(db):
    shown = builder_catalogue(catalogue())
    assert [(k["key"], k["label"]) for k in shown["kinds"]] == [
        ("field", "Field"),
        ("touchpoints", "Touchpoints"),
        ("consent", "Consent"),
        ("lifecycle", "Lifecycle history"),
        ("segment", "Segment membership"),
        ("deals", "Deals"),
    ]
    assert shown["allow_not"] is True


def test_fields_keep_their_labels_groups_and_operators(db):
    fields = {f["key"]: f for f in kinds()["field"]["fields"]}
    stage = fields["lifecycle_stage"]
    assert (stage["label"], stage["group"], stage["type"]) == ("Lifecycle stage", "Contact", "choice")
    assert {"op": "in", "label": "is any of"} in stage["ops"]
    assert {"value": "lead", "label": "Lead"} in stage["choices"]


def test_touchpoints_filter_by_kind_channel_campaign_and_texts_and_count_in_a_window(db):
    tp = kinds()["touchpoints"]
    assert [p["name"] for p in tp["params"]] == [
        "kind",
        "channel",
        "campaign",
        "content",
        "content_starts_with",
        "source",
        "medium",
        "utm_campaign",
    ]
    assert all(p["optional"] for p in tp["params"])
    assert tp["within_days"] is True and tp["value"]["default"] == 1
    assert [o["label"] for o in tp["ops"]][:2] == ["at least", "more than"]


def test_segment_membership_names_the_segments(db):
    segment = do_create_segment(by=None, name="Fair visitors", kind="static")
    member = kinds()["segment"]
    assert member["scalar"] is True
    assert member["params"][0]["choices"] == [{"value": segment.pk, "label": "Fair visitors"}]
    assert [o["op"] for o in member["ops"]] == ["member", "not_member"]


def test_deal_stages_are_named_with_their_pipeline(db, pipeline):
    deals = {p["name"]: p for p in kinds()["deals"]["params"]}
    first = pipeline.stages.order_by("position").first()
    assert {"value": first.pk, "label": f"{pipeline.name}: {first.name}"} in deals["stage"]["choices"]
    assert deals["pipeline"]["choices"] == [
        {"value": p.pk, "label": p.name} for p in Pipeline.objects.order_by("name")
    ]
    assert (deals["via"]["optional"], deals["min_amount"]["type"]) == (False, "number")


def test_form_conditions_are_offered_as_fields_of_each_form(forms):
    form = kinds()["form"]
    by_key = {f["key"]: f for f in form["fields"]}
    assert [f["key"] for f in form["fields"]] == [
        "demo",
        "demo/email",
        "demo/team",
        "demo/news",
        "newsletter",
        "newsletter/email",
        "newsletter/size",
        "newsletter/role",
        "newsletter/offers",
    ]
    submission = by_key["newsletter"]
    assert (submission["label"], submission["ref"], submission["within_days"]) == (
        "Newsletter: submission",
        {"form": "newsletter"},
        True,
    )
    assert [o["op"] for o in submission["ops"]] == ["submitted", "not_submitted"]
    size = by_key["newsletter/size"]
    assert (size["label"], size["group"], size["ref"]) == (
        "Company size",
        "Newsletter",
        {"form": "newsletter", "field": "size"},
    )
    assert {"op": "in", "label": "is any of"} in size["ops"]


def test_without_forms_there_are_no_form_conditions(db):
    assert "form" not in kinds()
