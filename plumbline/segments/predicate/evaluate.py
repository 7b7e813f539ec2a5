"""The per-contact evaluator: a predicate and one contact (and `now`) give True or False, in Python, from a few
queries for that contact (its row with its company, and only when the predicate asks: its score, touchpoints,
lifecycle transitions, consent ledger, segment memberships, deals, its company's deals).

The semantics, shared with compile.py (the SQL evaluator) and checked by tests/segments' property test:

- **Missing values.** A field's value is missing when it is NULL, a blank string, when the contact has no company
  (company.*, company.custom.*), no score row (score.*), or the `custom` JSON (the contact's, or its company's for
  company.custom.*) lacks the key (or holds null or "", or a value of another type). The positive
  operators (eq, in, lt, lte, gt, gte, between, contains, starts_with, is_set) are false on a missing value;
  neq, not_in and is_not_set are exactly their negations, so they are true on a missing value
  (`{"field": "company.industry", "op": "neq", "value": "Retail"}` holds for a contact without a company).
- **Case.** Text fields compare case-insensitively (eq, neq, in, not_in, contains, starts_with): both sides are
  lower-cased. SQLite's lower() folds only ASCII letters, so on SQLite this evaluator folds only ASCII letters too;
  on PostgreSQL both fold every letter. Choice fields (lifecycle_stage, consent_status, score.fit_grade, custom
  choice) and booleans compare exactly. Numbers compare as numbers; dates (custom date fields, YYYY-MM-DD) as
  their ISO strings, which orders them by date. Moments (created_at, lifecycle_changed_at, score.last_event_at)
  compare with relative dates only: `{"days_ago": n}` is the instant now - n x 24 h
  (`{"field": "lifecycle_changed_at", "op": "gte", "value": {"days_ago": 30}}`: changed in the last 30 days).
- **Touchpoints.** The count of the contact's Touchpoint rows matching every filter given: kind, channel and
  campaign exactly; content (the page path, form or event name), source, medium and utm_campaign equal and
  content_starts_with a prefix, all four case-insensitively as text fields are (so "/Pricing" is "/pricing"; a
  blank column matches nothing). With `within_days` d only those with now - d x 24 h <= occurred_at <= now,
  without it all of them. Bot hits never become touchpoints (tracking makes touchpoints from human hits only), so
  every row counts. "None in 90 days" is `"op": "eq", "value": 0` (or lt 1) with `"within_days": 90`.
- **Lifecycle.** `{"lifecycle": {"became": s}, "within_days": d}` holds when a LifecycleTransition to s has
  now - d x 24 h <= occurred_at <= now (without `within_days`: ever).
- **Consent.** plumbline.consent.queries' rule: a type is granted when its own latest ledger row grants it and no
  later channel-wide withdrawal is the channel's latest row; without `subscription`, the channel-wide latest row
  decides. A subscription code that names no type is never granted.
- **Segments.** `{"segment": id, "op": "member"}` holds when a Membership row joins the contact to the segment
  now (whatever the segment's kind: dynamic, static list or snapshot); not_member is its negation. A deleted
  segment has no members. Membership is as last written: a dynamic segment read here is as current as its own
  evaluation (dependencies() names the segments read so they are evaluated first).
- **Deals.** The count of deals matching every filter given (status, pipeline id, stage id or name, amount
  between min_amount and max_amount inclusive, in the deal's own currency, unconverted). `via: "contact"` counts
  the deals the contact has a role on (DealContact, any role); `via: "company"` the deals whose company is the
  contact's company (none without a company). Counts compare like touchpoint counts; the default is gte 1.
- **Form answers** are not in the language (see schema.py): webforms' submissions are not readable from here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.db import connection

from plumbline.consent.models import ConsentEntry, Status, SubscriptionType
from plumbline.consent.queries import effective
from plumbline.crm.models import Contact, Deal, LifecycleTransition
from plumbline.marketing.models import Touchpoint
from plumbline.scoring.models import ContactScore
from plumbline.segments.models import Membership
from plumbline.segments.predicate.schema import (
    BOOLEAN,
    CHOICE,
    DATE,
    MOMENT,
    NUMBER,
    TEXT,
    AllOf,
    AnyOf,
    ConsentCondition,
    DealCount,
    DealFilter,
    FieldCondition,
    FieldSpec,
    LifecycleCondition,
    Not,
    Predicate,
    SegmentCondition,
    TouchpointCount,
    TouchpointFilter,
    custom_specs,
    is_custom,
    known_spec,
)

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def fold(text: str) -> str:
    """Lower-case as the database's lower() does (SQLite: ASCII letters only)."""
    return text.lower() if connection.vendor == "postgresql" else text.translate(_ASCII_LOWER)


