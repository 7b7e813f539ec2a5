"""The SQL evaluator: a predicate and `now` give a Django Q over Contact, for a whole population, that runs on SQLite
and PostgreSQL (`Contact.objects.filter(compile_predicate(p, now))`). Its semantics are evaluate.py's (see that
module's docstring); the property test in tests/segments checks the two agree.

Every leaf compiles to a two-valued condition (`pk IN (subquery)`, EXISTS, or a comparison on the contact's own row
ANDed with its column's IS NOT NULL), never to a bare comparison that SQL could make NULL, so `not`, neq, not_in and
is_not_set are plain negations, true on missing values.

`contacts` restricts the evaluation to a few contacts (the feed consumer's and a refresh's chunks): every subquery
then reads only those contacts' rows, instead of aggregating a whole table for every chunk. The Q it gives is then
right for those contacts only (use it as `Contact.objects.filter(pk__in=ids).filter(q)`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.fields.json import KeyTextTransform, compile_json_path
from django.db.models.functions import Cast, Lower
from django.db.models.lookups import (
    Contains,
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    In,
    IsNull,
    LessThan,
    LessThanOrEqual,
    StartsWith,
)

from plumbline.consent.models import ConsentEntry, Status
from plumbline.crm.models import Contact, Deal, DealContact, LifecycleTransition
from plumbline.marketing.models import Touchpoint
from plumbline.scoring.models import ContactScore
from plumbline.segments.models import Membership
from plumbline.segments.predicate.evaluate import fold
from plumbline.segments.predicate.schema import (
    BOOLEAN,
    MOMENT,
    NUMBER,
    SUBMISSION_OPS,
    TEXT,
    AllOf,
    AnyOf,
    ConsentCondition,
    DealCount,
    FieldCondition,
    FieldSpec,
    FormCondition,
    FormSpec,
    LifecycleCondition,
    Not,
    Predicate,
    SegmentCondition,
    TouchpointCount,
    TouchpointFilter,
    custom_specs,
    form_specs,
    known_answer,
    known_form,
    known_spec,
    leaves,
)
from plumbline.webforms.models import Submission

_NEGATED = {"neq": "eq", "not_in": "in", "is_not_set": "is_set"}


_CUSTOM_COLUMN = {"custom": "custom", "company_custom": "company__custom"}

Among = Sequence[int] | None  # the contacts an evaluation is restricted to, or None for all


def _among(qs: QuerySet, contacts: Among, column: str = "contact_id") -> QuerySet:
    """The rows of those contacts only (all rows when `contacts` is None)."""
    return qs if contacts is None else qs.filter(**{f"{column}__in": contacts})


_LOOKUPS = {"exact": Exact, "in": In, "contains": Contains, "startswith": StartsWith, "gt": GreaterThan,
            "gte": GreaterThanOrEqual, "lt": LessThan, "lte": LessThanOrEqual, "isnull": IsNull}


def _expression(spec: FieldSpec) -> Any:
    if spec.source == "score":  # on ContactScore's own row
        return Lower(spec.attr) if spec.type == TEXT else F(spec.attr)
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


def _field(node: FieldCondition, custom: dict[str, FieldSpec], now: dt.datetime, contacts: Among) -> Q:
    """A contact column is compared on the contact's row (its IS NOT NULL keeps the comparison two-valued), a score
    on ContactScore's rows (`pk IN` their contact ids), anything else through `pk IN (SELECT id FROM contacts ...)`."""
    if node.op in _NEGATED:
        return ~_field(node.model_copy(update={"op": _NEGATED[node.op]}), custom, now, contacts)
    spec = known_spec(node.field, custom)
    op, value = node.op, node.value
    direct = spec.source == "contact"
    expression = _expression(spec)

    def on(lookup: str, operand: Any) -> Q:
        return Q(_LOOKUPS[lookup](expression, operand)) if direct else Q(**{f"_v__{lookup}": operand})

    json_bool = spec.source in _CUSTOM_COLUMN and spec.type == BOOLEAN
    key = f"{_CUSTOM_COLUMN.get(spec.source)}__{spec.attr}"
    if op == "is_set":
        where = on("isnull", False) & ~on("exact", "") if spec.type not in (NUMBER, MOMENT) else on("isnull", False)
        if json_bool:
            where = (Q(**{f"{_CUSTOM_COLUMN[spec.source]}__has_key": spec.attr})
                     & (Q(**{key: True}) | Q(**{key: False})))
    elif json_bool:
        where = Q(**{key: value})
    elif op == "eq":
        where = on("exact", _norm(spec, now, value))
    elif op == "in":
        where = on("in", [_norm(spec, now, x) for x in value])
    elif op == "contains":
        where = on("contains", _norm(spec, now, value))
    elif op == "starts_with":
        where = on("startswith", _norm(spec, now, value))
    elif op == "between":
        where = on("gte", _norm(spec, now, value[0])) & on("lte", _norm(spec, now, value[1]))
    else:
        where = on(op, _norm(spec, now, value))
    if direct:
        return where & Q(**{f"{spec.attr}__isnull": False})
    if spec.source == "score":
        scores = _among(ContactScore.objects, contacts).annotate(_v=expression)
        return Q(pk__in=scores.filter(where).values("contact_id"))
    qs = _among(Contact.objects, contacts, "pk").annotate(_v=expression)
    return Q(pk__in=qs.filter(where).values("pk"))


