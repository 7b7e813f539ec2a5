"""Set-based rescoring of every contact: the same rules as `engine.py`, run as SQL over all contacts at once.

`do_score_contact` explains one contact and is what events use. A full rescore (nightly decay, a new
definitions version, `plumbline score --all`) instead scores all contacts in a few statements on SQLite or
PostgreSQL, appends history where a score changed, writes the scores back, and returns the contacts the MQL rule
now promotes. `do_bulk_promote` then promotes them from their stored scores, recording each transition with the
reason and version `do_score_contact` records for an event (handoff.bulk routes them). Detailed explanations
are left to `do_score_contact` (the score API and the contact page refresh them on view).

Two ways to a contact's engagement, both exact:
- Recomputed from its events: every touchpoint and sales activity, capped and decayed. For every contact on the
  first run and after a definitions change, and otherwise for contacts with anything new since the last run.
- Decayed in place: every counted event loses the same share as time passes, so the decayed points stored at the
  score's basis times 0.5^(elapsed / half-life) are the decayed points now, provided no counted event is newer
  than the basis or than now. This is the nightly case, and it reads no touchpoints at all. Fit and grade stay,
  since a contact whose fields changed is recomputed; after a definitions change that leaves the engagement
  rules and the MQL rule's hand-raiser kinds alone (an ICP or threshold change, the common case), fit and grade
  are recomputed from the contact and company fields in the same pass ("refit"), still without touchpoints.

Matching a rule against a field is decided in Python, once per distinct value of that field, with the engine's
own `_matches`, so bulk and per-contact scoring agree; SQL then only tests membership.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from plumbline.crm.actions import Move, Moved, do_bulk_change_lifecycle, lifecycle_events
from plumbline.definitions.models import DefinitionVersion
from plumbline.definitions.queries import current_version, parsed
from plumbline.definitions.schema import GRADES, Condition, Engagement, FitRule, PlumbLine
from plumbline.events.actions import EventSpec, emit_many
from plumbline.scoring.engine import (
    SALES_TOUCH_KINDS,
    RuleContext,
    _matches,
    explain_rule,
    rule_kinds,
    seniority,
)
from plumbline.scoring.models import RescoreRun

logger = logging.getLogger(__name__)

BULK_EXPLANATION = "'{\"bulk\": true}'"  # detail is recomputed per contact on view
NUMERIC = {"company.employee_count": "co.employee_count", "company.annual_revenue": "co.annual_revenue"}


RuleInputs = tuple[int, str, float, str, str]  # fit score, fit grade, engagement, rule kinds (',a,b,'), stage


@dataclass
class BulkResult:
    scored: int  # every contact: each one's score is current afterwards
    changed: int  # history rows added
    to_promote: list[int]
    # What the MQL rule read of each contact to promote, from the same statement: do_bulk_promote words the
    # transitions' reasons from it without reading the scores again.
    rule_inputs: dict[int, RuleInputs] = field(default_factory=dict)
    recomputed: int = 0  # contacts recomputed from their events (the others were decayed in place)


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
        self.now = self.at(now)

    def at(self, moment: dt.datetime) -> str:
        """A timestamp literal: SQLite stores naive UTC text; PostgreSQL compares aware timestamps."""
        utc = moment.astimezone(dt.UTC)
        return lit(utc.isoformat()) + "::timestamptz" if self.pg else lit(utc.replace(tzinfo=None).isoformat(" "))

    def round2(self, expr: str) -> str:
        """Rounded to two decimals in double precision, like the engine's round(x, 2) (NUMERIC rounding would cost
        a conversion per row)."""
        return f"(ROUND(({expr}) * 100) / 100)" if self.pg else f"ROUND({expr}, 2)"

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
            return f"FLOOR(date_part('epoch', {column}) / ({seconds}))"
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


def _touch_sql(rules: Engagement, *, floors: bool, targeted: bool, match: str = "") -> str:
    """Touchpoints after their contact's engagement floor, with their base points. `floors` is whether any contact
    has a floor (a recycled lead); without one the join is skipped. `targeted`: only the contacts in bulk_targets.
    `match`: a further condition on `t`."""
    base = " + ".join([_case("t.kind", rules.points), _case("t.utm_campaign", rules.campaign_points),
                       _case("t.content", rules.content_points)])
    touch = f"SELECT t.id, t.contact_id, t.kind, t.occurred_at, {base} AS base FROM marketing_touchpoint t "
    if targeted:
        touch += TARGET_JOIN.format(alias="t")
    where = [match] if match else []
    if floors:
        touch += FLOOR_JOIN.format(alias="t")
        where.append(FLOOR.format(col="t.occurred_at"))
    return touch + ("WHERE " + " AND ".join(where) if where else "")


FLOOR = "(s.engagement_floor_at IS NULL OR {col} >= s.engagement_floor_at)"
FLOOR_JOIN = ("LEFT JOIN (SELECT contact_id, engagement_floor_at FROM scoring_contactscore "
              "WHERE engagement_floor_at IS NOT NULL) s ON s.contact_id = {alias}.contact_id ")
TARGET_JOIN = "JOIN bulk_targets tg ON tg.contact_id = {alias}.contact_id "


def _decayed(rules: Engagement, sql: _Sql, pts: str, at: str) -> str:
    return f"{pts} * POWER(0.5, {sql.greatest(sql.age_days(at), '0')} / {float(rules.half_life_days)!r})"


def _engagement_sql(rules: Engagement, sql: _Sql, kinds: list[str], *, floors: bool, targeted: bool) -> str:
    """One pass over the touchpoints and activities, grouped by contact: the decayed points of every event with
    capped kinds not yet clamped (`total`), the positive points of each capped kind (`pos_<i>`), the latest event
    (`last_at`), and a 0/1 column per hand-raiser kind the MQL rule uses. A contact whose capped points never
    exceed the cap in all needs no clamping; the others are corrected by `_clamp_sql`."""
    capped = list(rules.caps)
    pos = "".join(f", CASE WHEN ev.kind = {lit(k)} AND ev.base > 0 THEN ev.base ELSE 0 END AS pos_{i}"
                  for i, k in enumerate(capped))
    keep = f"ev.base <> 0 OR ev.kind IN ({lits(capped)})" if capped else "ev.base <> 0"
    parts = [f"SELECT ev.contact_id, ev.kind, ev.occurred_at AS at, "
             f"{_decayed(rules, sql, 'ev.base', 'ev.occurred_at')} AS val{pos} "
             f"FROM ({_touch_sql(rules, floors=floors, targeted=targeted)}) ev WHERE {keep}"]
    activity_kinds = [k for k in SALES_TOUCH_KINDS if rules.activity_points.get(k)]
    if activity_kinds:
        zeros = "".join(f", 0 AS pos_{i}" for i in range(len(capped)))
        act = (f"SELECT a.contact_id, a.kind, a.occurred_at AS at, "
               f"{_decayed(rules, sql, _case('a.kind', rules.activity_points), 'a.occurred_at')} AS val{zeros} "
               f"FROM crm_activity a ")
        where = f"WHERE a.contact_id IS NOT NULL AND a.kind IN ({lits(activity_kinds)})"
        if targeted:
            act += TARGET_JOIN.format(alias="a")
        if floors:
            act += FLOOR_JOIN.format(alias="a")
            where += " AND " + FLOOR.format(col="a.occurred_at")
        parts.append(act + where)
    sums = "".join(f", SUM(e.pos_{i}) AS pos_{i}" for i in range(len(capped)))
    flags = "".join(f", MAX(CASE WHEN e.kind = {lit(k)} THEN 1 ELSE 0 END) AS k_{k}" for k in kinds)
    return (f"SELECT e.contact_id, SUM(e.val) AS total, MAX(e.at) AS last_at{sums}{flags} "
            f"FROM ({' UNION ALL '.join(parts)}) e GROUP BY e.contact_id")


def _clamp_sql(rules: Engagement, sql: _Sql, *, floors: bool, targeted: bool) -> str:
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
    if sql.pg:
        # Each candidate's touchpoints of that kind through the (contact, time) index: a tenth of the contacts go
        # over a cap, and a join would read (and on PostgreSQL, sort or hash) all the touchpoints to find theirs.
        touches = _touch_sql(rules, floors=floors, targeted=targeted,
                             match="t.contact_id = cand.contact_id AND t.kind = cand.kind")
        source = f"({candidates}) cand CROSS JOIN LATERAL ({touches} OFFSET 0) ev"  # OFFSET 0: not merged back
    else:  # SQLite joins by nested loops over the small side anyway, and has no LATERAL
        source = (f"({_touch_sql(rules, floors=floors, targeted=targeted)}) ev JOIN ({candidates}) cand "
                  "ON cand.contact_id = ev.contact_id AND cand.kind = ev.kind")
    windowed = f"SELECT ev.contact_id, ev.occurred_at, ev.base, {cap} AS cap, {used} AS used FROM {source}"
    pts = f"CASE WHEN w.base <= 0 THEN w.base ELSE {sql.greatest('0', sql.least('w.base', 'w.cap - w.used'))} END"
    return (f"SELECT w.contact_id, SUM({_decayed(rules, sql, pts, 'w.occurred_at')} "
            f"- {_decayed(rules, sql, 'w.base', 'w.occurred_at')}) AS delta FROM ({windowed}) w GROUP BY w.contact_id")


def _rule_sql(cond: Condition) -> str:
    """The MQL rule as a condition over a stored score `s` and its contact `c`."""
    if cond.all is not None:
        return "(" + " AND ".join(_rule_sql(c) for c in cond.all) + ")" if cond.all else "(1 = 1)"
    if cond.any is not None:
        return "(" + " OR ".join(_rule_sql(c) for c in cond.any) + ")" if cond.any else "(1 = 0)"
    if cond.fit_grade_at_least is not None:
        return f"s.fit_grade IN ({lits(list(GRADES[: GRADES.index(cond.fit_grade_at_least) + 1]))})"
    if cond.fit_score_at_least is not None:
        return f"s.fit_score >= {lit(cond.fit_score_at_least)}"
    if cond.engagement_at_least is not None:
        return f"s.engagement_score >= {lit(float(cond.engagement_at_least))}"
    if cond.touchpoint_kind_in is not None:
        return "(" + " OR ".join(f"s.rule_kinds LIKE {lit('%,' + k + ',%')}" for k in cond.touchpoint_kind_in) + ")"
    return f"c.lifecycle_stage IN ({lits(list(cond.lifecycle_in or []))})"


def _run(statement: str) -> int:
    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(statement)
        rows = cur.rowcount
    logger.debug("%.2f s, %s rows: %s", time.perf_counter() - started, rows, statement[:70])
    return rows


def _one(statement: str) -> Any:
    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(statement)
        value = cur.fetchone()[0]
    logger.debug("%.2f s: %s", time.perf_counter() - started, statement[:70])
    return value


def _competitor_sql(plumb: PlumbLine, sql: _Sql) -> str:
    domains = sorted({d.lower() for d in plumb.engagement.competitor_domains})
    if not domains:
        return "0"
    return f"CASE WHEN {sql.email_domain()} IN ({lits(domains)}) THEN {int(plumb.engagement.competitor_points)} ELSE 0 END"


def _kinds_text_sql(kinds: list[str]) -> str:
    """The ',kind,kind,' text of `rule_kinds` from the k_<kind> flags of bulk_eng."""
    if not kinds:
        return "''"
    parts = " || ".join(f"CASE WHEN g.k_{k} = 1 THEN {lit(k + ',')} ELSE '' END" for k in kinds)
    return f"CASE WHEN {parts} = '' THEN '' ELSE ',' || {parts} END"


def _scores_sql(plumb: PlumbLine, sql: _Sql, kinds: list[str], *, clamped: bool, targeted: bool) -> str:
    """Recomputed scores: contact_id, fit_score, the decayed points (`decaying`, unrounded), engagement_score,
    last_at and rule_kinds, from `bulk_eng` (and `bulk_clamp`). The grade is added by `_graded`."""
    decaying = "COALESCE(g.total, 0)" + (" + COALESCE(f.delta, 0)" if clamped else "")
    inner = (
        f"SELECT c.id AS contact_id, ({_fit_sql(plumb, sql)}) AS fit_score, {decaying} AS decaying, "
        f"{sql.round2(decaying + ' + ' + _competitor_sql(plumb, sql))} AS engagement_score, "
        f"g.last_at AS last_at, {_kinds_text_sql(kinds)} AS rule_kinds "
        "FROM crm_contact c " + ("JOIN bulk_targets tg ON tg.contact_id = c.id " if targeted else "")
        + "LEFT JOIN crm_company co ON co.id = c.company_id LEFT JOIN bulk_eng g ON g.contact_id = c.id"
        + (" LEFT JOIN bulk_clamp f ON f.contact_id = c.id" if clamped else "")
    )
    return _graded(inner, plumb)


def _graded(inner: str, plumb: PlumbLine, where: str = "") -> str:
    return f"SELECT x.*, {_grade_sql('x.fit_score', plumb)} AS fit_grade FROM ({inner}) x {where}"


def _decayed_now_sql(plumb: PlumbLine, sql: _Sql) -> str:
    """A stored score's engagement now, from its decay basis: exact while no counted event is newer than the basis
    or than now (a `now` before the basis is exact too). Needs the score `s` (and, with competitor domains, its
    contact `c`)."""
    age = sql.age_days("s.decay_basis_at")
    decayed = f"s.engagement_decaying * POWER(0.5, {age} / {float(plumb.engagement.half_life_days)!r})"
    return sql.round2(f"{decayed} + {_competitor_sql(plumb, sql)}")


def _targets_sql(versions: list[int], sql: _Sql, last: RescoreRun, *, unscored: bool) -> str:
    """Contacts to recompute from their events: no score yet, scored under other definitions or before scores kept
    their decay basis, a counted event newer than the basis or than now, a touchpoint or sales activity recorded
    since the last run, or the contact's or its company's fields changed since the last run started (fit).

    A change whose transaction began before the last run and committed after it had read the data is not seen
    here; events rescore their contact as they arrive, so only a field change in that window waits for its next
    change or a `--full` run."""
    since = sql.at(last.started_at)
    return (
        f"SELECT s.contact_id FROM scoring_contactscore s WHERE s.definition_version NOT IN ({lits(versions)}) "
        "OR s.decay_basis_at IS NULL OR s.engagement_decaying IS NULL "
        f"OR s.last_event_at > {sql.least('s.decay_basis_at', sql.now)} "
        + ("UNION SELECT c.id FROM crm_contact c "
           "WHERE NOT EXISTS (SELECT 1 FROM scoring_contactscore s WHERE s.contact_id = c.id) " if unscored else "")
        + f"UNION SELECT c.id FROM crm_contact c WHERE c.updated_at > {since} "
        "UNION SELECT c.id FROM crm_contact c JOIN crm_company co ON co.id = c.company_id "
        f"WHERE co.updated_at > {since} "
        f"UNION SELECT t.contact_id FROM marketing_touchpoint t WHERE t.id > {int(last.touchpoint_mark)} "
        "AND t.contact_id IS NOT NULL "
        f"UNION SELECT a.contact_id FROM crm_activity a WHERE a.id > {int(last.activity_mark)} "
        "AND a.contact_id IS NOT NULL"
    )


TEMP_TABLES = ("bulk_targets", "bulk_decayed", "bulk_rising", "bulk_eng", "bulk_clamp", "bulk_scores")


@transaction.atomic
def bulk_rescore(
    *, now: dt.datetime | None = None, version: DefinitionVersion | None = None, full: bool = False,
) -> BulkResult:
    """Rescore every contact in a few set-based statements; returns who the MQL rule now promotes.

    `full` recomputes every contact from its events; otherwise only the contacts that need it are, and the others
    are decayed in place (see the module's docstring). Both give the same scores."""
    started = timezone.now()
    now = now or started
    version = version or current_version()
    plumb = parsed(version)
    sql = _Sql(now)
    n = int(version.number)
    temp = "pg_temp" if sql.pg else "temp"
    for table in TEMP_TABLES:
        _run(f"DROP TABLE IF EXISTS {temp}.{table}")
    if sql.pg:
        _run("SET LOCAL work_mem = '256MB'")  # the per-contact and per-period aggregates stay in memory
    marks = (_one("SELECT COALESCE(MAX(id), 0) FROM marketing_touchpoint"),
             _one("SELECT COALESCE(MAX(id), 0) FROM crm_activity"))
    last = RescoreRun.objects.order_by("-id").first()
    refit = not full and last is not None and last.definition_version != n and _same_engagement(last, plumb)
    full = full or last is None or (last.definition_version != n and not refit)
    contacts = _one("SELECT COUNT(*) FROM crm_contact")
    changed = 0
    if not full:
        assert last is not None
        # A score exists only for a contact, so equal counts mean every contact has one (no anti-join needed).
        unscored = contacts != _one("SELECT COUNT(*) FROM scoring_contactscore")
        versions = [n, last.definition_version] if refit else [n]
        _run(f"CREATE TEMP TABLE bulk_targets AS {_targets_sql(versions, sql, last, unscored=unscored)}")
        _run("CREATE UNIQUE INDEX bulk_targets_contact ON bulk_targets (contact_id)")
        _run("ANALYZE bulk_targets" if sql.pg else "ANALYZE temp.bulk_targets")
        changed += _refit_in_place(plumb, sql, n) if refit else _decay_in_place(plumb, sql, n)
    recomputed, added = _recompute(plumb, sql, n, targeted=not full)
    promote = _promotions(plumb, targeted=not full and not refit)  # new rules may promote anyone
    scored = contacts  # every contact read by this run now has a current score
    for table in TEMP_TABLES:
        _run(f"DROP TABLE IF EXISTS {temp}.{table}")
    RescoreRun.objects.create(
        started_at=started, finished_at=timezone.now(), definition_version=n, full=full, scored=scored,
        recomputed=recomputed, changed=changed + added, touchpoint_mark=marks[0], activity_mark=marks[1],
    )
    return BulkResult(scored=scored, changed=changed + added, to_promote=list(promote), recomputed=recomputed,
                      rule_inputs=promote)


RULE_INPUTS = "s.contact_id, s.fit_score, s.fit_grade, s.engagement_score, s.rule_kinds, c.lifecycle_stage"


def _promotions(plumb: PlumbLine, *, targeted: bool) -> dict[int, RuleInputs]:
    """Contacts in a stage the MQL rule may promote from whose stored scores now meet the rule. After a targeted
    run only the recomputed contacts and those whose engagement rose can newly meet it: a decayed score keeps its
    fit, grade and hand-raisers, and its engagement only rose if its points are negative."""
    where = ("AND (s.contact_id IN (SELECT contact_id FROM bulk_targets) "
             "OR s.contact_id IN (SELECT contact_id FROM bulk_rising)) " if targeted else "")
    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {RULE_INPUTS} FROM scoring_contactscore s JOIN crm_contact c ON c.id = s.contact_id "
            f"WHERE c.lifecycle_stage IN ({lits(list(plumb.mql.eligible_stages))}) AND {_rule_sql(plumb.mql.when)} "
            f"{where}ORDER BY s.contact_id"
        )
        promote = {row[0]: row[1:] for row in cur.fetchall()}
    logger.debug("%.2f s, %s rows: promotions", time.perf_counter() - started, len(promote))
    return promote


