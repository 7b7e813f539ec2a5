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
            # date_part gives double precision; EXTRACT gives NUMERIC, whose POWER is ten times slower per row.
            return f"(date_part('epoch', {self.now} - {column}) / 86400.0)"
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


def _touch_sql(rules: Engagement, *, floors: bool) -> str:
    """Touchpoints after their contact's engagement floor, with their base points. `floors` is whether any contact
    has a floor (a recycled lead); without one the join is skipped."""
    base = " + ".join([_case("t.kind", rules.points), _case("t.utm_campaign", rules.campaign_points),
                       _case("t.content", rules.content_points)])
    touch = f"SELECT t.id, t.contact_id, t.kind, t.occurred_at, {base} AS base FROM marketing_touchpoint t "
    if floors:
        touch += FLOOR_JOIN.format(alias="t") + "WHERE " + FLOOR.format(col="t.occurred_at")
    return touch


FLOOR = "(s.engagement_floor_at IS NULL OR {col} >= s.engagement_floor_at)"
FLOOR_JOIN = ("LEFT JOIN (SELECT contact_id, engagement_floor_at FROM scoring_contactscore "
              "WHERE engagement_floor_at IS NOT NULL) s ON s.contact_id = {alias}.contact_id ")


def _decayed(rules: Engagement, sql: _Sql, pts: str, at: str) -> str:
    return f"{pts} * POWER(0.5, {sql.greatest(sql.age_days(at), '0')} / {float(rules.half_life_days)!r})"


def _engagement_sql(rules: Engagement, sql: _Sql, kinds: list[str], *, floors: bool) -> str:
    """One pass over all touchpoints and activities, grouped by contact: the decayed points of every event with
    capped kinds not yet clamped (`total`), the positive points of each capped kind (`pos_<i>`), and a 0/1 column
    per hand-raiser kind the MQL rule uses. A contact whose capped points never exceed the cap in all needs no
    clamping; the others are corrected by `_clamp_sql`."""
    capped = list(rules.caps)
    pos = "".join(f", CASE WHEN ev.kind = {lit(k)} AND ev.base > 0 THEN ev.base ELSE 0 END AS pos_{i}"
                  for i, k in enumerate(capped))
    keep = f"ev.base <> 0 OR ev.kind IN ({lits(capped)})" if capped else "ev.base <> 0"
    parts = [f"SELECT ev.contact_id, ev.kind, {_decayed(rules, sql, 'ev.base', 'ev.occurred_at')} AS val{pos} "
             f"FROM ({_touch_sql(rules, floors=floors)}) ev WHERE {keep}"]
    activity_kinds = [k for k in ("call", "meeting", "email") if rules.activity_points.get(k)]
    if activity_kinds:
        zeros = "".join(f", 0 AS pos_{i}" for i in range(len(capped)))
        act = (f"SELECT a.contact_id, a.kind, "
               f"{_decayed(rules, sql, _case('a.kind', rules.activity_points), 'a.occurred_at')} AS val{zeros} "
               f"FROM crm_activity a ")
        where = f"WHERE a.contact_id IS NOT NULL AND a.kind IN ({lits(activity_kinds)})"
        if floors:
            act += FLOOR_JOIN.format(alias="a")
            where += " AND " + FLOOR.format(col="a.occurred_at")
        parts.append(act + where)
    sums = "".join(f", SUM(e.pos_{i}) AS pos_{i}" for i in range(len(capped)))
    flags = "".join(f", MAX(CASE WHEN e.kind = {lit(k)} THEN 1 ELSE 0 END) AS k_{k}" for k in kinds)
    return (f"SELECT e.contact_id, SUM(e.val) AS total{sums}{flags} FROM ({' UNION ALL '.join(parts)}) e "
            "GROUP BY e.contact_id")


