"""The MQL rule in the visual builder: the conversion both ways, the page that publishes it, its live preview."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from plumbline.core.errors import ValidationFailed
from plumbline.definitions.models import DefinitionVersion
from plumbline.definitions.mql_builder import catalogue, from_builder, to_builder
from plumbline.definitions.queries import current_version, parsed
from plumbline.definitions.schema import DEFAULT, PlumbLine
from tests.conftest import PASSWORD

GROUPS = {
    "any": [
        {
            "all": [
                {"field": "score.fit_grade", "op": "gte", "value": "B"},
                {"field": "score.engagement", "op": "gte", "value": 50},
            ]
        },
        {
            "all": [
                {"field": "touchpoint_kind", "op": "in", "value": ["demo_request", "pricing_view"]},
                {"field": "score.fit_grade", "op": "gte", "value": "C"},
            ]
        },
    ]
}


def client_for(username: str) -> Client:
    c = Client()
    assert c.login(username=username, password=PASSWORD)
    return c


def stored_when() -> dict:
    """The default rule as a version's body stores it (every key, the unset ones null)."""
    return PlumbLine.model_validate(DEFAULT).model_dump(mode="json")["mql"]["when"]


def test_the_default_rule_becomes_builder_groups():
    assert to_builder(stored_when()) == GROUPS


def test_builder_groups_become_the_default_rule_unchanged():
    assert from_builder(GROUPS) == DEFAULT["mql"]["when"]


def test_every_leaf_survives_a_round_trip():
    when = {
        "all": [
            {"fit_grade_at_least": "A"},
            {"fit_score_at_least": 40},
            {"engagement_at_least": 12.5},
            {"touchpoint_kind_in": ["webinar_attended"]},
            {"lifecycle_in": ["lead", "subscriber"]},
        ]
    }
    assert from_builder(to_builder(when)) == when


def test_groups_of_one_collapse_to_their_condition():
    data = {"any": [{"all": [{"field": "lifecycle_stage", "op": "in", "value": ["lead"]}]}]}
    assert from_builder(data) == {"lifecycle_in": ["lead"]}


def test_nested_groups_are_kept():
    data = {
        "any": [
            {
                "all": [
                    {"field": "score.fit_score", "op": "gte", "value": 10},
                    {
                        "any": [
                            {"field": "score.fit_grade", "op": "gte", "value": "A"},
                            {"field": "lifecycle_stage", "op": "in", "value": ["lead"]},
                        ]
                    },
                ]
            },
            {"field": "score.engagement", "op": "gte", "value": 90},
        ]
    }
    assert from_builder(data) == {
        "any": [
            {
                "all": [
                    {"fit_score_at_least": 10},
                    {"any": [{"fit_grade_at_least": "A"}, {"lifecycle_in": ["lead"]}]},
                ]
            },
            {"engagement_at_least": 90},
        ]
    }


def test_bad_conditions_are_named_by_their_path():
    data = {
        "any": [
            {
                "all": [
                    {"field": "score.fit_grade", "op": "gte", "value": "E"},
                    {"field": "score.fit_score", "op": "gte", "value": 2.5},
                ]
            },
            {
                "all": [
                    {"not": {"field": "lifecycle_stage", "op": "in", "value": ["lead"]}},
                    {"field": "touchpoint_kind", "op": "in", "value": []},
                    {"field": "company.name", "op": "eq", "value": "x"},
                    {"field": "lifecycle_stage", "op": "eq", "value": "lead"},
                ]
            },
        ]
    }
    with pytest.raises(ValidationFailed) as info:
        from_builder(data)
    assert [(e.field, e.message) for e in info.value.errors] == [
        ("$.any[0].all[0].value", "Fit grade: choose one of A, B, C, D."),
        ("$.any[0].all[1].value", "Fit score: give a whole number."),
        ("$.any[1].all[0]", "The MQL rule has no NOT: say which stages or kinds count instead."),
        ("$.any[1].all[1].value", "Any touchpoint of kind: choose at least one."),
        (
            "$.any[1].all[2].field",
            "Choose one of: Fit grade, Fit score, Engagement score, Any touchpoint of kind, Lifecycle stage.",
        ),
        ("$.any[1].all[3].op", "Lifecycle stage takes only “is any of”."),
    ]