def _same_engagement(last: RescoreRun, plumb: PlumbLine) -> bool:
    """Whether the last run's definitions count engagement exactly as these do (the same engagement rules and the
    same hand-raiser kinds in the MQL rule), so its decay basis still holds and only fit needs recomputing."""
    before = DefinitionVersion.objects.filter(number=last.definition_version).first()
    if before is None:
        return False
    old = parsed(before)
    return old.engagement == plumb.engagement and rule_kinds(old.mql.when) == rule_kinds(plumb.mql.when)


def _refit_in_place(plumb: PlumbLine, sql: _Sql, n: int) -> int:
    """After a definitions change that kept the engagement rules: every score outside bulk_targets gets its fit and
    grade from the new ICP rules and its engagement decayed in place, under version `n`; a history row for each,
    as for any score under new definitions. Its explanation is left to be rebuilt when the contact is viewed.
    Returns the history rows added. (Through a temporary table on PostgreSQL too: one UPDATE ... RETURNING
    feeding the history, as `_decay_in_place` does, measured slower here with every row changing.)"""
    decayed = (f"SELECT s.contact_id, s.decay_basis_at AS basis, ({_fit_sql(plumb, sql)}) AS fit_score, "
               f"{_decayed_now_sql(plumb, sql)} AS new FROM scoring_contactscore s "
               "JOIN crm_contact c ON c.id = s.contact_id LEFT JOIN crm_company co ON co.id = c.company_id "
               "WHERE NOT EXISTS (SELECT 1 FROM bulk_targets tg WHERE tg.contact_id = s.contact_id)")
    _run(f"CREATE TEMP TABLE bulk_decayed AS {_graded(decayed, plumb)}")
    _run("CREATE UNIQUE INDEX bulk_decayed_contact ON bulk_decayed (contact_id)")
    added = _run("INSERT INTO scoring_scorehistory (contact_id, fit_score, fit_grade, engagement_score, "
                 f"definition_version, computed_at, reason) SELECT d.contact_id, d.fit_score, d.fit_grade, d.new, {n}, "
                 f"{sql.now}, 'bulk' FROM bulk_decayed d")
    _run(f"UPDATE scoring_contactscore AS t SET fit_score = d.fit_score, fit_grade = d.fit_grade, "
         f"engagement_score = d.new, definition_version = {n}, computed_at = {sql.now}, "
         f"explanation = {BULK_EXPLANATION} FROM bulk_decayed d "
         "WHERE t.contact_id = d.contact_id AND t.decay_basis_at = d.basis")
    return added