class Facts:
    """What the predicate may read about one contact, each part loaded on first use (one query each)."""

    def __init__(self, contact: Contact | int) -> None:
        pk = contact if isinstance(contact, int) else contact.pk
        self.contact = Contact.objects.select_related("company").get(pk=pk)
        self._custom: dict[str, FieldSpec] | None = None
        self._deals: dict[str, list[dict[str, Any]]] = {}

    @cached_property
    def score(self) -> ContactScore | None:
        return ContactScore.objects.filter(contact_id=self.contact.pk).first()

    @cached_property
    def touchpoints(self) -> list[dict[str, Any]]:
        return list(Touchpoint.objects.filter(contact_id=self.contact.pk)
                    .values("kind", "channel", "campaign_id", "occurred_at", *TouchpointFilter.TEXTS))

    @cached_property
    def memberships(self) -> dict[int, dt.datetime]:
        """The segments the contact is a member of now, with since when."""
        return dict(Membership.objects.filter(contact_id=self.contact.pk).values_list("segment_id", "since"))

    def deals(self, via: str) -> list[dict[str, Any]]:
        """The contact's deals (those it has a role on) or its company's (none without a company)."""
        if via not in self._deals:
            if via == "contact":
                rows = Deal.objects.filter(deal_contacts__contact_id=self.contact.pk)
            else:
                rows = Deal.objects.filter(company_id=self.contact.company_id) if self.contact.company_id else None
            self._deals[via] = [] if rows is None else list(
                rows.values("pk", "status", "pipeline_id", "stage_id", "stage__name", "amount"))
        return self._deals[via]

    @cached_property
    def transitions(self) -> list[tuple[str, dt.datetime]]:
        return list(LifecycleTransition.objects.filter(contact_id=self.contact.pk)
                    .values_list("to_stage", "occurred_at"))

    @cached_property
    def consent(self) -> dict[tuple[str, int | None], ConsentEntry]:
        latest: dict[tuple[str, int | None], ConsentEntry] = {}
        for entry in ConsentEntry.objects.filter(contact_id=self.contact.pk).order_by("occurred_at", "id"):
            latest[(entry.channel, entry.subscription_id)] = entry
        return latest

    @cached_property
    def subscription_ids(self) -> dict[str, int]:
        return dict(SubscriptionType.objects.values_list("code", "pk"))

    @property
    def custom(self) -> dict[str, FieldSpec]:
        if self._custom is None:
            self._custom = custom_specs()
        return self._custom

    def value(self, spec: FieldSpec) -> Any:
        """The field's value as the operators compare it (text folded, numbers as floats), None when missing (see
        the module docstring)."""
        raw = self.raw(spec)
        if raw is None:
            return None
        if spec.type == TEXT:
            return fold(raw)
        if spec.type == NUMBER:
            return float(raw)
        return raw

    def raw(self, spec: FieldSpec) -> Any:
        """The field's value as stored, None when missing."""
        if spec.source == "contact":
            raw = getattr(self.contact, spec.attr)
        elif spec.source == "company":
            raw = getattr(self.contact.company, spec.attr) if self.contact.company_id else None
        elif spec.source == "score":
            raw = getattr(self.score, spec.attr) if self.score is not None else None
        else:
            if spec.source == "custom":
                raw = (self.contact.custom or {}).get(spec.attr)
            else:  # company_custom
                raw = (self.contact.company.custom or {}).get(spec.attr) if self.contact.company_id else None
            if spec.type == NUMBER and (isinstance(raw, bool) or not isinstance(raw, (int, float))):
                raw = None
            elif spec.type == BOOLEAN and not isinstance(raw, bool):
                raw = None
            elif spec.type in (TEXT, CHOICE, DATE) and not isinstance(raw, str):
                raw = None
        return None if raw is None or raw == "" else raw


def _norm(spec: FieldSpec, now: dt.datetime, value: Any) -> Any:
    if spec.type == MOMENT:
        return now - dt.timedelta(days=value["days_ago"])
    if spec.type == TEXT:
        return fold(value)
    if spec.type == NUMBER:
        return float(value)
    return value


def _field(node: FieldCondition, facts: Facts, now: dt.datetime) -> bool:
    negated = {"neq": "eq", "not_in": "in", "is_not_set": "is_set"}
    if node.op in negated:
        return not _field(node.model_copy(update={"op": negated[node.op]}), facts, now)
    spec = known_spec(node.field, facts.custom if is_custom(node.field) else {})
    v = facts.value(spec)
    if v is None:
        return False
    op, value = node.op, node.value
    if op == "is_set":
        return True
    if op == "eq":
        return v == _norm(spec, now, value)
    if op == "in":
        return v in {_norm(spec, now, x) for x in value}
    if op == "contains":
        return _norm(spec, now, value) in v
    if op == "starts_with":
        return v.startswith(_norm(spec, now, value))
    if op == "between":
        return _norm(spec, now, value[0]) <= v <= _norm(spec, now, value[1])
    target = _norm(spec, now, value)
    return {"lt": v < target, "lte": v <= target, "gt": v > target, "gte": v >= target}[op]


