"""The SQL evaluator: a predicate and `now` give a Django Q over Contact, for a whole population, that runs on SQLite
and PostgreSQL (`Contact.objects.filter(compile_predicate(p, now))`). Its semantics are evaluate.py's (see that
module's docstring); the property test in tests/segments checks the two agree.

Every leaf compiles to a two-valued condition (`pk IN (subquery)` or EXISTS), never to a bare comparison that SQL
could make NULL, so `not`, neq, not_in and is_not_set are plain negations, true on missing values.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    FloatField,
    OuterRef,
    Q,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Lower

from plumbline.consent.models import ConsentEntry, Status
from plumbline.crm.models import Contact, Deal, DealContact, LifecycleTransition
from plumbline.marketing.models import Touchpoint
from plumbline.segments.models import Membership
from plumbline.segments.predicate.evaluate import fold
from plumbline.segments.predicate.schema import (
    BOOLEAN,
    MOMENT,
    NUMBER,
    TEXT,
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
    TouchpointFilter,
    custom_specs,
    known_spec,
)

_NEGATED = {"neq": "eq", "not_in": "in", "is_not_set": "is_set"}


_CUSTOM_COLUMN = {"custom": "custom", "company_custom": "company__custom"}


def _expression(spec: FieldSpec) -> Any:
    if spec.source in _CUSTOM_COLUMN:
        text = KeyTextTransform(spec.attr, _CUSTOM_COLUMN[spec.source])
        if spec.type == NUMBER:
            return Cast(text, FloatField())
        text = Cast(text, CharField())  # a plain string, not a JSON value, for the lookups below
        return Lower(text) if spec.type == TEXT else text
    path = {"contact": "", "company": "company__", "score": "score__"}[spec.source] + spec.attr
    return Lower(path) if spec.type == TEXT else F(path)


def _norm(spec: FieldSpec, now: dt.datetime, value: Any) -> Any:
    if spec.type == MOMENT:
        return now - dt.timedelta(days=value["days_ago"])
    if spec.type == TEXT:
        return fold(value)
    if spec.type == NUMBER:
        return float(value)
    return value


def _field(node: FieldCondition, custom: dict[str, FieldSpec], now: dt.datetime) -> Q:
    if node.op in _NEGATED:
        return ~_field(node.model_copy(update={"op": _NEGATED[node.op]}), custom, now)
    spec = known_spec(node.field, custom)
    op, value = node.op, node.value
    qs = Contact.objects.annotate(_v=_expression(spec))
    json_bool = spec.source in _CUSTOM_COLUMN and spec.type == BOOLEAN
    key = f"{_CUSTOM_COLUMN.get(spec.source)}__{spec.attr}"
    if op == "is_set":
        where = Q(_v__isnull=False) & ~Q(_v="") if spec.type not in (NUMBER, MOMENT) else Q(_v__isnull=False)
        if json_bool:
            where = (Q(**{f"{_CUSTOM_COLUMN[spec.source]}__has_key": spec.attr})
                     & (Q(**{key: True}) | Q(**{key: False})))
    elif json_bool:
        where = Q(**{key: value})
    elif op == "eq":
        where = Q(_v=_norm(spec, now, value))
    elif op == "in":
        where = Q(_v__in=[_norm(spec, now, x) for x in value])
    elif op == "contains":
        where = Q(_v__contains=_norm(spec, now, value))
    elif op == "starts_with":
        where = Q(_v__startswith=_norm(spec, now, value))
    elif op == "between":
        where = Q(_v__gte=_norm(spec, now, value[0]), _v__lte=_norm(spec, now, value[1]))
    else:
        where = Q(**{f"_v__{op}": _norm(spec, now, value)})
    return Q(pk__in=qs.filter(where).values("pk"))


def _window(field: str, now: dt.datetime, days: int | None) -> Q:
    if days is None:
        return Q()
    return Q(**{f"{field}__gte": now - dt.timedelta(days=days), f"{field}__lte": now})


def _touchpoints(node: TouchpointCount, now: dt.datetime) -> Q:
    """Counts become "at least n" sets (one GROUP BY ... HAVING over the touchpoints, served by the (contact,
    occurred_at) index) and their negations, so a count of zero needs no row: lt n is not gte n, eq n is gte n and
    not gte n + 1."""
    f = node.touchpoints
    match = _window("occurred_at", now, node.within_days)
    for name in ("kind", "channel", "campaign"):
        if getattr(f, name) is not None:
            match &= Q(**{name if name != "campaign" else "campaign_id": getattr(f, name)})
    # Texts compare case-insensitively, as text fields do: lower() on both sides.
    texts = {name: getattr(f, name) for name in TouchpointFilter.TEXTS if getattr(f, name) is not None}
    if f.content_starts_with is not None:
        texts["content__startswith"] = f.content_starts_with
    rows = Touchpoint.objects.annotate(**{f"_{name.partition('__')[0]}": Lower(name.partition("__")[0])
                                          for name in texts})
    match &= Q(**{f"_{name}": fold(value) for name, value in texts.items()})

    def at_least(n: int) -> Q:
        if n <= 0:
            return Q(pk__isnull=False)  # every contact: a two-valued TRUE
        having = (rows.filter(match).order_by().values("contact_id")
                  .annotate(n=Count("pk")).filter(n__gte=n).values("contact_id"))
        return Q(pk__in=having)

    return _counted(at_least, node.op, node.value)


def _counted(at_least: Any, op: str, n: int) -> Q:
    """A count condition from its "at least n" sets."""
    return {"gte": lambda: at_least(n), "gt": lambda: at_least(n + 1), "lt": lambda: ~at_least(n),
            "lte": lambda: ~at_least(n + 1), "eq": lambda: at_least(n) & ~at_least(n + 1)}[op]()


def _deals(node: DealCount) -> Q:
    """Like touchpoints: "at least n" sets over the contact's deal roles, or over its company's deals."""
    f = node.deals
    match = Q()
    for name, column in (("status", "status"), ("pipeline", "pipeline_id")):
        if getattr(f, name) is not None:
            match &= Q(**{column: getattr(f, name)})
    if f.stage is not None:
        match &= Q(stage_id=f.stage) if isinstance(f.stage, int) else Q(stage__name=f.stage)
    if f.min_amount is not None:
        match &= Q(amount__gte=Decimal(str(f.min_amount)))
    if f.max_amount is not None:
        match &= Q(amount__lte=Decimal(str(f.max_amount)))

    def at_least(n: int) -> Q:
        if n <= 0:
            return Q(pk__isnull=False)
        if f.via == "contact":
            having = (DealContact.objects.filter(deal__in=Deal.objects.filter(match)).order_by().values("contact_id")
                      .annotate(n=Count("pk")).filter(n__gte=n).values("contact_id"))
            return Q(pk__in=having)
        companies = (Deal.objects.filter(match, company_id__isnull=False).order_by().values("company_id")
                     .annotate(n=Count("pk")).filter(n__gte=n).values("company_id"))
        return Q(pk__in=Contact.objects.filter(company_id__in=companies).values("pk"))

    return _counted(at_least, node.op, node.value)


def _segment(node: SegmentCondition) -> Q:
    member = Q(pk__in=Membership.objects.filter(segment_id=node.segment).values("contact_id"))
    return member if node.op == "member" else ~member


def _lifecycle(node: LifecycleCondition, now: dt.datetime) -> Q:
    return Q(Exists(LifecycleTransition.objects.filter(
        Q(contact=OuterRef("pk"), to_stage=node.lifecycle.became) & _window("occurred_at", now, node.within_days))))


def _later_than(outer: str = "") -> Q:
    """This row comes after the outer row in the ledger's order, (occurred_at, id)."""
    return (Q(occurred_at__gt=OuterRef(f"{outer}occurred_at"))
            | Q(occurred_at=OuterRef(f"{outer}occurred_at"), pk__gt=OuterRef(f"{outer}pk")))