def _decay_in_place(plumb: PlumbLine, sql: _Sql, n: int) -> int:
    """Decay the scores outside bulk_targets and write back those whose rounded engagement changes; fit, grade and
    hand-raisers stay (nothing they depend on changed). Fills bulk_rising with the scores whose engagement rose
    (negative points fading), which may newly meet the MQL rule. Returns the history rows added."""
    contact = "JOIN crm_contact c ON c.id = s.contact_id " if plumb.engagement.competitor_domains else ""
    # Each score's old and new engagement, and the basis it was decayed from.
    decayed = (f"SELECT s.contact_id, s.fit_score, s.fit_grade, s.decay_basis_at AS basis, s.engagement_score AS old, "
               f"{_decayed_now_sql(plumb, sql)} AS new FROM scoring_contactscore s {contact}"
               "WHERE NOT EXISTS (SELECT 1 FROM bulk_targets tg WHERE tg.contact_id = s.contact_id)")
    if sql.pg:
        decayed += " OFFSET 0"  # a fence: PostgreSQL would otherwise compute `new` again for each use of it
    # A history row when the engagement moves by a whole point (ROUND on a double: no NUMERIC work per row).
    history = ("INSERT INTO scoring_scorehistory (contact_id, fit_score, fit_grade, engagement_score, "
               f"definition_version, computed_at, reason) SELECT x.contact_id, x.fit_score, x.fit_grade, x.new, {n}, "
               f"{sql.now}, 'bulk' FROM {{rows}} x WHERE ROUND(x.old) <> ROUND(x.new)")
    if sql.pg:
        # One statement, one pass: the update returns each changed score with its old value, and both the history
        # and bulk_rising take theirs from it. A score an event rewrote meanwhile has a new basis and is skipped
        # (the basis is checked again on the row's latest version).
        _run("CREATE TEMP TABLE bulk_rising (contact_id BIGINT)")
        changed = (f"UPDATE scoring_contactscore AS t SET engagement_score = d.new, computed_at = {sql.now} "
                   f"FROM ({decayed}) d WHERE t.contact_id = d.contact_id AND d.new <> d.old "
                   "AND t.decay_basis_at = d.basis RETURNING d.*")
        return _one(f"WITH changed AS ({changed}), "
                    f"history AS ({history.format(rows='changed')} RETURNING 1), "
                    "rising AS (INSERT INTO bulk_rising SELECT contact_id FROM changed WHERE new > old) "
                    "SELECT COUNT(*) FROM history")
    _run(f"CREATE TEMP TABLE bulk_decayed AS SELECT * FROM ({decayed}) d WHERE d.new <> d.old")
    _run("CREATE UNIQUE INDEX bulk_decayed_contact ON bulk_decayed (contact_id)")
    _run("CREATE TEMP TABLE bulk_rising AS SELECT contact_id FROM bulk_decayed WHERE new > old")
    added = _run(history.format(rows="bulk_decayed"))
    _run(f"UPDATE scoring_contactscore AS t SET engagement_score = d.new, computed_at = {sql.now} FROM bulk_decayed d "
         "WHERE t.contact_id = d.contact_id AND t.decay_basis_at = d.basis")
    return added


