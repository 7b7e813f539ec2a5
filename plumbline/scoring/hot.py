"""The per-event scoring path in hand-written SQL: what `do_score_contact` reads and writes for one contact.

Scoring follows every touchpoint, so its cost per contact matters (issue 3: p95 <= 5 ms). Built through the ORM,
its five statements spent about two thirds of their time compiling querysets; here they are four plain statements
on the same tables, written once for SQLite and PostgreSQL, with values converted by the models' own fields:
1. the contact (locked on PostgreSQL), its company, its stored score, and the keys of the definitions version in
   force and of the active predictive model, in one row;
2. its touchpoints and the owner's sales activities, in one UNION ALL;
3. the score, updated in place or inserted;
4. a history row, when the score moved.
Tables and columns come from the models' metadata, so a renamed field fails here at import, not silently.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from types import SimpleNamespace
from typing import Any

from django.db import connection
from django.utils.dateparse import parse_datetime

from plumbline.crm.models import Activity, Company, Contact
from plumbline.definitions.models import DefinitionVersion
from plumbline.marketing.models import Touchpoint
from plumbline.scoring.engine import SALES_TOUCH_KINDS, Event
from plumbline.scoring.models import ContactScore, PredictiveModel, ScoreHistory

_CONTACT_COLUMNS = ("id", "email", "title", "source", "custom", "lifecycle_stage", "company_id")
_COMPANY_COLUMNS = ("id", "industry", "employee_count", "annual_revenue", "country", "custom")
_SCORE_COLUMNS = ("fit_score", "fit_grade", "engagement_score", "definition_version", "engagement_floor_at")


@dataclass(frozen=True)
class Loaded:
    """What scoring one contact starts from. `contact` and `company` carry the fields the fit rules read."""

    contact: SimpleNamespace
    company: SimpleNamespace | None
    score: tuple[int, str, float, int, dt.datetime | None] | None  # _SCORE_COLUMNS, None before the first score
    definitions_key: tuple[int, int, dt.datetime] | None  # (pk, number, created_at) of the latest version
    model_key: tuple[int, int, dt.datetime] | None  # the same of the active predictive model


def aware(value: Any) -> dt.datetime | None:
    """A timestamp as read by a raw cursor (aware on PostgreSQL, naive UTC or text on SQLite) as aware UTC."""
    if value is None or isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value
    if isinstance(value, str):
        value = parse_datetime(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else (value or {})


@cache
def _load_sql(vendor: str, lock: bool = True) -> str:
    c, co, s = Contact._meta.db_table, Company._meta.db_table, ContactScore._meta.db_table
    d, m = DefinitionVersion._meta.db_table, PredictiveModel._meta.db_table
    columns = ", ".join(
        [f"c.{x}" for x in _CONTACT_COLUMNS] + [f"co.{x}" for x in _COMPANY_COLUMNS]
        + ["s.contact_id"] + [f"s.{x}" for x in _SCORE_COLUMNS]
        + ["d.id", "d.number", "d.created_at", "m.id", "m.number", "m.created_at"])
    # NO KEY UPDATE: enough to keep two scorers of one contact apart, and it lets through the KEY SHARE locks that
    # foreign-key checks take (a touchpoint batch committing rows for this contact), which FOR UPDATE would block:
    # a batch and the worker then deadlocked. SQLite locks the whole database on write; a read (lock=False) waits
    # for no one.
    lock_sql = " FOR NO KEY UPDATE OF c" if vendor == "postgresql" and lock else ""
    return (
        f"SELECT {columns} FROM {c} c LEFT JOIN {co} co ON co.id = c.company_id "
        f"LEFT JOIN {s} s ON s.contact_id = c.id "
        f"LEFT JOIN (SELECT id, number, created_at FROM {d} ORDER BY number DESC LIMIT 1) d ON 1 = 1 "
        f"LEFT JOIN (SELECT id, number, created_at FROM {m} WHERE is_active ORDER BY number DESC LIMIT 1) m "
        f"ON 1 = 1 WHERE c.id = %s{lock_sql}"
    )


def load(contact_id: int, *, lock: bool = True) -> Loaded:
    """One statement: the contact (locked until the transaction ends, unless `lock` is False), company, score,
    definitions and model keys. Raises Contact.DoesNotExist for a contact that is gone (deleted or merged away)."""
    with connection.cursor() as cur:
        cur.execute(_load_sql(connection.vendor, lock), [contact_id])
        row = cur.fetchone()
    if row is None:
        raise Contact.DoesNotExist(f"Contact {contact_id} does not exist.")
    n1, n2 = len(_CONTACT_COLUMNS), len(_CONTACT_COLUMNS) + len(_COMPANY_COLUMNS)
    contact = SimpleNamespace(**dict(zip(_CONTACT_COLUMNS, row[:n1], strict=True)))
    contact.custom = _json(contact.custom)
    company = None
    if row[n1] is not None:
        company = SimpleNamespace(**dict(zip(_COMPANY_COLUMNS, row[n1:n2], strict=True)))
        company.custom = _json(company.custom)
    score = None
    if row[n2] is not None:
        fit_score, grade, engagement, version, floor_at = row[n2 + 1:n2 + 6]
        score = (fit_score, grade, engagement, version, aware(floor_at))
    d_id, d_number, d_at, m_id, m_number, m_at = row[n2 + 6:]
    return Loaded(
        contact=contact, company=company, score=score,
        definitions_key=None if d_id is None else (d_id, d_number, aware(d_at)),
        model_key=None if m_id is None else (m_id, m_number, aware(m_at)),
    )


@cache
def _events_sql(since: bool) -> str:
    t, a = Touchpoint._meta.db_table, Activity._meta.db_table
    after = " AND occurred_at >= %s" if since else ""
    kinds = ", ".join(f"'{k}'" for k in SALES_TOUCH_KINDS)
    return (
        f"SELECT 1, id, kind, occurred_at, utm_campaign, content FROM {t} WHERE contact_id = %s{after} "
        f"UNION ALL SELECT 0, id, kind, occurred_at, '', '' FROM {a} "
        f"WHERE contact_id = %s AND kind IN ({kinds}){after}"
    )


def events(contact_id: int, since: dt.datetime | None = None) -> list[Event]:
    """A contact's touchpoints and sales activities (at or after `since`), as scoring events: one statement."""
    params: list[Any] = [contact_id]
    if since is not None:
        params.append(connection.ops.adapt_datetimefield_value(since))
    with connection.cursor() as cur:
        cur.execute(_events_sql(since is not None), params * 2)
        rows = cur.fetchall()
    return [Event(kind=kind, occurred_at=aware(at), source="touchpoint" if is_tp else "activity",
                  campaign=campaign or "", content=content or "", ref=pk)
            for is_tp, pk, kind, at, campaign, content in rows]