def _consent(node: ConsentCondition) -> Q:
    channel, code = node.consent.channel, node.consent.subscription
    rows = ConsentEntry.objects.filter(contact=OuterRef("contact"), channel=channel)
    if code is None:
        latest = ConsentEntry.objects.filter(contact=OuterRef("pk"), channel=channel, subscription__isnull=True,
                                             status=Status.GRANTED).filter(
            ~Exists(rows.filter(_later_than(), subscription__isnull=True)))
        granted = Q(Exists(latest))
    else:
        own = ConsentEntry.objects.filter(contact=OuterRef("pk"), channel=channel, subscription__code=code,
                                          status=Status.GRANTED).filter(
            ~Exists(rows.filter(_later_than(), subscription_id=OuterRef("subscription_id"))))
        # A channel-wide withdrawal after the grant that is still the channel's latest channel-wide row.
        withdrawn_after = ConsentEntry.objects.filter(
            contact=OuterRef("contact"), channel=channel, subscription__isnull=True, status=Status.WITHDRAWN,
        ).filter(_later_than()).filter(
            ~Exists(ConsentEntry.objects.filter(contact=OuterRef("contact"), channel=channel,
                                                subscription__isnull=True).filter(_later_than())))
        granted = Q(Exists(own.filter(~Exists(withdrawn_after))))
    return granted if node.op == "granted" else ~granted


def compile_node(node: Any, now: dt.datetime, custom: dict[str, FieldSpec]) -> Q:
    if isinstance(node, AnyOf):
        q = Q()
        for child in node.any:
            q = compile_node(child, now, custom) if not q else q | compile_node(child, now, custom)
        return q
    if isinstance(node, AllOf):
        q = Q()
        for child in node.all:
            q &= compile_node(child, now, custom)
        return q
    if isinstance(node, Not):
        return ~compile_node(node.not_, now, custom)
    if isinstance(node, FieldCondition):
        return _field(node, custom, now)
    if isinstance(node, TouchpointCount):
        return _touchpoints(node, now)
    if isinstance(node, LifecycleCondition):
        return _lifecycle(node, now)
    if isinstance(node, ConsentCondition):
        return _consent(node)
    if isinstance(node, SegmentCondition):
        return _segment(node)
    if isinstance(node, DealCount):
        return _deals(node)
    raise TypeError(f"not a predicate node: {node!r}")


def compile_predicate(predicate: Predicate | Any, now: dt.datetime, *,
                      custom: dict[str, FieldSpec] | None = None) -> Q:
    """The Q over Contact that selects exactly the contacts `evaluate(predicate, contact, now)` accepts.
    `custom` (schema.custom_specs()) is read from crm when not given."""
    node = predicate.root if isinstance(predicate, Predicate) else predicate
    return compile_node(node, now, custom if custom is not None else custom_specs())
