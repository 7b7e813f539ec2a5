"""Set-based rescoring of every contact: the same rules as `engine.py`, run as SQL over all touchpoints at once.

`do_score_contact` explains one contact and is what events use. A full rescore (nightly decay, a new
definitions version, `plumbline score --all`) instead computes fit and engagement for all contacts in a few
statements on SQLite or PostgreSQL, appends history where a score changed, upserts the scores, and returns the
contacts the MQL rule now promotes; those go through the per-contact path so their promotion and routing are
recorded exactly as for an event. Detailed explanations are left to `do_score_contact` (the score API and the
contact page refresh them on view).

Matching a rule against a field is decided in Python, once per distinct value of that field, with the engine's
own `_matches`, so bulk and per-contact scoring agree; SQL then only tests membership.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from plumbline.definitions.models import DefinitionVersion
from plumbline.definitions.queries import current_version, parsed
from plumbline.definitions.schema import GRADES, Condition, Engagement, FitRule, PlumbLine
from plumbline.scoring.engine import _matches, seniority

BULK_EXPLANATION = "'{\"bulk\": true}'"  # detail is recomputed per contact on view
NUMERIC = {"company.employee_count": "co.employee_count", "company.annual_revenue": "co.annual_revenue"}


@dataclass
class BulkResult:
    scored: int
    changed: int
    to_promote: list[int]


def lit(value: Any) -> str:
    """A SQL literal. Strings are quoted by doubling single quotes, exact on SQLite and on PostgreSQL
    (standard_conforming_strings, the default since 9.1). Values come from validated definitions or the data."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def lits(values: list[Any]) -> str:
    return ", ".join(lit(v) for v in values)


class _Sql:
    """The few expressions that differ between SQLite and PostgreSQL."""

    def __init__(self, now: dt.datetime) -> None:
        self.pg = connection.vendor == "postgresql"
        utc = now.astimezone(dt.UTC)
        # SQLite stores naive UTC text; PostgreSQL compares aware timestamps.
        self.now = lit(utc.isoformat()) + "::timestamptz" if self.pg else lit(utc.replace(tzinfo=None).isoformat(" "))

    def greatest(self, a: str, b: str) -> str:
        return f"GREATEST({a}, {b})" if self.pg else f"MAX({a}, {b})"

    def least(self, a: str, b: str) -> str:
        return f"LEAST({a}, {b})" if self.pg else f"MIN({a}, {b})"

    def age_days(self, column: str) -> str:
        if self.pg:
            return f"(EXTRACT(EPOCH FROM ({self.now} - {column})) / 86400.0)"
        return f"(julianday({self.now}) - julianday({column}))"

    def bucket(self, column: str, seconds: str) -> str:
        if self.pg:
            return f"FLOOR(EXTRACT(EPOCH FROM {column}) / ({seconds}))"
        return f"CAST(((julianday({column}) - 2440587.5) * 86400.0) / ({seconds}) AS INTEGER)"

    def json_text(self, column: str, key: str) -> str:
        if self.pg:
            return f"({column} ->> {lit(key)})"
        return f"json_extract({column}, {lit('$.' + chr(34) + key.replace(chr(34), '') + chr(34))})"

    def email_domain(self) -> str:
        return "split_part(c.email, '@', 2)" if self.pg else "substr(c.email, instr(c.email, '@') + 1)"


def _field_sql(field: str, sql: _Sql) -> str:
    if field.startswith("contact.custom."):
        return sql.json_text("c.custom", field.removeprefix("contact.custom."))
    if field.startswith("company.custom."):
        return sql.json_text("co.custom", field.removeprefix("company.custom."))
    return {
        "company.industry": "co.industry", "company.employee_count": "co.employee_count",
        "company.annual_revenue": "co.annual_revenue", "company.country": "co.country",
        "contact.title": "c.title", "contact.seniority": "c.title", "contact.source": "c.source",
        "contact.email_domain": sql.email_domain(),
    }[field]


def _distinct(expr: str) -> list[Any]:
    with connection.cursor() as cur:
        cur.execute(f"SELECT DISTINCT {expr} FROM crm_contact c LEFT JOIN crm_company co ON co.id = c.company_id")
        return [row[0] for row in cur.fetchall()]


def _rule_condition(rule: FitRule, sql: _Sql) -> str:
    """A SQL condition true exactly where the engine's `_matches` is true for this rule."""
    column = _field_sql(rule.field, sql)
    if rule.field in NUMERIC and rule.op in ("gte", "lte", "between"):
        if rule.op == "gte":
            return f"{column} >= {lit(rule.value)}"
        if rule.op == "lte":
            return f"{column} <= {lit(rule.value)}"
        return f"{column} BETWEEN {lit(rule.value[0])} AND {lit(rule.value[1])}"
    view = seniority if rule.field == "contact.seniority" else (lambda v: v)
    matched = [v for v in _distinct(column) if v is not None and "\x00" not in str(v) and _matches(rule, view(v))]
    return f"{column} IN ({lits(matched)})" if matched else "1 = 0"


