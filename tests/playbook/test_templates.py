import pytest

from plumbline.core.errors import DomainError, ValidationFailed
from plumbline.playbook.actions import do_create_framework, do_update_framework
from plumbline.playbook.templates import TEMPLATES

EXPECTED_KEYS = {
    "bant": ["budget", "authority", "need", "timeline"],
    "meddic": ["metrics", "economic_buyer", "decision_criteria", "decision_process", "identify_pain", "champion"],
    "meddpicc": ["metrics", "economic_buyer", "decision_criteria", "decision_process", "paper_process",
                 "identify_pain", "champion", "competition"],
    "neat": ["need", "economic_impact", "access_to_authority", "timeline"],
    "champ": ["challenges", "authority", "money", "prioritization"],
    "spin": ["situation", "problem", "implication", "need_payoff"],
}


@pytest.mark.django_db
@pytest.mark.parametrize("template", sorted(EXPECTED_KEYS))
def test_each_template_instantiates_with_its_exact_criteria(template):
    # when a framework is created from the template
    framework = do_create_framework(template=template)
    # then it holds exactly the template's criteria, each with a question, an answer type and weight 1
    assert framework.name == TEMPLATES[template]["name"]
    assert framework.template == template
    assert [c["key"] for c in framework.criteria] == EXPECTED_KEYS[template]
    assert all(c["question"] and c["answer_type"] and c["weight"] == 1.0 for c in framework.criteria)


@pytest.mark.django_db
def test_bant_criteria_carry_their_answer_types():
    framework = do_create_framework(template="bant")
    assert [(c["key"], c["answer_type"]) for c in framework.criteria] == [
        ("budget", "amount"), ("authority", "person"), ("need", "text"), ("timeline", "date")]


@pytest.mark.django_db
def test_editing_a_copy_leaves_the_shipped_template_alone_and_a_second_copy_gets_a_new_name():
    first = do_create_framework(template="bant")
    criteria = first.criteria
    criteria[0]["weight"] = 3
    do_update_framework(framework=first, changes={"criteria": criteria[:2]})
    first.refresh_from_db()
    assert [(c["key"], c["weight"]) for c in first.criteria] == [("budget", 3.0), ("authority", 1.0)]
    assert TEMPLATES["bant"]["criteria"][0]["weight"] == 1.0
    assert do_create_framework(template="bant").name == "BANT (2)"


@pytest.mark.django_db
def test_bad_criteria_are_refused_with_index_and_field():
    framework = do_create_framework(template="bant")
    with pytest.raises(ValidationFailed) as exc:
        do_update_framework(framework=framework, changes={"criteria": [
            {"key": "budget", "label": "Budget", "weight": 0},
            {"key": "budget", "label": "", "answer_type": "colour"},
        ]})
    assert sorted((e.field, e.code) for e in exc.value.errors) == [
        ("criteria.0.weight", "invalid"), ("criteria.1.answer_type", "invalid_choice"),
        ("criteria.1.key", "duplicate"), ("criteria.1.label", "required"),
    ]
    framework.refresh_from_db()
    assert len(framework.criteria) == 4
    with pytest.raises(DomainError) as exc:
        do_create_framework(template="sandler")
    assert exc.value.field == "template"
