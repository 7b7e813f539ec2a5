"""Why a contact is (or is not) in a segment, and a segment's rule in words.

`explain(predicate, contact, now)` gives a tree mirroring the predicate: each node says its condition in a
sentence, whether it holds for the contact, what the contact has, and its children (for any/all/not). Every child
is explained (no short cut), and each leaf's result comes from evaluate.py's own functions, so the root's result
is exactly `evaluate(predicate, contact, now)` (tests/segments checks it on random predicates).

`describe(node)` is a condition alone in words, for list pages ("Lifecycle stage is any of Marketing qualified
lead, Sales qualified lead and at least 3 page views from SEO in the last 14 days").
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from plumbline.consent.models import Status
from plumbline.crm.models import Contact, LifecycleStage
from plumbline.segments.predicate import words
from plumbline.segments.predicate.evaluate import (
    Facts,
    consent_entry,
    holds,
    lifecycle_matches,
    matching_deals,
    touchpoint_count,
)
from plumbline.segments.predicate.schema import (
    MOMENT,
    AllOf,
    AnyOf,
    ConsentCondition,
    DealCount,
    FieldCondition,
    FieldSpec,
    LifecycleCondition,
    Not,
    Predicate,
    SegmentCondition,
    TouchpointCount,
    custom_specs,
    field_spec,
    known_spec,
    parse,
)


@dataclass(frozen=True)
class Explanation:
    """One node of the explanation: `text` the condition in words, `result` whether it holds for the contact,
    `actual` what the contact has ("Lead", "1 matching touchpoint", "no company"), `children` for any/all/not."""

    text: str
    result: bool
    actual: str
    children: list[Explanation] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "result": self.result, "actual": self.actual,
                "children": [c.to_json() for c in self.children]}


def _root(predicate: Predicate | Any, custom: dict[str, FieldSpec] | None, references: bool = True) -> Any:
    if isinstance(predicate, Predicate):
        return predicate.root
    if isinstance(predicate, dict):
        return parse(predicate, custom=custom, references=references).root
    return predicate


# ---- describe ----

def _join(children: list[Any], word: str, custom: dict[str, FieldSpec]) -> str:
    parts = []
    for i, child in enumerate(children):
        text = _describe(child, custom)
        if isinstance(child, (AnyOf, AllOf)) and len(child.any if isinstance(child, AnyOf) else child.all) > 1:
            text = f"({words.lower_first(text) if i else text})"
        elif i:
            text = words.lower_first(text)
        parts.append(text)
    return f" {word} ".join(parts)


def _touchpoints_text(node: TouchpointCount) -> str:
    f = node.touchpoints
    one, many = words.kind_nouns(f.kind)
    text = words.count_phrase(node.op, node.value, one, many)
    if f.channel is not None:
        text += f" from {words.channel_label(f.channel)}"
    if f.campaign is not None:
        text += f" in {words.campaign_name(f.campaign)}"
    if f.content is not None:
        text += f' of "{f.content}"'
    if f.content_starts_with is not None:
        text += f' of a page or name starting with "{f.content_starts_with}"'
    utm = [f'{label} "{getattr(f, name)}"' for name, label in (("source", "source"), ("medium", "medium"),
                                                               ("utm_campaign", "UTM campaign"))
           if getattr(f, name) is not None]
    if utm:
        text += " with " + " and ".join(utm)
    if node.within_days is not None:
        text += f" in the last {words.days(node.within_days)}"
    return text


def _consent_text(node: ConsentCondition) -> str:
    c = node.consent
    what = (f"{words.consent_channel_label(c.channel)} consent" if c.subscription is None
            else f"{words.subscription_label(c.subscription)} consent ({words.consent_channel_label(c.channel)})")
    return f"{what} {words.CONSENT_OP_LABELS[node.op]}"


def _lifecycle_text(node: LifecycleCondition) -> str:
    stage = dict(LifecycleStage.choices).get(node.lifecycle.became, node.lifecycle.became)
    window = f" in the last {words.days(node.within_days)}" if node.within_days is not None else ""
    return f"Became {stage}{window}"


def _deals_text(node: DealCount) -> str:
    f = node.deals
    one = f"{f.status} deal" if f.status is not None else "deal"
    text = words.count_phrase(node.op, node.value, one, one + "s")
    if f.pipeline is not None:
        text += f" in {words.pipeline_name(f.pipeline)}"
    if f.stage is not None:
        text += f" in {words.stage_name(f.stage)}"
    text += words.amount_phrase(f.min_amount, f.max_amount)
    return text + (" at their company" if f.via == "company" else "")


def _segment_text(node: SegmentCondition) -> str:
    return f"{'In' if node.op == 'member' else 'Not in'} {words.segment_name(node.segment)}"


def _describe(node: Any, custom: dict[str, FieldSpec]) -> str:
    if isinstance(node, AllOf):
        return _join(node.all, "and", custom)
    if isinstance(node, AnyOf):
        return _join(node.any, "or", custom)
    if isinstance(node, Not):
        return f"Not ({words.lower_first(_describe(node.not_, custom))})"
    if isinstance(node, FieldCondition):
        spec = field_spec(node.field, custom)
        if spec is None:
            value = "" if node.value is None else " " + ", ".join(
                json.dumps(v) for v in (node.value if isinstance(node.value, list) else [node.value]))
            return f'"{node.field}" (a field that no longer exists) {words.OP_LABELS[node.op]}{value}'
        return words.field_sentence(spec, node.op, node.value)
    if isinstance(node, TouchpointCount):
        return _touchpoints_text(node)
    if isinstance(node, LifecycleCondition):
        return _lifecycle_text(node)
    if isinstance(node, ConsentCondition):
        return _consent_text(node)
    if isinstance(node, SegmentCondition):
        return _segment_text(node)
    if isinstance(node, DealCount):
        return _deals_text(node)
    raise TypeError(f"not a predicate node: {node!r}")


def describe(node: Predicate | Any, *, custom: dict[str, FieldSpec] | None = None) -> str:
    """The condition (a Predicate, one of its nodes, or a predicate's JSON form) in words. A saved predicate that
    names what has gone since (a custom field, a segment, a stage) is still described, saying so; a JSON form of
    the wrong shape raises PredicateInvalid."""
    custom = custom if custom is not None else custom_specs()
    return _describe(_root(node, custom, references=False), custom)


# ---- explain ----

def _field_actual(node: FieldCondition, facts: Facts, now: dt.datetime) -> str:
    spec = known_spec(node.field, facts.custom)
    if spec.source in ("company", "company_custom") and not facts.contact.company_id:
        return "no company"
    if spec.source == "score" and facts.score is None:
        return "no score"
    raw = facts.raw(spec)
    if raw is None:
        return "unknown"
    if spec.type == MOMENT:
        return words.ago(now, raw)
    return words.show(spec, raw)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} matching {one if n == 1 else many}"


def _leaf_actual(node: Any, facts: Facts, now: dt.datetime) -> str:
    if isinstance(node, FieldCondition):
        return _field_actual(node, facts, now)
    if isinstance(node, TouchpointCount):
        return _count(touchpoint_count(node, facts, now), "touchpoint", "touchpoints")
    if isinstance(node, LifecycleCondition):
        stage = dict(LifecycleStage.choices).get(node.lifecycle.became, node.lifecycle.became)
        matches = lifecycle_matches(node, facts, now)
        if matches:
            return f"became {stage} {words.ago(now, matches[-1])}"
        return f"never became {stage}" + (" in that time" if node.within_days is not None else "")
    if isinstance(node, ConsentCondition):
        entry = consent_entry(node, facts)
        if entry is None:
            return "no consent recorded"
        return f"{dict(Status.choices)[entry.status].lower()} {words.ago(now, entry.occurred_at)}"
    if isinstance(node, SegmentCondition):
        since = facts.memberships.get(node.segment)
        return "not a member" if since is None else f"a member (entered {words.ago(now, since)})"
    if isinstance(node, DealCount):
        if node.deals.via == "company" and not facts.contact.company_id:
            return "no company"
        return _count(len(matching_deals(node, facts)), "deal", "deals")
    raise TypeError(f"not a predicate node: {node!r}")


def _explain(node: Any, facts: Facts, now: dt.datetime) -> Explanation:
    custom = facts.custom
    if isinstance(node, (AnyOf, AllOf)):
        kids = [_explain(c, facts, now) for c in (node.any if isinstance(node, AnyOf) else node.all)]
        held = sum(k.result for k in kids)
        result = held > 0 if isinstance(node, AnyOf) else held == len(kids)
        text = "Any of these" if isinstance(node, AnyOf) else "All of these"
        return Explanation(text, result, f"{held} of {len(kids)} hold", kids)
    if isinstance(node, Not):
        kid = _explain(node.not_, facts, now)
        return Explanation("Not this", not kid.result, "it holds" if kid.result else "it does not hold", [kid])
    return Explanation(_describe(node, custom), holds(node, facts, now), _leaf_actual(node, facts, now))


def explain(predicate: Predicate | Any, contact: Contact | int, now: dt.datetime) -> Explanation:
    """The predicate's tree for this contact at `now`, each node with its sentence, result and what the contact
    has. The root's result is `evaluate(predicate, contact, now)`."""
    facts = Facts(contact)
    return _explain(_root(predicate, facts.custom), facts, now)