def _window(field: str, now: dt.datetime, days: int | None) -> Q:
    if days is None:
        return Q()
    return Q(**{f"{field}__gte": now - dt.timedelta(days=days), f"{field}__lte": now})


def _touchpoints(node: TouchpointCount, now: dt.datetime, contacts: Among) -> Q:
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
    rows = _among(Touchpoint.objects, contacts).annotate(**{f"_{name.partition('__')[0]}": Lower(name.partition("__")[0])
                                          for name in texts})
    match &= Q(**{f"_{name}": fold(value) for name, value in texts.items()})
    matching = rows.filter(match)

    # COUNT(*), not COUNT(id): PostgreSQL can then count from the (kind, occurred_at, contact) index alone. "At
    # least 1" needs no grouping, and its negation is an anti-join (NOT EXISTS) rather than a NOT IN over a group.
    def at_least(n: int) -> Q:
        if n <= 0:
            return Q(pk__isnull=False)  # every contact: a two-valued TRUE
        if n == 1:
            return Q(pk__in=matching.values("contact_id"))  # contact_id is never NULL: two-valued
        having = (matching.order_by().values("contact_id")
                  .annotate(n=Count("*")).filter(n__gte=n).values("contact_id"))
        return Q(pk__in=having)

    def fewer_than(n: int) -> Q:
        if n == 1:
            return ~Q(Exists(matching.filter(contact=OuterRef("pk"))))
        return ~at_least(n)

    return _counted(at_least, node.op, node.value, fewer_than)


def _counted(at_least: Any, op: str, n: int, fewer_than: Any = None) -> Q:
    """A count condition from its "at least n" sets (and "fewer than n", their negations, when given)."""
    fewer = fewer_than or (lambda m: ~at_least(m))
    return {"gte": lambda: at_least(n), "gt": lambda: at_least(n + 1), "lt": lambda: fewer(n),
            "lte": lambda: fewer(n + 1), "eq": lambda: at_least(n) & fewer(n + 1)}[op]()


