"""Reads from the CRM into Arrow: the raw rows analytics aggregates on an engine.

Rows are pulled with `values_list(...).iterator()` in chunks, so memory holds Arrow columns rather than
model instances. Instants become int64 epoch seconds (UTC), so DuckDB and Spark see the same numbers
without any time-zone interpretation; money stays exact as decimal(16, 2).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from django.db.models import Min, QuerySet

from plumbline.crm.models import Activity, Contact, Deal, DealContact, DealTransition, LifecycleTransition
from plumbline.handoff.models import Assignment
from plumbline.marketing.models import Campaign, Touchpoint

CHUNK = 20_000
MONEY = pa.decimal128(16, 2)
SALES_TOUCHES = (Activity.Kind.CALL, Activity.Kind.EMAIL, Activity.Kind.MEETING)


def seconds(when: dt.datetime | None) -> int | None:
    """Epoch seconds of an aware datetime (None stays None)."""
    return None if when is None else int(when.timestamp())


def _table(rows: Iterable[Sequence[Any]], schema: pa.Schema, convert: dict[str, Any] | None = None) -> pa.Table:
    """Columns from row tuples, converting the named columns (e.g. datetimes to seconds) on the way."""
    names = schema.names
    columns: list[list[Any]] = [[] for _ in names]
    converters = [(convert or {}).get(name) for name in names]
    for row in rows:
        for i, value in enumerate(row):
            columns[i].append(converters[i](value) if converters[i] and value is not None else value)
    return pa.table([pa.array(col, type=schema.field(i).type) for i, col in enumerate(columns)], schema=schema)


def _rows(qs: QuerySet, *fields: str) -> Iterable[tuple[Any, ...]]:
    return qs.values_list(*fields).iterator(chunk_size=CHUNK)


def touchpoints(*, since: dt.datetime | None = None, until: dt.datetime | None = None) -> pa.Table:
    """Touchpoints with `since <= occurred_at < until`: touch_id, contact_id, at, channel, campaign_id,
    content (the content field, else utm_content), kind."""
    qs = Touchpoint.objects.all()
    if since is not None:
        qs = qs.filter(occurred_at__gte=since)
    if until is not None:
        qs = qs.filter(occurred_at__lt=until)
    schema = pa.schema([
        ("touch_id", pa.int64()), ("contact_id", pa.int64()), ("at", pa.int64()), ("channel", pa.string()),
        ("campaign_id", pa.int64()), ("content", pa.string()), ("utm_content", pa.string()), ("kind", pa.string()),
    ])
    table = _table(
        _rows(qs, "id", "contact_id", "occurred_at", "channel", "campaign_id", "content", "utm_content", "kind"),
        schema, {"at": seconds},
    )
    content = pc.if_else(pc.equal(pc.utf8_trim_whitespace(table["content"]), ""), table["utm_content"], table["content"])
    content = pc.if_else(pc.equal(pc.utf8_trim_whitespace(content), ""), pa.scalar("(none)"), content)
    return table.drop_columns(["utm_content"]).set_column(5, "content", content)


def contacts(*, first_touch: bool = False) -> pa.Table:
    """contact_id, company_id, source; with `first_touch`, also the channel and campaign_id of the contact's first
    touchpoint (`first_channel`, `first_campaign_id`; both null for a contact without touchpoints)."""
    fields = [("contact_id", pa.int64()), ("company_id", pa.int64()), ("source", pa.string())]
    columns = ["id", "company_id", "source"]
    if first_touch:
        fields += [("first_channel", pa.string()), ("first_campaign_id", pa.int64())]
        columns += ["first_touchpoint__channel", "first_touchpoint__campaign_id"]
    return _table(_rows(Contact.objects.all(), *columns), pa.schema(fields))


def lifecycle_transitions(*, stages: Sequence[str] | None = None) -> pa.Table:
    """contact_id, to_stage, at, id (for a stable order of equal instants)."""
    qs = LifecycleTransition.objects.all()
    if stages is not None:
        qs = qs.filter(to_stage__in=list(stages))
    schema = pa.schema([("id", pa.int64()), ("contact_id", pa.int64()), ("to_stage", pa.string()), ("at", pa.int64())])
    return _table(_rows(qs, "id", "contact_id", "to_stage", "occurred_at"), schema, {"at": seconds})


def deals() -> pa.Table:
    """deal_id, company_id, pipeline_id, status, amount, created_at (first transition), closed_at."""
    qs = Deal.objects.annotate(first_at=Min("transitions__occurred_at"))
    schema = pa.schema([
        ("deal_id", pa.int64()), ("company_id", pa.int64()), ("pipeline_id", pa.int64()), ("status", pa.string()),
        ("amount", MONEY), ("created_at", pa.int64()), ("closed_at", pa.int64()),
    ])
    return _table(
        _rows(qs, "id", "company_id", "pipeline_id", "status", "amount", "first_at", "closed_at"),
        schema, {"created_at": seconds, "closed_at": seconds, "amount": Decimal},
    )


def deal_contacts() -> pa.Table:
    """deal_id, contact_id, id (the first link of a deal is its primary contact)."""
    schema = pa.schema([("id", pa.int64()), ("deal_id", pa.int64()), ("contact_id", pa.int64())])
    return _table(_rows(DealContact.objects.order_by("id"), "id", "deal_id", "contact_id"), schema)


def deal_transitions() -> pa.Table:
    """id, deal_id, stage_id, at."""
    schema = pa.schema([("id", pa.int64()), ("deal_id", pa.int64()), ("stage_id", pa.int64()), ("at", pa.int64())])
    return _table(_rows(DealTransition.objects.all(), "id", "deal_id", "to_stage_id", "occurred_at"), schema,
                  {"at": seconds})


def assignments() -> pa.Table:
    """Handoffs: contact_id, assigned_at, first_touch_at, campaign_id, channel, source."""
    qs = Assignment.objects.exclude(status=Assignment.Status.REASSIGNED)
    schema = pa.schema([
        ("contact_id", pa.int64()), ("assigned_at", pa.int64()), ("first_touch_at", pa.int64()),
        ("campaign_id", pa.int64()), ("channel", pa.string()), ("source", pa.string()),
    ])
    return _table(
        _rows(qs, "contact_id", "assigned_at", "first_touch_at", "campaign_id", "channel", "source"), schema,
        {"assigned_at": seconds, "first_touch_at": seconds},
    )


def sales_touches() -> pa.Table:
    """The reps' calls, emails and meetings with contacts: contact_id, at."""
    qs = Activity.objects.filter(kind__in=SALES_TOUCHES, contact__isnull=False)
    schema = pa.schema([("contact_id", pa.int64()), ("at", pa.int64())])
    return _table(_rows(qs, "contact_id", "occurred_at"), schema, {"at": seconds})


def campaigns() -> list[dict[str, Any]]:
    """Every campaign with its cost, by name."""
    return list(Campaign.objects.order_by("name", "id").values("id", "name", "channel", "cost", "currency",
                                                              "starts_on", "ends_on"))
