"""Form answers and form submissions in the predicate language: the latest submission decides, missing answers,
booleans, windows, validation paths, a changed or deleted form, sentences, dependencies and the catalogue, on both
evaluators with exact member sets (the forms fixture: ann answered the newsletter form 40 and 2 days ago, bob 20
days ago and the demo form 3 days ago, cat never)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from plumbline.crm.actions.contacts import do_delete_contact
from plumbline.crm.actions.privacy import do_erase_contact
from plumbline.crm.models import Contact
from plumbline.segments.predicate.catalogue import catalogue
from plumbline.segments.predicate.compile import compile_predicate
from plumbline.segments.predicate.dependencies import dependencies
from plumbline.segments.predicate.evaluate import evaluate
from plumbline.segments.predicate.explain import describe, explain
from plumbline.segments.predicate.schema import PredicateInvalid, parse
from plumbline.webforms.actions import do_delete_form, do_update_form
from plumbline.webforms.models import Submission
from tests.segments.conftest import NOW, submit
from tests.segments.test_predicate import both, errors


def people(world) -> list[Contact]:
    return [world["ann"], world["bob"], world["cat"]]


def answer(slug: str, key: str, op: str, value=None) -> dict:
    cond = {"form": {"form": slug, "field": key}, "op": op}
    if value is not None:
        cond["value"] = value
    return cond


def sent(slug: str, op: str = "submitted", within_days: int | None = None) -> dict:
    cond = {"form": {"form": slug}, "op": op}
    if within_days is not None:
        cond["within_days"] = within_days
    return cond


def test_the_latest_submission_of_the_form_decides(world, forms):
    def a(key, op, value=None, slug="newsletter"):
        return both(answer(slug, key, op, value), people(world))

    assert a("size", "eq", "51-200") == {"ann"}
    assert a("size", "eq", "1-10") == set()  # ann's earlier answer no longer counts
    assert a("size", "neq", "51-200") == {"bob", "cat"}  # cat never submitted: missing, so neq holds
    assert a("size", "in", ["11-50", "51-200"]) == {"ann", "bob"}
    assert a("size", "not_in", ["11-50"]) == {"ann", "cat"}
    assert a("role", "eq", "head of growth") == {"ann"}  # text compares case-insensitively
    assert a("role", "eq", "founder") == set()
    assert a("role", "contains", "GROWTH") == {"ann"}
    assert a("role", "starts_with", "head") == {"ann"}
    assert a("role", "is_set") == {"ann"}
    assert a("role", "is_not_set") == {"bob", "cat"}  # bob left it blank
    assert a("team", "eq", "SALES OPS", slug="demo") == {"bob"}


def test_checkbox_and_consent_answers_are_booleans(world, forms):
    def a(key, op, value=None, slug="newsletter"):
        return both(answer(slug, key, op, value), people(world))

    assert a("offers", "eq", True) == {"ann"}
    assert a("offers", "eq", False) == {"bob"}  # an unticked box is false, not missing
    assert a("offers", "neq", True) == {"bob", "cat"}
    assert a("offers", "is_set") == {"ann", "bob"}
    assert a("offers", "is_not_set") == {"cat"}
    assert a("news", "eq", True, slug="demo") == {"bob"}


def test_submitted_in_a_window_that_includes_both_ends(world, forms):
    assert both(sent("newsletter"), people(world)) == {"ann", "bob"}
    assert both(sent("newsletter", within_days=2), people(world)) == {"ann"}
    assert both(sent("newsletter", within_days=1), people(world)) == set()
    assert both(sent("newsletter", within_days=20), people(world)) == {"ann", "bob"}
    assert both(sent("newsletter", within_days=20), people(world), NOW + dt.timedelta(seconds=1)) == {"ann"}
    # 3 days before NOW bob's demo submission has not happened yet
    assert both(sent("demo", within_days=30), people(world), NOW - dt.timedelta(days=4)) == set()
    assert both(sent("demo", "not_submitted", 5), people(world)) == {"ann", "cat"}
    assert both(sent("newsletter", "not_submitted"), people(world)) == {"cat"}


def test_at_equal_times_the_later_submission_decides(world, forms):
    cat = world["cat"]
    submit(forms["newsletter"], cat, {"size": "201+"}, 7)
    submit(forms["newsletter"], cat, {"size": "1-10"}, 7)
    assert both(answer("newsletter", "size", "eq", "1-10"), people(world)) == {"cat"}
    assert both(answer("newsletter", "size", "eq", "201+"), people(world)) == set()


def test_a_later_submission_without_the_answer_makes_it_missing(world, forms):
    submit(forms["newsletter"], world["ann"], {}, 1)
    assert both(answer("newsletter", "size", "is_set"), people(world)) == {"bob"}
    assert both(answer("newsletter", "offers", "eq", False), people(world)) == {"ann", "bob"}


def test_an_answer_of_another_type_than_its_field_is_missing(world, forms):
    # The newsletter's role becomes a checkbox: ann's "Head of Growth" is not a boolean, so it reads as missing.
    fields = [{"label": f.label, "key": f.key, "type": f.type, "maps_to": f.maps_to, "options": f.options}
              for f in forms["newsletter"].fields.all()]
    for f in fields:
        if f["key"] == "role":
            f["type"] = "checkbox"
        if f["key"] == "offers":
            f["type"] = "text"
    do_update_form(form=forms["newsletter"], changes={"fields": fields})
    assert both(answer("newsletter", "role", "is_set"), people(world)) == set()
    assert both(answer("newsletter", "role", "eq", True), people(world)) == set()
    assert both(answer("newsletter", "offers", "eq", "true"), people(world)) == set()
    assert both(answer("newsletter", "offers", "is_not_set"), people(world)) == {"ann", "bob", "cat"}


def test_an_erased_contact_has_no_answers_and_a_deleted_one_leaves_negations_two_valued(world, forms):
    do_erase_contact(contact=world["ann"])
    ann = Contact.objects.get(pk=world["ann"].pk)
    erased = ann.email.split("@")[0]
    now_people = [ann, world["bob"], world["cat"]]
    assert both(answer("newsletter", "size", "is_set"), now_people) == {"bob"}
    assert both(sent("newsletter"), now_people) == {erased, "bob"}  # the submissions stay, without answers
    do_delete_contact(contact=world["bob"])
    assert Submission.objects.filter(contact__isnull=True).count() == 2
    rest = [ann, world["cat"]]
    assert both(sent("demo", "not_submitted"), rest) == {erased, "cat"}
    assert both(answer("newsletter", "size", "neq", "11-50"), rest) == {erased, "cat"}


def test_form_conditions_are_validated_with_their_paths(world, forms):
    assert errors({"all": [{"field": "email", "op": "is_set"}, sent("nope")]}) == [("$.all[1].form.form",
                                                                                     "unknown_form")]
    assert errors(answer("newsletter", "colour", "eq", "red")) == [("$.form.field", "unknown_field")]
    assert errors(answer("demo", "size", "eq", "1-10")) == [("$.form.field", "unknown_field")]
    assert errors(answer("newsletter", "size", "eq", "huge")) == [("$.value", "invalid")]
    assert errors(answer("newsletter", "size", "in", ["1-10", "huge"])) == [("$.value[1]", "invalid")]
    assert errors(answer("newsletter", "offers", "contains", "x")) == [("$.op", "op")]
    assert errors(answer("newsletter", "offers", "eq", "yes")) == [("$.value", "invalid")]
    assert errors(answer("newsletter", "role", "eq", "")) == [("$.value", "invalid")]
    assert errors(answer("newsletter", "role", "gt", "a")) == [("$.op", "literal_error")]
    assert errors({"form": {"form": "newsletter"}, "op": "eq", "value": "x"}) == [("$.form.field", "missing")]
    assert errors({"form": {"form": "newsletter", "field": "size"}, "op": "submitted"}) == [
        ("$.form.field", "invalid")]
    assert errors({**sent("newsletter"), "value": 3}) == [("$.value", "invalid")]
    assert errors({**answer("newsletter", "size", "is_set"), "within_days": 3}) == [("$.within_days", "invalid")]
    assert errors({"form": {"form": ""}, "op": "submitted"}) == [("$.form.form", "string_too_short")]
    # A drop-down's values must be among its options; contains and starts_with take any text.
    assert parse(answer("newsletter", "size", "starts_with", "5")).to_json() == {
        "version": 1, "form": {"form": "newsletter", "field": "size"}, "op": "starts_with", "value": "5"}


def test_a_deleted_form_is_an_error_not_a_guess_and_is_still_described(world, forms):
    p = parse(answer("newsletter", "size", "eq", "51-200"))
    do_delete_form(form=forms["newsletter"])
    with pytest.raises(PredicateInvalid) as exc:
        compile_predicate(p, NOW)
    assert [(e.field, e.code) for e in exc.value.errors] == [("form.form", "unknown_form")]
    with pytest.raises(PredicateInvalid):
        evaluate(p, world["ann"], NOW)
    assert describe(p) == 'Answered “size” (a field that no longer exists) on form "newsletter" (deleted) with 51-200'


def test_describe_says_form_conditions_in_words(world, forms):
    assert describe(answer("newsletter", "size", "eq", "51-200")) == (
        "Answered “Company size” on Newsletter form with 51-200")
    assert describe(answer("newsletter", "size", "not_in", ["1-10", "11-50"])) == (
        "Did not answer “Company size” on Newsletter form with any of 1-10, 11-50")
    assert describe(answer("newsletter", "role", "contains", "growth")) == (
        'Answered “Your role” on Newsletter form with an answer containing "growth"')
    assert describe(answer("newsletter", "role", "is_not_set")) == "Did not answer “Your role” on Newsletter form"
    assert describe(answer("newsletter", "offers", "eq", True)) == "Ticked “Send me offers” on Newsletter form"
    assert describe(answer("newsletter", "offers", "eq", False)) == (
        "Left “Send me offers” unticked on Newsletter form")
    assert describe(answer("newsletter", "offers", "is_set")) == "Answered “Send me offers” on Newsletter form"
    # A name that already ends in "form" is not said twice.
    assert describe(sent("demo", within_days=30)) == "Submitted Demo request form in the last 30 days"
    assert describe(sent("newsletter", "not_submitted")) == "Never submitted Newsletter form"
    assert describe({"all": [sent("newsletter", within_days=30), answer("newsletter", "size", "eq", "51-200")]}) == (
        "Submitted Newsletter form in the last 30 days and answered “Company size” on Newsletter form with 51-200")


def test_explain_shows_the_contacts_answer_and_when(world, forms):
    def actual(cond, who):
        return explain(cond, world[who], NOW).actual

    assert actual(answer("newsletter", "size", "eq", "51-200"), "ann") == '"51-200" (submitted 2 days ago)'
    assert actual(answer("newsletter", "size", "eq", "51-200"), "cat") == "never submitted"
    assert actual(answer("newsletter", "role", "is_set"), "bob") == "no answer (submitted 20 days ago)"
    assert actual(answer("newsletter", "offers", "eq", True), "bob") == "unticked (submitted 20 days ago)"
    assert actual(sent("newsletter"), "ann") == "submitted 2 days ago (2 times)"
    assert actual(sent("newsletter", within_days=30), "ann") == "submitted 2 days ago"
    assert actual(sent("newsletter", within_days=10), "bob") == "not submitted in that time"
    tree = explain({"any": [answer("newsletter", "size", "eq", "51-200"), sent("demo")]}, world["bob"], NOW)
    assert tree.to_json() == {"text": "Any of these", "result": True, "actual": "1 of 2 hold", "children": [
        {"text": "Answered “Company size” on Newsletter form with 51-200", "result": False,
         "actual": '"11-50" (submitted 20 days ago)', "children": []},
        {"text": "Submitted Demo request form", "result": True, "actual": "submitted 3 days ago", "children": []}]}


def test_dependencies_of_form_conditions(world, forms):
    deps = dependencies(parse({"all": [answer("newsletter", "size", "eq", "51-200"), sent("demo", "not_submitted")]}))
    assert deps.events == {"form.submitted"}
    assert deps.forms == {"newsletter", "demo"}
    assert deps.relative is False
    assert deps.affected_by("form.submitted", form="demo") is True
    assert deps.affected_by("form.submitted", form="other") is False
    assert deps.affected_by("touchpoint.recorded") is False
    assert dependencies(parse(sent("demo", within_days=30))).relative is True


def test_one_contact_with_form_conditions_takes_a_few_queries(world, forms, django_assert_num_queries):
    p = parse({"all": [answer("newsletter", "size", "eq", "51-200"), answer("newsletter", "offers", "eq", True),
                       sent("demo", "not_submitted", 30)]})
    # the contact with its company, the forms and their fields, the contact's submissions
    with django_assert_num_queries(4):
        assert evaluate(p, world["ann"].pk, NOW) is True


def test_catalogue_lists_the_forms_with_their_fields(world, forms):
    entry = json.loads(json.dumps(catalogue()))["conditions"]["form"]
    assert entry["label"] == "Form answers"
    assert entry["submission_ops"] == [{"op": "submitted", "label": "was submitted"},
                                       {"op": "not_submitted", "label": "was not submitted"}]
    assert entry["within_days"] == "submission_ops"
    assert [(f["value"], f["label"]) for f in entry["forms"]] == [("demo", "Demo request form"),
                                                                  ("newsletter", "Newsletter")]
    newsletter = {f["key"]: f for f in entry["forms"][1]["fields"]}
    assert list(newsletter) == ["email", "size", "role", "offers"]
    assert newsletter["size"] == {
        "key": "size", "label": "Company size", "type": "text", "field_type": "select",
        "field_type_label": "Drop-down",
        "ops": [{"op": "eq", "label": "is"}, {"op": "neq", "label": "is not"}, {"op": "in", "label": "is any of"},
                {"op": "not_in", "label": "is none of"}, {"op": "contains", "label": "contains"},
                {"op": "starts_with", "label": "starts with"}, {"op": "is_set", "label": "is answered"},
                {"op": "is_not_set", "label": "is not answered"}],
        "choices": [{"value": v, "label": v} for v in ["1-10", "11-50", "51-200", "201+"]]}
    assert newsletter["offers"]["type"] == "boolean"
    assert newsletter["offers"]["field_type_label"] == "Checkbox"
    assert [o["op"] for o in newsletter["offers"]["ops"]] == ["eq", "neq", "is_set", "is_not_set"]
    assert newsletter["offers"]["choices"] == [{"value": True, "label": "Ticked"},
                                               {"value": False, "label": "Not ticked"}]
    assert "choices" not in newsletter["role"]