def _recompute(plumb: PlumbLine, sql: _Sql, n: int, *, targeted: bool) -> tuple[int, int]:
    """Recompute from their events every contact (or those in bulk_targets) and write their scores and decay basis
    back. Returns (contacts recomputed, history rows added)."""
    if targeted and not _one("SELECT COUNT(*) FROM bulk_targets"):
        return 0, 0
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM scoring_contactscore WHERE engagement_floor_at IS NOT NULL LIMIT 1")
        floors = cur.fetchone() is not None
    kinds = sorted(rule_kinds(plumb.mql.when))  # validated touchpoint kinds: safe as column names
    rules = plumb.engagement
    _run(f"CREATE TEMP TABLE bulk_eng AS {_engagement_sql(rules, sql, kinds, floors=floors, targeted=targeted)}")
    clamped = bool(rules.caps)
    if clamped:
        _run("CREATE INDEX bulk_eng_contact ON bulk_eng (contact_id)")
        # Statistics, so the few contacts over a cap are hashed and the touchpoints streamed past them, instead of
        # all touchpoints sorted on disk for a merge join (guessing a third of bulk_eng over a cap).
        _run("ANALYZE bulk_eng" if sql.pg else "ANALYZE temp.bulk_eng")
        _run(f"CREATE TEMP TABLE bulk_clamp AS {_clamp_sql(rules, sql, floors=floors, targeted=targeted)}")
        _run("ANALYZE bulk_clamp" if sql.pg else "ANALYZE temp.bulk_clamp")
    _run(f"CREATE TEMP TABLE bulk_scores AS {_scores_sql(plumb, sql, kinds, clamped=clamped, targeted=targeted)}")
    changed = _run(
        "INSERT INTO scoring_scorehistory (contact_id, fit_score, fit_grade, engagement_score, definition_version, "
        f"computed_at, reason) SELECT b.contact_id, b.fit_score, b.fit_grade, b.engagement_score, {n}, {sql.now}, "
        "'bulk' FROM bulk_scores b LEFT JOIN scoring_contactscore s ON s.contact_id = b.contact_id "
        "WHERE s.contact_id IS NULL OR s.fit_score <> b.fit_score OR s.fit_grade <> b.fit_grade "
        "OR ROUND(s.engagement_score) <> ROUND(b.engagement_score) "
        f"OR s.definition_version <> {n}"
    )
    recomputed = _run(
        "INSERT INTO scoring_contactscore (contact_id, fit_score, fit_grade, engagement_score, definition_version, "
        "computed_at, explanation, decay_basis_at, engagement_decaying, last_event_at, rule_kinds) "
        f"SELECT b.contact_id, b.fit_score, b.fit_grade, b.engagement_score, {n}, {sql.now}, {BULK_EXPLANATION}, "
        f"{sql.now}, b.decaying, b.last_at, b.rule_kinds FROM bulk_scores b WHERE 1 = 1 "
        "ON CONFLICT (contact_id) DO UPDATE SET fit_score = excluded.fit_score, fit_grade = excluded.fit_grade, "
        "engagement_score = excluded.engagement_score, definition_version = excluded.definition_version, "
        "computed_at = excluded.computed_at, explanation = excluded.explanation, "
        "decay_basis_at = excluded.decay_basis_at, engagement_decaying = excluded.engagement_decaying, "
        "last_event_at = excluded.last_event_at, rule_kinds = excluded.rule_kinds"
    )
    return recomputed, changed