def _fit_sql(plumb: PlumbLine, sql: _Sql) -> str:
    terms = [f"CASE WHEN {_rule_condition(r, sql)} THEN {int(r.points)} ELSE 0 END" for r in plumb.icp.rules]
    return " + ".join(terms) or "0"


def _grade_sql(fit: str, plumb: PlumbLine) -> str:
    t = plumb.icp.grade_thresholds
    return (f"CASE WHEN {fit} >= {int(t['A'])} THEN 'A' WHEN {fit} >= {int(t['B'])} THEN 'B' "
            f"WHEN {fit} >= {int(t['C'])} THEN 'C' ELSE 'D' END")


def _case(column: str, table: dict[str, int]) -> str:
    if not table:
        return "0"
    return f"CASE {column} " + " ".join(f"WHEN {lit(k)} THEN {int(v)}" for k, v in table.items()) + " ELSE 0 END"


def _events_sql(rules: Engagement, sql: _Sql) -> str:
    """One row per scored touchpoint or activity after the contact's floor: contact, kind, capped points, age."""
    base = " + ".join([_case("t.kind", rules.points), _case("t.utm_campaign", rules.campaign_points),
                       _case("t.content", rules.content_points)])
    floor = "(s.engagement_floor_at IS NULL OR {col} >= s.engagement_floor_at)"
    touch = (f"SELECT t.id, t.contact_id, t.kind, t.occurred_at, {base} AS base FROM marketing_touchpoint t "
             f"LEFT JOIN scoring_contactscore s ON s.contact_id = t.contact_id WHERE {floor.format(col='t.occurred_at')}")
    capped = list(rules.caps)
    skip_capped = f"AND ev.kind NOT IN ({lits(capped)})" if capped else ""
    parts = [f"SELECT ev.contact_id, ev.kind, ev.base AS pts, {sql.age_days('ev.occurred_at')} AS age "
             f"FROM ({touch}) ev WHERE ev.base <> 0 {skip_capped}"]
    if capped:
        cap = "CASE ev.kind " + " ".join(f"WHEN {lit(k)} THEN {int(c.max_points)}" for k, c in rules.caps.items()) + " END"
        period = "CASE ev.kind " + " ".join(
            f"WHEN {lit(k)} THEN {int(c.period_days) * 86400}" for k, c in rules.caps.items()) + " END"
        # Points already used in this kind's period before this event; the engine clamps the same way.
        used = (f"COALESCE(SUM(CASE WHEN ev.base > 0 THEN ev.base ELSE 0 END) OVER (PARTITION BY ev.contact_id, "
                f"ev.kind, {sql.bucket('ev.occurred_at', period)} ORDER BY ev.occurred_at, ev.id "
                f"ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)")
        windowed = (f"SELECT ev.contact_id, ev.kind, ev.occurred_at, ev.base, {cap} AS cap, {used} AS used "
                    f"FROM ({touch}) ev WHERE ev.kind IN ({lits(capped)})")
        pts = f"CASE WHEN w.base <= 0 THEN w.base ELSE {sql.greatest('0', sql.least('w.base', 'w.cap - w.used'))} END"
        parts.append(f"SELECT w.contact_id, w.kind, {pts} AS pts, {sql.age_days('w.occurred_at')} AS age "
                     f"FROM ({windowed}) w")
    activity_kinds = [k for k in ("call", "meeting", "email") if rules.activity_points.get(k)]
    if activity_kinds:
        parts.append(
            f"SELECT a.contact_id, a.kind, {_case('a.kind', rules.activity_points)} AS pts, "
            f"{sql.age_days('a.occurred_at')} AS age FROM crm_activity a "
            f"LEFT JOIN scoring_contactscore s ON s.contact_id = a.contact_id "
            f"WHERE a.contact_id IS NOT NULL AND a.kind IN ({lits(activity_kinds)}) AND {floor.format(col='a.occurred_at')}"
        )
    return " UNION ALL ".join(parts)


def _rule_kinds(cond: Condition) -> set[str]:
    kinds = set(cond.touchpoint_kind_in or [])
    for child in (cond.all or []) + (cond.any or []):
        kinds |= _rule_kinds(child)
    return kinds


def _rule_sql(cond: Condition) -> str:
    """The MQL rule as a condition over the bulk score row `b` and the contact `c`."""
    if cond.all is not None:
        return "(" + " AND ".join(_rule_sql(c) for c in cond.all) + ")" if cond.all else "(1 = 1)"
    if cond.any is not None:
        return "(" + " OR ".join(_rule_sql(c) for c in cond.any) + ")" if cond.any else "(1 = 0)"
    if cond.fit_grade_at_least is not None:
        return f"b.fit_grade IN ({lits(list(GRADES[: GRADES.index(cond.fit_grade_at_least) + 1]))})"
    if cond.fit_score_at_least is not None:
        return f"b.fit_score >= {lit(cond.fit_score_at_least)}"
    if cond.engagement_at_least is not None:
        return f"b.engagement_score >= {lit(float(cond.engagement_at_least))}"
    if cond.touchpoint_kind_in is not None:
        return "(" + " OR ".join(f"b.k_{k} = 1" for k in cond.touchpoint_kind_in) + ")"
    return f"c.lifecycle_stage IN ({lits(list(cond.lifecycle_in or []))})"