def _prepared(model: type, values: dict[str, Any]) -> list[Any]:
    """Values as the database takes them, converted by each model field (JSON, timestamps, ...)."""
    return [model._meta.get_field(name).get_db_prep_save(value, connection) for name, value in values.items()]


def save_score(contact_id: int, values: dict[str, Any], *, exists: bool) -> None:
    """Update the contact's score in place, or insert it (the contact row is locked, so no one races us)."""
    table = ContactScore._meta.db_table
    params = _prepared(ContactScore, values)
    with connection.cursor() as cur:
        if exists:
            assignments = ", ".join(f"{name} = %s" for name in values)
            cur.execute(f"UPDATE {table} SET {assignments} WHERE contact_id = %s", [*params, contact_id])
        else:
            names = ", ".join(["contact_id", *values])
            marks = ", ".join(["%s"] * (len(values) + 1))
            cur.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", [contact_id, *params])


def append_history(contact_id: int, values: dict[str, Any]) -> None:
    names = ", ".join(["contact_id", *values])
    marks = ", ".join(["%s"] * (len(values) + 1))
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {ScoreHistory._meta.db_table} ({names}) VALUES ({marks})",
                    [contact_id, *_prepared(ScoreHistory, values)])


def score_instance(contact_id: int, values: dict[str, Any]) -> ContactScore:
    """The stored score as a model instance, without reading it back."""
    score = ContactScore(contact_id=contact_id, **values)
    score._state.adding, score._state.db = False, "default"
    return score