CHUNK = 10_000  # ids per statement on SQLite: far below its parameter limit


def id_chunks(column: str, ids: list[int]) -> list[tuple[str, list[Any]]]:
    """`column` is one of `ids`, as SQL conditions with their parameters: one array parameter on PostgreSQL (a
    statement of any size, planned once), IN lists of CHUNK ids on SQLite."""
    if connection.vendor == "postgresql":
        return [(f"{column} = ANY(%s)", [ids])] if ids else []
    return [(f"{column} IN ({', '.join(['%s'] * len(ids[i:i + CHUNK]))})", ids[i:i + CHUNK])
            for i in range(0, len(ids), CHUNK)]


def rule_inputs(contact_ids: list[int]) -> dict[int, RuleInputs]:
    """What the MQL rule reads of each contact: its stored score's fit, grade, engagement and the hand-raiser kinds
    the rule names, and its stage."""
    found: dict[int, RuleInputs] = {}
    for condition, params in id_chunks("s.contact_id", contact_ids):
        with connection.cursor() as cur:
            cur.execute(f"SELECT {RULE_INPUTS} FROM scoring_contactscore s JOIN crm_contact c ON c.id = s.contact_id "
                        f"WHERE {condition}", params)
            found.update((row[0], row[1:]) for row in cur.fetchall())
    return found