def _run(statement: str) -> int:
    with connection.cursor() as cur:
        cur.execute(statement)
        return cur.rowcount


def _scores_sql(plumb: PlumbLine, sql: _Sql) -> str:
    """SELECT contact_id, fit_score, engagement_score and a 0/1 column per hand-raiser kind the MQL rule uses."""
    kinds = sorted(_rule_kinds(plumb.mql.when))  # validated touchpoint kinds: safe as column names
    flags = "".join(f", MAX(CASE WHEN e.kind = {lit(k)} THEN 1 ELSE 0 END) AS k_{k}" for k in kinds)
    domains = sorted({d.lower() for d in plumb.engagement.competitor_domains})
    competitor = (f"CASE WHEN {sql.email_domain()} IN ({lits(domains)}) THEN {int(plumb.engagement.competitor_points)} "
                  f"ELSE 0 END") if domains else "0"
    decay = f"e.pts * POWER(0.5, {sql.greatest('e.age', '0')} / {float(plumb.engagement.half_life_days)!r})"
    return (
        f"SELECT c.id AS contact_id, ({_fit_sql(plumb, sql)}) AS fit_score, "
        f"ROUND(CAST(COALESCE(eng.total, 0) + {competitor} AS NUMERIC), 2) AS engagement_score"
        + "".join(f", COALESCE(eng.k_{k}, 0) AS k_{k}" for k in kinds)
        + f" FROM crm_contact c LEFT JOIN crm_company co ON co.id = c.company_id "
        f"LEFT JOIN (SELECT e.contact_id, SUM({decay}) AS total{flags} FROM ({_events_sql(plumb.engagement, sql)}) e "
        f"GROUP BY e.contact_id) eng ON eng.contact_id = c.id"
    )


@transaction.atomic
def bulk_rescore(*, now: dt.datetime | None = None, version: DefinitionVersion | None = None) -> BulkResult:
    """Rescore every contact in a few set-based statements; returns who the MQL rule now promotes."""
    now = now or timezone.now()
    version = version or current_version()
    plumb = parsed(version)
    sql = _Sql(now)
    temp = "pg_temp" if sql.pg else "temp"
    _run(f"DROP TABLE IF EXISTS {temp}.bulk_scores")
    _run(f"CREATE TEMP TABLE bulk_scores AS {_scores_sql(plumb, sql)}")
    _run("ALTER TABLE bulk_scores ADD COLUMN fit_grade VARCHAR(1)")
    _run(f"UPDATE bulk_scores SET fit_grade = {_grade_sql('fit_score', plumb)}")
    n = int(version.number)
    changed = _run(
        "INSERT INTO scoring_scorehistory (contact_id, fit_score, fit_grade, engagement_score, definition_version, "
        f"computed_at, reason) SELECT b.contact_id, b.fit_score, b.fit_grade, b.engagement_score, {n}, {sql.now}, "
        "'bulk' FROM bulk_scores b LEFT JOIN scoring_contactscore s ON s.contact_id = b.contact_id "
        "WHERE s.contact_id IS NULL OR s.fit_score <> b.fit_score OR s.fit_grade <> b.fit_grade "
        "OR ROUND(CAST(s.engagement_score AS NUMERIC), 0) <> ROUND(CAST(b.engagement_score AS NUMERIC), 0) "
        f"OR s.definition_version <> {n}"
    )
    scored = _run(
        "INSERT INTO scoring_contactscore (contact_id, fit_score, fit_grade, engagement_score, definition_version, "
        f"computed_at, explanation) SELECT b.contact_id, b.fit_score, b.fit_grade, b.engagement_score, {n}, "
        f"{sql.now}, {BULK_EXPLANATION} FROM bulk_scores b WHERE 1 = 1 ON CONFLICT (contact_id) DO UPDATE SET "
        "fit_score = excluded.fit_score, fit_grade = excluded.fit_grade, engagement_score = excluded.engagement_score, "
        "definition_version = excluded.definition_version, computed_at = excluded.computed_at, "
        "explanation = excluded.explanation"
    )
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT b.contact_id FROM bulk_scores b JOIN crm_contact c ON c.id = b.contact_id "
            f"WHERE c.lifecycle_stage IN ({lits(list(plumb.mql.eligible_stages))}) AND {_rule_sql(plumb.mql.when)} "
            "ORDER BY b.contact_id"
        )
        promote = [row[0] for row in cur.fetchall()]
    _run(f"DROP TABLE {temp}.bulk_scores")
    return BulkResult(scored=scored, changed=changed, to_promote=promote)
