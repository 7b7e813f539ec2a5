"""Display labels for the codes the plumb line is written in (stages, touchpoint kinds, channels, reject reasons,
fit-rule fields and operators), so pages show "Pricing page view" and "No budget", never `pricing_view`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from plumbline.crm.models import Activity, LifecycleStage
from plumbline.definitions.queries import current_version, parsed
from plumbline.marketing.models import Channel, TouchpointKind

FIT_FIELD_LABELS = {
    "company.industry": "Company industry",
    "company.employee_count": "Company employees",
    "company.annual_revenue": "Company annual revenue",
    "company.country": "Company country",
    "contact.title": "Job title",
    "contact.seniority": "Seniority",
    "contact.source": "Contact source",
    "contact.email_domain": "Email domain",
}
OP_LABELS = {
    "eq": "is", "in": "is one of", "not_in": "is not one of", "gte": "is at least", "lte": "is at most",
    "between": "is between", "contains": "contains",
}
SENIORITY_LABELS = {"c_level": "C-level", "vp": "VP"}


def humanize(code: Any) -> str:
    """An unknown code, readable: `no_budget` -> "No budget"."""
    text = str(code).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


# Vocabularies of the apps above definitions, which they name from their AppConfig.ready() (playbook: answer
# statuses and objection categories): vocabulary -> a function giving {code: label}.
_VOCABULARIES: dict[str, Callable[[], dict[str, str]]] = {}


def register_vocabulary(vocabulary: str, choices: Callable[[], dict[str, str]]) -> None:
    _VOCABULARIES[vocabulary] = choices


def _choices(vocabulary: str) -> dict[str, str]:
    if vocabulary == "stage":
        return dict(LifecycleStage.choices)
    if vocabulary == "touchpoint":
        return dict(TouchpointKind.choices)
    if vocabulary == "channel":
        return dict(Channel.choices)
    if vocabulary == "activity":
        return dict(Activity.Kind.choices)
    if vocabulary == "reject_reason":
        return {r.code: r.label for r in parsed(current_version()).reject_reasons}
    if vocabulary == "fit_field":
        return FIT_FIELD_LABELS
    if vocabulary == "op":
        return OP_LABELS
    if vocabulary in _VOCABULARIES:
        return _VOCABULARIES[vocabulary]()
    raise ValueError(f"unknown vocabulary {vocabulary!r}")


def label(code: Any, vocabulary: str) -> str:
    """The label of `code` in `vocabulary`; a code the vocabulary does not know is humanized."""
    if code in (None, ""):
        return ""
    return _choices(vocabulary).get(str(code)) or humanize(code)


def fit_value(field: str, op: str, value: Any) -> str:
    """A fit rule's value as people write it: lists joined, seniorities named, custom fields as they are."""
    items = value if isinstance(value, list) else [value]
    if field == "contact.seniority":
        items = [SENIORITY_LABELS.get(str(v), humanize(v)) for v in items]
    if op == "between":
        return f"{items[0]:,} and {items[1]:,}" if all(isinstance(v, int | float) for v in items) else " and ".join(map(str, items))
    return ", ".join(f"{v:,}" if isinstance(v, int | float) and not isinstance(v, bool) else str(v) for v in items)