def test_the_catalogue_offers_labels_and_one_operator_per_field():
    fields = catalogue()["kinds"][0]["fields"]
    assert [(f["label"], [o["label"] for o in f["ops"]]) for f in fields] == [
        ("Fit grade", ["is at least"]),
        ("Fit score", ["is at least"]),
        ("Engagement score", ["is at least"]),
        ("Any touchpoint of kind", ["is any of"]),
        ("Lifecycle stage", ["is any of"]),
    ]
    assert [c["value"] for c in fields[0]["choices"]] == ["A", "B", "C", "D"]
    assert {"value": "demo_request", "label": "Demo request"} in fields[3]["choices"]
    assert catalogue()["allow_not"] is False


@pytest.mark.django_db
@pytest.mark.parametrize("who,status", [("admin", 200), ("marketing", 403), ("rep1", 403), ("viewer", 403)])
def test_only_admins_open_the_mql_rule_page(users, who, status):
    assert client_for(who).get("/definitions/mql-rule/").status_code == status


@pytest.mark.django_db
def test_the_page_loads_the_current_rule_into_the_builder_and_writes_nothing(users):
    before = DefinitionVersion.objects.count()
    r = client_for("admin").get("/definitions/mql-rule/")
    assert json.loads(r.context["form"].initial["when"]) == GROUPS
    assert r.context["form"].initial["eligible_stages"] == ["subscriber", "lead"]
    assert "data-builder" in r.content.decode()
    assert DefinitionVersion.objects.count() == before


@pytest.mark.django_db
def test_publishing_from_the_builder_makes_a_new_version_with_history(users):
    c = client_for("admin")
    c.get("/definitions/mql-rule/")
    rule = {
        "any": [
            {
                "all": [
                    {"field": "score.fit_grade", "op": "gte", "value": "A"},
                    {"field": "touchpoint_kind", "op": "in", "value": ["demo_request"]},
                ]
            }
        ]
    }
    r = c.post(
        "/definitions/mql-rule/",
        {
            "name": "Hand-raisers with fit",
            "eligible_stages": ["lead"],
            "when": json.dumps(rule),
            "note": "Only A-fit hand-raisers",
        },
    )
    assert r.status_code == 302 and r["Location"] == "/definitions/"
    version = current_version()
    assert (version.number, version.note, version.created_by.username) == (
        2,
        "Only A-fit hand-raisers",
        "admin",
    )
    mql = parsed(version).mql
    assert mql.name == "Hand-raisers with fit"
    assert mql.eligible_stages == ["lead"]
    assert mql.when.model_dump(exclude_none=True) == {
        "all": [{"fit_grade_at_least": "A"}, {"touchpoint_kind_in": ["demo_request"]}]
    }
    assert parsed(version).sla == parsed(DefinitionVersion.objects.get(number=1)).sla
    diff = c.get("/definitions/diff/?old=1&new=2").content.decode()
    assert "mql.name" in diff


@pytest.mark.django_db
def test_a_bad_rule_is_shown_by_condition_and_publishes_nothing(users):
    rule = {"any": [{"all": [{"field": "score.fit_score", "op": "gte", "value": "lots"}]}]}
    r = client_for("admin").post(
        "/definitions/mql-rule/",
        {"name": "X", "eligible_stages": ["lead"], "when": json.dumps(rule), "note": "try"},
    )
    assert r.status_code == 400
    assert r.context["builder_errors"] == [
        {"path": "$.any[0].all[0].value", "message": "Fit score: give a whole number."}
    ]
    assert DefinitionVersion.objects.count() == 1


@pytest.mark.django_db
def test_publishing_the_same_rule_again_is_refused(users):
    r = client_for("admin").post(
        "/definitions/mql-rule/",
        {
            "name": DEFAULT["mql"]["name"],
            "eligible_stages": ["subscriber", "lead"],
            "when": json.dumps(GROUPS),
            "note": "no change",
        },
    )
    assert r.status_code == 400
    assert r.context["form"].non_field_errors() == ["Nothing changed: this is the current version."]
    assert DefinitionVersion.objects.count() == 1


@pytest.mark.django_db
def test_the_preview_reads_the_rule_as_a_sentence(users):
    r = client_for("admin").post("/definitions/mql-rule/preview/", {"predicate": json.dumps(GROUPS)})
    assert r.status_code == 200
    assert (
        "an eligible contact becomes an MQL when (fit grade B or better and engagement ≥ 50) or "
        "(a Demo request or Pricing page view touchpoint and fit grade C or better)"
    ) in r.content.decode()


@pytest.mark.django_db
def test_the_preview_lists_what_is_wrong(users):
    r = client_for("admin").post("/definitions/mql-rule/preview/", {"predicate": "{not json"})
    assert r.status_code == 422
    assert "The rule is not valid JSON." in r.content.decode()
