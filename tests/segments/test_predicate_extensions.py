"""The language's later conditions: segment membership, touchpoint content and UTM filters, deal counts and company
custom fields, with their validation errors, exact member sets on both evaluators, and their dependencies."""

from __future__ import annotations

import json

import pytest

from plumbline.crm.models import Contact, CustomField
from plumbline.segments.models import Segment
from plumbline.segments.predicate.catalogue import catalogue
from plumbline.segments.predicate.dependencies import DEAL_EVENTS, dependencies
from plumbline.segments.predicate.evaluate import evaluate
from plumbline.segments.predicate.explain import describe, explain
from plumbline.segments.predicate.schema import PredicateInvalid, parse
from tests.segments.conftest import IDS, NOW
from tests.segments.test_predicate import both, errors


def people(world) -> list[Contact]:
    return [world["ann"], world["bob"], world["cat"]]


def test_segment_membership(world):
    vip = world["vip"].pk
    assert both({"segment": vip, "op": "member"}, people(world)) == {"ann"}
    assert both({"segment": vip, "op": "not_member"}, people(world)) == {"bob", "cat"}
    assert both({"segment": world["empty"].pk, "op": "member"}, people(world)) == set()
    assert describe({"segment": vip, "op": "not_member"}) == 'Not in segment "VIP"'
    assert explain({"segment": vip, "op": "member"}, world["ann"], NOW).actual == "a member (entered 3 days ago)"


def test_an_unknown_segment_is_refused_at_parse_time_unless_the_caller_names_the_known_ones(world):
    missing = world["vip"].pk + world["empty"].pk + 1000
    assert errors({"all": [{"segment": missing, "op": "member"}]}) == [("$.all[0].segment", "unknown_segment")]
    assert errors({"segment": world["vip"].pk, "op": "in"}) == [("$.op", "literal_error")]
    assert parse({"segment": missing, "op": "member"}, segments={missing}).root.segment == missing
    with pytest.raises(PredicateInvalid):
        parse({"segment": world["vip"].pk, "op": "member"}, segments=set())


def test_touchpoint_content_and_utm_filters(world):
    views = {"kind": "page_view"}

    def tp(extra: dict, op: str = "gte", value: int = 1, within_days: int | None = 14) -> set[str]:
        cond = {"touchpoints": {**views, **extra}, "op": op, "value": value}
        if within_days is not None:
            cond["within_days"] = within_days
        return both(cond, people(world))

    # ann viewed /pricing 1 day ago, /Pricing 5 days ago and /blog/pricing-guide 13 days ago, all from google cpc
    assert tp({"content": "/pricing"}, value=2) == {"ann"}  # paths compare case-insensitively, like text fields
    assert tp({"content": "/pricing"}, value=3) == set()
    assert tp({"content": "/pricing"}, value=2, within_days=4) == set()
    assert tp({"content_starts_with": "/BLOG/"}) == {"ann"}
    assert tp({"content_starts_with": "/blog/", "content": "/pricing"}) == set()
    assert tp({"source": "Google", "medium": "cpc", "utm_campaign": "spring"}, value=3) == {"ann"}
    assert tp({"source": "news"}) == set()
    assert tp({"content": "/pricing"}, op="eq", value=0) == {"bob", "cat"}
    assert describe({"touchpoints": {**views, "content": "/pricing"}, "op": "gte", "value": 3, "within_days": 14}) == (
        'At least 3 page views of "/pricing" in the last 14 days')
    assert describe({"touchpoints": {"content_starts_with": "/blog", "source": "google", "medium": "cpc"},
                     "op": "gte", "value": 2}) == (
        'At least 2 touchpoints of a page or name starting with "/blog" with source "google" and medium "cpc"')
    assert errors({"touchpoints": {"content": ""}, "op": "gte", "value": 1}) == [
        ("$.touchpoints.content", "string_too_short")]