def promotion_reasons(inputs: dict[int, RuleInputs], plumb: PlumbLine, number: int) -> dict[int, str]:
    """For each contact whose inputs meet the MQL rule from an eligible stage, the transition's reason in the words
    `do_score_contact` records (the rule's name, the version and the branch that held)."""
    reasons: dict[int, str] = {}
    thresholds = sorted(_engagement_thresholds(plumb.mql.when))
    explained: dict[tuple[Any, ...], tuple[bool, str]] = {}
    for contact_id in sorted(inputs):
        fit_score, grade, engagement_score, kinds, stage = inputs[contact_id]
        if stage not in plumb.mql.eligible_stages:
            continue
        # All the explanation depends on: engagement enters only through its comparisons with the rule's
        # thresholds and its one-decimal wording, so leads alike in these share one explanation.
        key = (fit_score, grade, kinds, stage, f"{engagement_score:.1f}",
               *(engagement_score >= t for t in thresholds))
        if key not in explained:
            ctx = RuleContext(fit_score, grade, engagement_score, frozenset(filter(None, kinds.split(","))), stage)
            explained[key] = explain_rule(plumb.mql.when, ctx)
        held, why = explained[key]
        if held:
            reasons[contact_id] = f"{plumb.mql.name} (definitions v{number}): {why}"[:500]
    return reasons