def _clamp_sql(rules: Engagement, sql: _Sql, *, floors: bool) -> str:
    """Per contact, what clamping capped kinds per period changes in `total`: only (contact, kind) pairs whose
    positive points exceed the cap at all are ordered in time, with a running sum per period that clamps each
    event exactly as the engine does."""
    candidates = " UNION ALL ".join(
        f"SELECT g.contact_id, {lit(k)} AS kind FROM bulk_eng g WHERE g.pos_{i} > {int(c.max_points)}"
        for i, (k, c) in enumerate(rules.caps.items()))
    cap = "CASE ev.kind " + " ".join(f"WHEN {lit(k)} THEN {int(c.max_points)}" for k, c in rules.caps.items()) + " END"
    period = "CASE ev.kind " + " ".join(
        f"WHEN {lit(k)} THEN {int(c.period_days) * 86400}" for k, c in rules.caps.items()) + " END"
    # Points already used in this kind's period before this event.
    used = (f"COALESCE(SUM(CASE WHEN ev.base > 0 THEN ev.base ELSE 0 END) OVER (PARTITION BY ev.contact_id, "
            f"ev.kind, {sql.bucket('ev.occurred_at', period)} ORDER BY ev.occurred_at, ev.id "
            f"ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)")
    windowed = (f"SELECT ev.contact_id, ev.occurred_at, ev.base, {cap} AS cap, {used} AS used "
                f"FROM ({_touch_sql(rules, floors=floors)}) ev JOIN ({candidates}) cand "
                f"ON cand.contact_id = ev.contact_id AND cand.kind = ev.kind")
    pts = f"CASE WHEN w.base <= 0 THEN w.base ELSE {sql.greatest('0', sql.least('w.base', 'w.cap - w.used'))} END"
    return (f"SELECT w.contact_id, SUM({_decayed(rules, sql, pts, 'w.occurred_at')} "
            f"- {_decayed(rules, sql, 'w.base', 'w.occurred_at')}) AS delta FROM ({windowed}) w GROUP BY w.contact_id")


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


def _scores_sql(plumb: PlumbLine, sql: _Sql, kinds: list[str], *, clamped: bool) -> str:
    """SELECT contact_id, fit_score, engagement_score and the hand-raiser flags, from `bulk_eng` (and `bulk_clamp`)."""
    domains = sorted({d.lower() for d in plumb.engagement.competitor_domains})
    competitor = (f"CASE WHEN {sql.email_domain()} IN ({lits(domains)}) THEN {int(plumb.engagement.competitor_points)} "
                  f"ELSE 0 END") if domains else "0"
    delta = " + COALESCE(f.delta, 0)" if clamped else ""
    return (
        f"SELECT c.id AS contact_id, ({_fit_sql(plumb, sql)}) AS fit_score, "
        f"ROUND(CAST(COALESCE(g.total, 0){delta} + {competitor} AS NUMERIC), 2) AS engagement_score"
        + "".join(f", COALESCE(g.k_{k}, 0) AS k_{k}" for k in kinds)
        + " FROM crm_contact c LEFT JOIN crm_company co ON co.id = c.company_id "
        "LEFT JOIN bulk_eng g ON g.contact_id = c.id"
        + (" LEFT JOIN bulk_clamp f ON f.contact_id = c.id" if clamped else "")
    )


@transaction.atomic
def bulk_rescore(*, now: dt.datetime | None = None, version: DefinitionVersion | None = None) -> BulkResult:
    """Rescore every contact in a few set-based statements; returns who the MQL rule now promotes."""
    now = now or timezone.now()
    version = version or current_version()
    plumb = parsed(version)
    sql = _Sql(now)
    temp = "pg_temp" if sql.pg else "temp"
    for table in ("bulk_eng", "bulk_clamp", "bulk_scores"):
        _run(f"DROP TABLE IF EXISTS {temp}.{table}")
    if sql.pg:
        _run("SET LOCAL work_mem = '256MB'")  # the per-contact and per-period aggregates stay in memory
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM scoring_contactscore WHERE engagement_floor_at IS NOT NULL LIMIT 1")
        floors = cur.fetchone() is not None
    kinds = sorted(_rule_kinds(plumb.mql.when))  # validated touchpoint kinds: safe as column names
    _run(f"CREATE TEMP TABLE bulk_eng AS {_engagement_sql(plumb.engagement, sql, kinds, floors=floors)}")
    clamped = bool(plumb.engagement.caps)
    if clamped:
        _run("CREATE INDEX bulk_eng_contact ON bulk_eng (contact_id)")
        _run(f"CREATE TEMP TABLE bulk_clamp AS {_clamp_sql(plumb.engagement, sql, floors=floors)}")
        _run("ANALYZE bulk_clamp" if sql.pg else "ANALYZE temp.bulk_clamp")
    _run(f"CREATE TEMP TABLE bulk_scores AS {_scores_sql(plumb, sql, kinds, clamped=clamped)}")
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
    for table in ("bulk_eng", "bulk_clamp", "bulk_scores"):
        _run(f"DROP TABLE IF EXISTS {temp}.{table}")
    return BulkResult(scored=scored, changed=changed, to_promote=promote)