def test_deal_counts(world):
    stages = IDS["stages"]
    assert both({"deals": {}}, people(world)) == {"ann", "bob"}  # at least one deal the contact has a role on
    assert both({"deals": {"status": "open", "stage": "Proposal", "min_amount": 10000}}, people(world)) == {"ann"}
    assert both({"deals": {"status": "open", "min_amount": 12000.01}}, people(world)) == set()
    assert both({"deals": {"stage": stages["Won"].pk}}, people(world)) == {"bob"}
    assert both({"deals": {"pipeline": IDS["pipeline"], "max_amount": 5000}}, people(world)) == {"bob"}
    assert both({"deals": {"status": "won"}, "op": "eq", "value": 0}, people(world)) == {"ann", "cat"}
    # Acme has two deals (ann is on one); cat has no company
    assert both({"deals": {"via": "company"}, "op": "gte", "value": 2}, people(world)) == {"ann"}
    assert both({"deals": {"via": "company"}, "op": "lt", "value": 1}, people(world)) == {"cat"}
    assert both({"deals": {"via": "company", "status": "won"}}, people(world)) == {"bob"}
    assert describe({"deals": {"status": "open", "stage": "Proposal", "min_amount": 10000}}) == (
        'At least 1 open deal in stage "Proposal" worth at least 10,000')
    assert describe({"deals": {"via": "company", "pipeline": IDS["pipeline"], "min_amount": 1, "max_amount": 2.5},
                     "op": "lt", "value": 2}) == (
        'Fewer than 2 deals in pipeline "Sales" worth between 1 and 2.5 at their company')
    assert explain({"deals": {"via": "company"}}, world["cat"], NOW).actual == "no company"
    assert explain({"deals": {"via": "company"}}, world["ann"], NOW).actual == "2 matching deals"


def test_deal_filters_are_validated(world):
    assert errors({"deals": {"stage": "Nope"}}) == [("$.deals.stage", "unknown_stage")]
    other = IDS["pipeline"] + 1000
    assert errors({"deals": {"pipeline": other}}) == [("$.deals.pipeline", "unknown_pipeline")]
    assert errors({"deals": {"status": "pending", "min_amount": -1}}) == [
        ("$.deals.status", "literal_error"), ("$.deals.min_amount", "greater_than_equal")]
    assert errors({"deals": {"min_amount": 10, "max_amount": 5}}) == [("$.deals.max_amount", "invalid")]
    assert errors({"deals": {"via": "team"}, "op": "gte", "value": -1}) == [
        ("$.deals.via", "literal_error"), ("$.value", "greater_than_equal")]


def test_company_custom_fields(world):
    assert both({"field": "company.custom.tier", "op": "eq", "value": "gold"}, people(world)) == {"ann"}
    assert both({"field": "company.custom.tier", "op": "neq", "value": "gold"}, people(world)) == {"bob", "cat"}
    assert both({"field": "company.custom.arr", "op": "gte", "value": 100000}, people(world)) == {"ann"}
    assert both({"field": "company.custom.partner", "op": "eq", "value": True}, people(world)) == {"ann"}
    assert both({"field": "company.custom.partner", "op": "is_not_set"}, people(world)) == {"bob", "cat"}
    assert errors({"field": "company.custom.tier", "op": "eq", "value": "bronze"}) == [("$.value", "invalid")]
    assert errors({"field": "company.custom.nope", "op": "is_set"}) == [("$.field", "unknown_field")]
    assert describe({"field": "company.custom.arr", "op": "gte", "value": 100000}) == "Company ARR is at least 100,000"
    assert explain({"field": "company.custom.tier", "op": "eq", "value": "gold"}, world["cat"], NOW).actual == (
        "no company")


def test_dependencies_of_the_later_conditions(world):
    vip = world["vip"].pk
    deps = dependencies(parse({"all": [{"segment": vip, "op": "member"},
                                       {"field": "company.custom.tier", "op": "eq", "value": "gold"}]}))
    assert deps.segments == {vip}
    assert deps.events == {"segment.entered", "segment.left", "contact.updated", "company.updated"}
    assert (deps.contact_fields, deps.company_fields, deps.relative) == ({"company"}, {"custom"}, False)
    assert deps.affected_by("segment.entered", segment=vip) is True
    assert deps.affected_by("segment.left", segment=world["empty"].pk) is False
    deals = dependencies(parse({"deals": {"via": "company", "status": "open"}}))
    assert deals.events == DEAL_EVENTS | {"contact.updated"}
    assert (deals.relative, deals.contact_fields, deals.segments) == (True, {"company"}, frozenset())