def _engagement_thresholds(cond: Condition) -> set[float]:
    """Every engagement threshold the rule compares with, at any depth."""
    found = {float(cond.engagement_at_least)} if cond.engagement_at_least is not None else set()
    for child in (cond.all or []) + (cond.any or []):
        found |= _engagement_thresholds(child)
    return found


def promotion_events(promoted: list[Moved], *, now: dt.datetime, number: int) -> list[EventSpec]:
    """The events of promotions: `lifecycle.changed` and `lead.mql_reached` for each contact."""
    return [*lifecycle_events(promoted, occurred_at=now, source="automation", definition_version=number),
            *(EventSpec(kind="lead.mql_reached", subject_type="contact", subject_id=m.contact_id, occurred_at=now,
                        payload={"transition_id": m.transition_id, "definition_version": number})
              for m in promoted)]


@transaction.atomic
def do_bulk_promote(
    *, contact_ids: list[int], now: dt.datetime, version: DefinitionVersion | None = None, emit_events: bool = True,
    inputs: Mapping[int, RuleInputs] | None = None,
) -> list[Moved]:
    """Promote to MQL every contact of `contact_ids` whose stored score meets the MQL rule, as `do_score_contact`
    promotes one: an automation transition with the rule's reason and the definitions version, at `now`, and the
    events `lifecycle.changed` and `lead.mql_reached` (unless `emit_events` is false: then the caller writes
    `promotion_events(...)` later in the transaction). The scores must be current (a bulk rescore has just run);
    `inputs`, what that rescore's promotion query read (BulkResult.rule_inputs), saves reading them again. The
    stage is checked again as each contact is moved. Returns the promoted contacts in id order."""
    version = version or current_version()
    plumb = parsed(version)
    number = int(version.number)
    started = time.perf_counter()
    if inputs is None:
        read = rule_inputs(sorted(contact_ids))
    else:
        read = {pk: inputs[pk] for pk in contact_ids if pk in inputs}
    reasons = promotion_reasons(read, plumb, number)
    logger.debug("%.2f s, %s rows: promotion reasons", time.perf_counter() - started, len(reasons))
    promoted = do_bulk_change_lifecycle(
        moves=[Move(contact_id, "mql", reason) for contact_id, reason in reasons.items()],
        occurred_at=now, source="automation", definition_version=number,
        from_stages=plumb.mql.eligible_stages, emit_events=False,
    )
    if emit_events:
        emit_many(promotion_events(promoted, now=now, number=number))
    return promoted