def _deals(node: DealCount, contacts: Among) -> Q:
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
            having = (_among(DealContact.objects, contacts).filter(deal__in=Deal.objects.filter(match)).order_by().values("contact_id")
                      .annotate(n=Count("pk")).filter(n__gte=n).values("contact_id"))
            return Q(pk__in=having)
        deals = Deal.objects.filter(match, company_id__isnull=False)
        if contacts is not None:
            deals = deals.filter(company_id__in=Contact.objects.filter(pk__in=contacts).values("company_id"))
        companies = (deals.order_by().values("company_id")
                     .annotate(n=Count("pk")).filter(n__gte=n).values("company_id"))
        return Q(pk__in=_among(Contact.objects, contacts, "pk").filter(company_id__in=companies).values("pk"))

    return _counted(at_least, node.op, node.value)


def _segment(node: SegmentCondition, contacts: Among) -> Q:
    member = Q(pk__in=_among(Membership.objects, contacts).filter(segment_id=node.segment).values("contact_id"))
    return member if node.op == "member" else ~member


def _lifecycle(node: LifecycleCondition, now: dt.datetime, contacts: Among) -> Q:
    return Q(Exists(_among(LifecycleTransition.objects, contacts).filter(
        Q(contact=OuterRef("pk"), to_stage=node.lifecycle.became) & _window("occurred_at", now, node.within_days))))


def _later_than(outer: str = "") -> Q:
    """This row comes after the outer row in the ledger's order, (occurred_at, id)."""
    return (Q(occurred_at__gt=OuterRef(f"{outer}occurred_at"))
            | Q(occurred_at=OuterRef(f"{outer}occurred_at"), pk__gt=OuterRef(f"{outer}pk")))


def _consent(node: ConsentCondition, contacts: Among) -> Q:
    channel, code = node.consent.channel, node.consent.subscription
    rows = ConsentEntry.objects.filter(contact=OuterRef("contact"), channel=channel)
    if code is None:
        latest = _among(ConsentEntry.objects, contacts).filter(contact=OuterRef("pk"), channel=channel,
                                                              subscription__isnull=True,
                                             status=Status.GRANTED).filter(
            ~Exists(rows.filter(_later_than(), subscription__isnull=True)))
        granted = Q(Exists(latest))
    else:
        own = _among(ConsentEntry.objects, contacts).filter(contact=OuterRef("pk"), channel=channel,
                                                            subscription__code=code,
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


class AnswerType(Func):
    """The JSON type of one key's value in a JSON column, in the same words on both databases: "string", "true",
    "false", "number" (PostgreSQL; SQLite says "integer" or "real"), "null", "array", "object"; NULL without the key.
    (KeyTextTransform alone cannot tell the string "true" from true, nor, on SQLite, true from 1.)"""

    output_field = CharField()

    def __init__(self, column: str, key: str) -> None:
        super().__init__(F(column))
        self.key = key

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple]:
        sql, params = compiler.compile(self.source_expressions[0])
        path = compile_json_path([self.key])
        return (f"(CASE JSON_TYPE({sql}, %s) WHEN 'text' THEN 'string' ELSE JSON_TYPE({sql}, %s) END)",
                (*params, path, *params, path))

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple]:
        sql, params = compiler.compile(self.source_expressions[0])
        return (f"(CASE JSONB_TYPEOF({sql} -> %s) WHEN 'boolean' THEN ({sql} ->> %s) "
                f"ELSE JSONB_TYPEOF({sql} -> %s) END)", (*params, self.key, *params, self.key, *params, self.key))


def _latest_submissions(slug: str, contacts: Among) -> QuerySet[Submission]:
    """Each contact's latest submission of the form, by (submitted_at, id)."""
    later = Submission.objects.filter(contact_id=OuterRef("contact_id"), form_id=OuterRef("form_id")).filter(
        Q(submitted_at__gt=OuterRef("submitted_at")) | Q(submitted_at=OuterRef("submitted_at"), pk__gt=OuterRef("pk")))
    return _among(Submission.objects, contacts).filter(form__slug=slug, contact_id__isnull=False).filter(
        ~Exists(later))


