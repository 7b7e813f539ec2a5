"""`{{ code|label:"stage" }}`: the display label of a code (see plumbline.definitions.labels)."""

from __future__ import annotations

from typing import Any

from django import template

from plumbline.definitions import labels

register = template.Library()


@register.filter(name="label")
def label(code: Any, vocabulary: str) -> str:
    return labels.label(code, vocabulary)


@register.simple_tag
def fit_rule_value(rule: Any) -> str:
    return labels.fit_value(rule.field, rule.op, rule.value)
