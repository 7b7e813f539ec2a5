"""The predicate in words: the builder's catalogue, describe's sentences, and explain's tree, whose root always
agrees with evaluate."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from plumbline.segments.predicate.catalogue import catalogue
from plumbline.segments.predicate.evaluate import evaluate
from plumbline.segments.predicate.explain import describe, explain
from plumbline.segments.predicate.schema import parse
from tests.segments.conftest import NOW
from tests.segments.test_predicate import predicates


def test_catalogue_lists_fields_with_labels_ops_and_choices(world):
    cat = catalogue()
    fields = {f["key"]: f for f in cat["fields"]}
    stage = fields["lifecycle_stage"]
    assert (stage["label"], stage["group"], stage["type"]) == ("Lifecycle stage", "Contact", "choice")
    assert {"value": "mql", "label": "Marketing qualified lead"} in stage["choices"]
    assert [o["label"] for o in stage["ops"]] == ["is", "is not", "is any of", "is none of", "is known", "is unknown"]
    assert (fields["company.industry"]["label"], fields["company.industry"]["group"]) == ("Company industry", "Company")
    assert fields["score.fit_grade"]["label"] == "Fit grade"
    assert fields["score.engagement"]["label"] == "Engagement score"
    assert {"op": "lt", "label": "more than … days ago"} in fields["created_at"]["ops"]
    assert {"op": "between", "label": "is between"} in fields["company.employees"]["ops"]
    plan = fields["custom.plan"]
    assert (plan["label"], plan["group"], plan["choices"]) == (
        "Plan", "Custom fields", [{"value": "free", "label": "free"}, {"value": "pro", "label": "pro"}])
    tp = cat["conditions"]["touchpoints"]
    assert {"value": "page_view", "label": "Page view"} in tp["kinds"]
    assert {"value": "seo", "label": "SEO"} in tp["channels"]
    assert tp["campaigns"] == [{"value": world["campaign"].pk, "label": "Spring launch"}]
    assert [o["label"] for o in tp["ops"]] == ["at least", "more than", "exactly", "at most", "fewer than"]
    consent = cat["conditions"]["consent"]
    assert {"value": "newsletter", "label": "Newsletter", "channel": "email"} in consent["subscriptions"]
    assert consent["ops"] == [{"op": "granted", "label": "is granted"}, {"op": "not_granted", "label": "is not granted"}]
    assert {"value": "customer", "label": "Customer"} in cat["conditions"]["lifecycle"]["stages"]


def test_describe_says_a_rule_in_words(world):
    rule = {"all": [{"field": "lifecycle_stage", "op": "in", "value": ["mql", "sql"]},
                    {"touchpoints": {"kind": "page_view", "channel": "seo"}, "op": "gte", "value": 3,
                     "within_days": 14},
                    {"any": [{"field": "company.industry", "op": "eq", "value": "Retail"},
                             {"field": "created_at", "op": "lt", "value": {"days_ago": 30}}]}]}
    assert describe(parse(rule)) == (
        "Lifecycle stage is any of Marketing qualified lead, Sales qualified lead and at least 3 page views from SEO "
        'in the last 14 days and (company industry is "Retail" or created more than 30 days ago)')
    assert describe({"touchpoints": {"kind": "email_click"}, "op": "lt", "value": 1, "within_days": 90}) == (
        "No email clicks in the last 90 days")
    assert describe({"touchpoints": {"campaign": world["campaign"].pk}, "op": "eq", "value": 1}) == (
        'Exactly 1 touchpoint in campaign "Spring launch"')
    assert describe({"consent": {"channel": "email", "subscription": "newsletter"}, "op": "granted"}) == (
        "Newsletter consent (Email) is granted")
    assert describe({"not": {"lifecycle": {"became": "customer"}, "within_days": 30}}) == (
        "Not (became Customer in the last 30 days)")
    assert describe({"field": "custom.vip", "op": "eq", "value": True}) == "VIP is yes"
    assert describe({"field": "score.last_event_at", "op": "between",
                     "value": [{"days_ago": 7}, {"days_ago": 1}]}) == "Last engagement between 1 and 7 days ago"


def test_explain_shows_each_condition_with_the_contacts_facts(world):
    rule = parse({"all": [{"field": "lifecycle_stage", "op": "in", "value": ["mql", "sql"]},
                          {"touchpoints": {"kind": "page_view", "channel": "seo"}, "op": "gte", "value": 3,
                           "within_days": 14},
                          {"not": {"field": "company.industry", "op": "eq", "value": "Retail"}},
                          {"lifecycle": {"became": "mql"}, "within_days": 30},
                          {"consent": {"channel": "email", "subscription": "newsletter"}, "op": "granted"}]})
    ann = explain(rule, world["ann"], NOW).to_json()
    assert (ann["text"], ann["result"], ann["actual"]) == ("All of these", True, "5 of 5 hold")
    assert [(c["result"], c["actual"]) for c in ann["children"]] == [
        (True, "Marketing qualified lead"), (True, "3 matching touchpoints"), (True, "it does not hold"),
        (True, "became Marketing qualified lead 10 days ago"), (True, "granted 30 days ago")]
    assert ann["children"][2]["children"][0] == {
        "text": 'Company industry is "Retail"', "result": False, "actual": '"Software"', "children": []}
    bob = explain(rule, world["bob"], NOW)
    assert bob.result is False and bob.actual == "0 of 5 hold"
    assert [c.actual for c in bob.children] == [  # the newsletter grant lost to the later channel-wide withdrawal
        "Lead", "0 matching touchpoints", "it holds", "never became Marketing qualified lead in that time",
        "withdrawn 5 days ago"]
    cat = explain({"all": [{"field": "company.industry", "op": "eq", "value": "x"},
                           {"field": "score.engagement", "op": "gt", "value": 1},
                           {"field": "first_name", "op": "is_set"}]}, world["cat"], NOW)
    assert [(c.result, c.actual) for c in cat.children] == [(False, "no company"), (True, "2"), (False, "unknown")]


def test_explain_agrees_with_evaluate(crowd):
    @settings(max_examples=60, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(predicates)
    def agree(data):
        p = parse(data)
        for contact in crowd[::3]:
            tree = explain(p, contact, NOW)
            assert tree.result == evaluate(p, contact, NOW), data
            assert describe(p)

    agree()