def test_one_contact_with_the_later_conditions_takes_a_few_queries(world, django_assert_max_num_queries):
    p = parse({"all": [{"segment": world["vip"].pk, "op": "member"},
                       {"touchpoints": {"content": "/pricing"}, "op": "gte", "value": 2},
                       {"deals": {"status": "open"}}, {"deals": {"via": "company"}, "op": "gte", "value": 2},
                       {"field": "company.custom.tier", "op": "eq", "value": "gold"}]})
    # contact and company, custom field definitions, memberships, touchpoints, the contact's deals, the company's
    with django_assert_max_num_queries(6):
        assert evaluate(p, world["ann"].pk, NOW) is True
    assert Segment.objects.count() == 2  # reading wrote nothing


def test_ids_amounts_and_counts_are_json_numbers_not_lookalikes(world):
    assert errors({"segment": True, "op": "member"}) == [("$.segment", "int_type")]
    assert errors({"segment": str(world["vip"].pk), "op": "member"}) == [("$.segment", "int_type")]
    assert errors({"deals": {"stage": True, "min_amount": "10"}, "value": True}) == [
        ("$.deals.stage", "value_error"), ("$.deals.min_amount", "float_type"), ("$.value", "int_type")]
    assert errors({"touchpoints": {"campaign": True}, "op": "gte", "value": 1}) == [
        ("$.touchpoints.campaign", "int_type")]


def test_catalogue_offers_the_later_conditions(world):
    cat = catalogue()
    fields = {f["key"]: f for f in cat["fields"]}
    tier = fields["company.custom.tier"]
    assert (tier["label"], tier["group"], tier["type"]) == ("Company tier", "Company", "choice")
    assert tier["choices"] == [{"value": "gold", "label": "gold"}, {"value": "silver", "label": "silver"}]
    assert fields["company.custom.arr"]["label"] == "Company ARR"
    assert [o["op"] for o in fields["company.custom.partner"]["ops"]] == ["eq", "neq", "is_set", "is_not_set"]
    conditions = cat["conditions"]
    assert conditions["segment"] == {
        "label": "Segment membership",
        "ops": [{"op": "member", "label": "is in"}, {"op": "not_member", "label": "is not in"}],
        "segments": [{"value": world["empty"].pk, "label": "Nobody yet"}, {"value": world["vip"].pk, "label": "VIP"}]}
    deals = conditions["deals"]
    assert deals["via"] == [{"value": "contact", "label": "The contact's deals"},
                            {"value": "company", "label": "Their company's deals"}]
    assert {"value": "won", "label": "Won"} in deals["statuses"]
    sales = [p for p in deals["pipelines"] if p["value"] == IDS["pipeline"]]
    assert [s["label"] for s in sales[0]["stages"]] == ["Talk", "Proposal", "Won", "Lost"]
    assert {"key": "content", "label": "Page or name is"} in conditions["touchpoints"]["filters"]
    assert [f["key"] for f in conditions["touchpoints"]["filters"]] == [
        "content", "content_starts_with", "source", "medium", "utm_campaign"]
    assert json.loads(json.dumps(cat)) == cat


def test_describe_still_says_a_saved_rule_whose_references_have_gone(world):
    rule = {"all": [{"field": "custom.plan", "op": "eq", "value": "pro"}, {"segment": world["vip"].pk, "op": "member"},
                    {"deals": {"stage": IDS["stages"]["Talk"].pk}}]}
    CustomField.objects.filter(key="plan").delete()
    Segment.objects.filter(pk=world["vip"].pk).delete()
    vip = world["vip"].pk
    with pytest.raises(PredicateInvalid):
        parse(rule)
    assert describe(rule) == (
        f'"custom.plan" (a field that no longer exists) is "pro" and in segment #{vip} (deleted) and at least 1 deal in '
        'stage "Talk"')
    with pytest.raises(PredicateInvalid):
        describe({"all": []})