def _form(node: FormCondition, now: dt.datetime, forms: dict[str, FormSpec], contacts: Among) -> Q:
    """Contacts whose submissions (never NULL: a submission without a contact is left out) match: `pk IN` sets,
    so the negations are two-valued."""
    slug = known_form(node.form.form, forms).slug
    if node.op in SUBMISSION_OPS:
        sent = Q(pk__in=_among(Submission.objects, contacts).filter(_window("submitted_at", now, node.within_days), form__slug=slug,
                                                  contact_id__isnull=False).values("contact_id"))
        return sent if node.op == "submitted" else ~sent
    if node.op in _NEGATED:
        return ~_form(node.model_copy(update={"op": _NEGATED[node.op]}), now, forms, contacts)
    spec = known_answer(slug, node.form.field or "", forms)
    op, value = node.op, node.value
    rows = _latest_submissions(slug, contacts).annotate(_t=AnswerType("answers", spec.key))
    if spec.type == BOOLEAN:
        where = Q(_t__in=("true", "false")) if op == "is_set" else Q(_t="true" if value else "false")
    else:
        rows = rows.annotate(_v=Lower(Cast(KeyTextTransform(spec.key, "answers"), CharField())))
        where = Q(_t="string") & ~Q(_v="")
        if op == "eq":
            where &= Q(_v=fold(value))
        elif op == "in":
            where &= Q(_v__in=[fold(x) for x in value])
        elif op == "contains":
            where &= Q(_v__contains=fold(value))
        elif op == "starts_with":
            where &= Q(_v__startswith=fold(value))
    return Q(pk__in=rows.filter(where).values("contact_id"))


def compile_node(node: Any, now: dt.datetime, custom: dict[str, FieldSpec],
                 forms: dict[str, FormSpec] | None = None, contacts: Among = None) -> Q:
    """The node's Q; `forms` (schema.form_specs()) is read when a form condition needs it and it is not given;
    `contacts`, see the module's docstring."""
    if isinstance(node, AnyOf):
        q = Q()
        for child in node.any:
            q = (compile_node(child, now, custom, forms, contacts) if not q
                 else q | compile_node(child, now, custom, forms, contacts))
        return q
    if isinstance(node, AllOf):
        q = Q()
        for child in node.all:
            q &= compile_node(child, now, custom, forms, contacts)
        return q
    if isinstance(node, Not):
        return ~compile_node(node.not_, now, custom, forms, contacts)
    if isinstance(node, FormCondition):
        return _form(node, now, forms if forms is not None else form_specs(), contacts)
    if isinstance(node, FieldCondition):
        return _field(node, custom, now, contacts)
    if isinstance(node, TouchpointCount):
        return _touchpoints(node, now, contacts)
    if isinstance(node, LifecycleCondition):
        return _lifecycle(node, now, contacts)
    if isinstance(node, ConsentCondition):
        return _consent(node, contacts)
    if isinstance(node, SegmentCondition):
        return _segment(node, contacts)
    if isinstance(node, DealCount):
        return _deals(node, contacts)
    raise TypeError(f"not a predicate node: {node!r}")


def compile_predicate(predicate: Predicate | Any, now: dt.datetime, *, custom: dict[str, FieldSpec] | None = None,
                      forms: dict[str, FormSpec] | None = None, contacts: Sequence[int] | None = None) -> Q:
    """The Q over Contact that selects exactly the contacts `evaluate(predicate, contact, now)` accepts.
    `custom` (schema.custom_specs()) is read from crm when not given; `forms` (schema.form_specs()) from webforms
    when not given and a form condition needs it. With `contacts`, the Q is right for those contacts only, and reads
    only their rows (see the module's docstring)."""
    node = predicate.root if isinstance(predicate, Predicate) else predicate
    if forms is None and any(isinstance(leaf, FormCondition) for leaf in leaves(node)):
        forms = form_specs()
    return compile_node(node, now, custom if custom is not None else custom_specs(), forms,
                        None if contacts is None else list(contacts))