def _since(now: dt.datetime, days: int | None) -> dt.datetime | None:
    return None if days is None else now - dt.timedelta(days=days)


def compare_count(n: int, op: str, value: int) -> bool:
    return {"gte": n >= value, "gt": n > value, "eq": n == value, "lte": n <= value, "lt": n < value}[op]


def _touchpoint_matches(f: TouchpointFilter, row: dict[str, Any]) -> bool:
    if f.kind is not None and row["kind"] != f.kind or f.channel is not None and row["channel"] != f.channel:
        return False
    if f.campaign is not None and row["campaign_id"] != f.campaign:
        return False
    if any(getattr(f, name) is not None and fold(row[name]) != fold(getattr(f, name))
           for name in TouchpointFilter.TEXTS):
        return False
    return f.content_starts_with is None or fold(row["content"]).startswith(fold(f.content_starts_with))


def touchpoint_count(node: TouchpointCount, facts: Facts, now: dt.datetime) -> int:
    """How many of the contact's touchpoints the node's filter and window match."""
    f, since = node.touchpoints, _since(now, node.within_days)
    return sum(1 for row in facts.touchpoints
               if _touchpoint_matches(f, row) and (since is None or since <= row["occurred_at"] <= now))


def _touchpoints(node: TouchpointCount, facts: Facts, now: dt.datetime) -> bool:
    return compare_count(touchpoint_count(node, facts, now), node.op, node.value)


def lifecycle_matches(node: LifecycleCondition, facts: Facts, now: dt.datetime) -> list[dt.datetime]:
    """When the contact became the node's stage, within its window."""
    since = _since(now, node.within_days)
    return sorted(at for stage, at in facts.transitions
                  if stage == node.lifecycle.became and (since is None or since <= at <= now))


def _lifecycle(node: LifecycleCondition, facts: Facts, now: dt.datetime) -> bool:
    return bool(lifecycle_matches(node, facts, now))


def consent_entry(node: ConsentCondition, facts: Facts) -> ConsentEntry | None:
    """The ledger row that decides the node's channel or type (None: no row, or a code that names no type)."""
    channel, code = node.consent.channel, node.consent.subscription
    if code is not None and code not in facts.subscription_ids:
        return None
    return effective(facts.consent, channel, None if code is None else facts.subscription_ids[code])


def _deal_matches(f: DealFilter, row: dict[str, Any]) -> bool:
    if f.status is not None and row["status"] != f.status or f.pipeline is not None and row["pipeline_id"] != f.pipeline:
        return False
    if f.stage is not None and row["stage_id" if isinstance(f.stage, int) else "stage__name"] != f.stage:
        return False
    if f.min_amount is not None and row["amount"] < Decimal(str(f.min_amount)):
        return False
    return f.max_amount is None or row["amount"] <= Decimal(str(f.max_amount))


def matching_deals(node: DealCount, facts: Facts) -> list[dict[str, Any]]:
    return [row for row in facts.deals(node.deals.via) if _deal_matches(node.deals, row)]


def _consent(node: ConsentCondition, facts: Facts) -> bool:
    entry = consent_entry(node, facts)
    granted = entry is not None and entry.status == Status.GRANTED
    return granted if node.op == "granted" else not granted


def holds(node: Any, facts: Facts, now: dt.datetime) -> bool:
    """Evaluate a node against loaded facts."""
    if isinstance(node, AnyOf):
        return any(holds(c, facts, now) for c in node.any)
    if isinstance(node, AllOf):
        return all(holds(c, facts, now) for c in node.all)
    if isinstance(node, Not):
        return not holds(node.not_, facts, now)
    if isinstance(node, FieldCondition):
        return _field(node, facts, now)
    if isinstance(node, TouchpointCount):
        return _touchpoints(node, facts, now)
    if isinstance(node, LifecycleCondition):
        return _lifecycle(node, facts, now)
    if isinstance(node, ConsentCondition):
        return _consent(node, facts)
    if isinstance(node, SegmentCondition):
        return (node.segment in facts.memberships) == (node.op == "member")
    if isinstance(node, DealCount):
        return compare_count(len(matching_deals(node, facts)), node.op, node.value)
    raise TypeError(f"not a predicate node: {node!r}")


def evaluate(predicate: Predicate | Any, contact: Contact | int, now: dt.datetime) -> bool:
    """Whether the contact matches the predicate at `now` (a Predicate from schema.parse, or one of its nodes)."""
    node = predicate.root if isinstance(predicate, Predicate) else predicate
    return holds(node, Facts(contact), now)
