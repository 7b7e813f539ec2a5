"""Funnels: how many move from each stage to the next, how long it takes, and for whom.

- Lifecycle funnel over `crm.lifecycle.FUNNEL` (subscriber ... evangelist) and the deal funnel over a
  pipeline's open stages then won. A subject (contact or deal) has *reached* a stage when it entered that
  stage or any later one (skipping is allowed: a contact created as a lead reached subscriber too). The
  rate from stage k to k+1 is reached(k+1) / reached(k). Times are between the first entries into k and
  k+1 of the subjects that entered both, in that order: median and 75th percentile (linear interpolation),
  in days.
- Groups (`group_by`): all, cohort month (the month of the subject's first entry into the funnel),
  source (the contact's), channel and campaign of the contact's first touchpoint (earliest, ties to the
  lowest id), which the touchpoint actions keep with each contact (`marketing.FirstTouchpoint`). Deals are
  grouped through their primary (first linked) contact; their cohort is the month they were created.
- The date range selects subjects by their first entry (the cohort), so every cohort is followed whole.
- Speed to lead: hours from MQL to the first sales touch, from handoff assignments (first_touch_at -
  assigned_at) and from the reps' logged calls, emails and meetings after each MQL.
- Attention vs conversion: per campaign, opens, clicks and page views against the pipeline and revenue
  credited to it by the chosen attribution model.

Every aggregation is an Ibis query run by `plumbline.analytics.engines` (DuckDB, or Spark).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.compute as pc

from plumbline.analytics import crm_source, engines, queries
from plumbline.analytics.params import (
    GROUPS,
    AttributionParams,
    Errors,
    InvalidParameters,
    choice,
    date_range,
)
from plumbline.crm.lifecycle import FUNNEL
from plumbline.crm.models import Pipeline, PipelineStage

DAY = 86_400
EPOCH = ibis.literal(dt.datetime(1970, 1, 1), type="timestamp")
SPEED_GROUPS = ("all", "channel", "campaign", "source")
CONTACT_GROUPS = ("source", "channel", "campaign")  # the groupings read from the contacts table
OPENS = ("email_open",)
CLICKS = ("email_click", "ad_click")
VIEWS = ("page_view", "pricing_view")


@dataclass(frozen=True)
class FunnelParams:
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    group_by: str = "all"
    pipeline_id: int | None = None
    engine: str = "duckdb"


def funnel_params(raw: Mapping[str, Any]) -> FunnelParams:
    """Parse and validate funnel parameters (InvalidParameters, 422, names each bad field)."""
    errors = Errors()
    since, until = date_range(raw, errors)
    group_by = choice(raw, "group_by", "all", GROUPS, errors)
    engine = choice(raw, "engine", "duckdb", engines.ENGINES, errors)
    pipeline_id = None
    value = raw.get("pipeline")
    if value not in (None, ""):
        try:
            pipeline_id = int(str(value))
        except ValueError:
            pipeline_id = -1
        if not Pipeline.objects.filter(pk=pipeline_id).exists():
            errors.add("pipeline", f"No pipeline with id {value}.", code="does_not_exist")
            pipeline_id = None
    errors.raise_any()
    return FunnelParams(since=since, until=until, group_by=group_by, pipeline_id=pipeline_id, engine=engine)


# --- the engine query -------------------------------------------------------------------------------


def funnel_query(
    entries: ibis.Table, groups: ibis.Table | str, stages: int, *, since: int | None, until: int | None
) -> ibis.Table:
    """Ibis: per (grp, step): entered (reached), converted (reached the next), median and p75 days.

    `entries`: subject, step (0 .. stages - 1), at. `groups`: a table of subject, grp (subjects missing there
    fall in "(none)"), or "all" (one group) or "cohort" (the month of each subject's first entry), which come
    from the same pass over `entries` without a join.

    One GROUP BY subject pivots each subject's first entry into every stage to a column (at_0, at_1, ...):
    "reached stage k" is then `top >= k` and the time from k to k+1 a difference of two columns, so there
    is no subject-by-stage cross join and no self-join. One GROUP BY grp then aggregates every stage at
    once, and its few rows are unpivoted to one row per (grp, step).
    """
    step, at = entries.step, entries.at
    firsts = {f"at_{k}": at.min(where=step == k) for k in range(stages)}
    subjects = entries.group_by("subject").aggregate(top=step.max(), start=at.min(), **firsts)
    if since is not None:
        subjects = subjects.filter(subjects.start >= since)
    if until is not None:
        subjects = subjects.filter(subjects.start < until)
    if isinstance(groups, str):
        grp = _month(subjects.start) if groups == "cohort" else ibis.literal("All")
        subjects = subjects.mutate(grp=grp)
    else:
        subjects = subjects.left_join(groups, "subject")
        subjects = subjects.mutate(grp=subjects.grp.fill_null("(none)"))
    subjects = subjects.mutate(**_stage_days(subjects, stages))
    per_group = subjects.group_by("grp").aggregate(**_stage_measures(subjects, stages))
    none = ibis.null("float64")
    rows = ibis.array([
        ibis.struct({
            "step": ibis.literal(k, "int64"),
            "entered": per_group[f"entered_{k}"],
            "converted": per_group[f"entered_{k + 1}"] if k + 1 < stages else ibis.literal(0, "int64"),
            "timed": per_group[f"timed_{k}"] if k + 1 < stages else ibis.literal(0, "int64"),
            "median_days": per_group[f"quartiles_{k}"][0] if k + 1 < stages else none,
            "p75_days": per_group[f"quartiles_{k}"][1] if k + 1 < stages else none,
        })
        for k in range(stages)
    ])
    out = per_group.select("grp", row=rows).unnest("row").unpack("row")
    return out.filter(out.entered > 0).order_by(["grp", "step"])


def _month(seconds: ibis.IntegerValue) -> ibis.StringValue:
    """"YYYY-MM" of epoch seconds in UTC. A plain timestamp plus an interval: `as_timestamp` makes a
    TIMESTAMPTZ on DuckDB, which formats through the session time zone at about three times the cost."""
    return (EPOCH + seconds.as_interval("s")).strftime("%Y-%m")


def _stage_days(subjects: ibis.Table, stages: int) -> dict[str, ibis.Expr]:
    """days_k: days from the first entry into k to the first into k + 1, null unless both, in that order."""
    days = {}
    for k in range(stages - 1):
        gap = subjects[f"at_{k + 1}"] - subjects[f"at_{k}"]
        days[f"days_{k}"] = ibis.ifelse(gap >= 0, gap.cast("float64") / DAY, ibis.null("float64"))
    return days


def _stage_measures(subjects: ibis.Table, stages: int) -> dict[str, ibis.Expr]:
    """Per stage k: the subjects that reached it; towards k + 1, how many are timed, median and p75 days."""
    measures: dict[str, ibis.Expr] = {}
    for k in range(stages):
        measures[f"entered_{k}"] = subjects.top.count(where=subjects.top >= k)
        if k + 1 < stages:
            days = subjects[f"days_{k}"]
            measures[f"timed_{k}"] = days.count()
            # Both quantiles from one state: each state holds every value of the group, so two would copy
            # and select over them twice.
            measures[f"quartiles_{k}"] = days.quantile([0.5, 0.75])
    return measures


def group_query(subjects: ibis.Table | None, contacts: ibis.Table, entries: ibis.Table, group_by: str) -> ibis.Table:
    """Ibis: subject -> grp for `group_by`. `subjects`: subject, contact_id (the contact grouping it), or None
    when every subject is its own contact (the lifecycle funnel), which saves a join of every subject.

    `contacts`: contact_id, source, and for the first-touch groupings first_channel and first_campaign (the
    campaign id as text), the first touchpoint as stored with each contact (`_contacts`), so no touchpoint is
    read: "(none)" for a contact without touchpoints, and by campaign for one whose first touchpoint has none.
    """
    if group_by == "cohort":
        start = entries.group_by("subject").aggregate(start=entries.at.min())
        return start.select("subject", grp=_month(start.start))
    if group_by == "source":
        grp = ibis.ifelse(contacts.source.strip() == "", "(none)", contacts.source)
    elif group_by == "channel":
        grp = contacts.first_channel
    elif group_by == "campaign":
        grp = contacts.first_campaign
    elif subjects is None:
        return entries.select("subject", grp=ibis.literal("All")).distinct()
    else:
        return subjects.select("subject", grp=ibis.literal("All"))
    by_contact = contacts.select("contact_id", grp=grp)
    if subjects is None:
        return by_contact.rename(subject="contact_id")
    return subjects.join(by_contact, "contact_id").select("subject", "grp")


def _contacts(group_by: str) -> pa.Table:
    """The contacts table `group_query` needs for `group_by` (empty when it reads none). The first touch's campaign
    id becomes text and a missing value "(none)", as for touchpoints (`crm_source.touch_table`): nulls do not
    survive the trip to Spark (a null string arrives as "NaN")."""
    if group_by not in CONTACT_GROUPS:
        return _empty_contacts()
    if group_by == "source":
        return queries.contacts()
    table = queries.contacts(first_touch=True)
    channel = pc.fill_null(table["first_channel"], "(none)")
    campaign = pc.fill_null(pc.cast(table["first_campaign_id"], pa.string()), crm_source.NO_CAMPAIGN)
    return table.drop_columns(["first_channel", "first_campaign_id"]).append_column(
        "first_channel", channel).append_column("first_campaign", campaign)


def _run_funnel(entries: pa.Table, subjects: pa.Table | None, labels: list[str], params: FunnelParams) -> list[dict]:
    """`subjects`: subject -> contact_id, or None when every subject is a contact (see `group_query`)."""
    engine = params.engine
    contacts = _contacts(params.group_by)
    t_entries = engines.table(entries, engine=engine)
    # "all" and cohorts come from the funnel's own pass over the entries, without a second one or a join;
    # "all" only when every subject has a grouping contact (a deal without one falls in "(none)").
    own_pass = params.group_by == "cohort" or (params.group_by == "all" and (
        subjects is None or pc.all(pc.is_in(entries["subject"], subjects["subject"])).as_py() is not False))
    groups = params.group_by if own_pass else group_query(
        None if subjects is None else engines.table(subjects, engine=engine), engines.table(contacts, engine=engine),
        t_entries, params.group_by)
    expr = funnel_query(t_entries, groups, len(labels), since=queries.seconds(params.since),
                        until=queries.seconds(params.until))
    names = _campaign_names() if params.group_by == "campaign" else {}
    rows = []
    for r in engines.to_arrow(expr, engine=engine).to_pylist():
        if r["step"] >= len(labels) - 1:
            continue
        rows.append({
            "group": names.get(r["grp"], r["grp"]), "step": r["step"], "from_stage": labels[r["step"]],
            "to_stage": labels[r["step"] + 1], "entered": r["entered"], "converted": r["converted"],
            "rate": round(r["converted"] / r["entered"], 4) if r["entered"] else 0.0, "timed": r["timed"],
            "median_days": _round(r["median_days"]), "p75_days": _round(r["p75_days"]),
        })
    return rows


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _campaign_names() -> dict[str, str]:
    return {str(c["id"]): c["name"] for c in queries.campaigns()} | {crm_source.NO_CAMPAIGN: "(no campaign)"}


def _empty_contacts() -> pa.Table:
    return pa.table({"contact_id": pa.array([], pa.int64()), "company_id": pa.array([], pa.int64()),
                     "source": pa.array([], pa.string()), "first_channel": pa.array([], pa.string()),
                     "first_campaign": pa.array([], pa.string())})


# --- lifecycle and deal funnels ---------------------------------------------------------------------


def lifecycle_funnel(params: FunnelParams) -> list[dict[str, Any]]:
    """Stage-to-stage rates and times along the lifecycle funnel, per group."""
    labels = [str(s) for s in FUNNEL]
    index = {stage: i for i, stage in enumerate(labels)}
    moves = queries.lifecycle_transitions(stages=labels)
    stage = moves["to_stage"].to_pylist()
    entries = pa.table({"subject": moves["contact_id"], "step": pa.array([index[s] for s in stage], pa.int64()),
                        "at": moves["at"]})
    return _run_funnel(entries, None, labels, params)


def pipeline_for(params: FunnelParams) -> Pipeline | None:
    if params.pipeline_id is not None:
        return Pipeline.objects.get(pk=params.pipeline_id)
    return Pipeline.objects.filter(is_default=True).first() or Pipeline.objects.order_by("id").first()


def deal_funnel(params: FunnelParams) -> tuple[Pipeline | None, list[dict[str, Any]]]:
    """Stage-to-stage rates and times through a pipeline's open stages, then won."""
    pipeline = pipeline_for(params)
    if pipeline is None:
        return None, []
    stages = list(pipeline.stages.order_by("position"))
    open_stages = [s for s in stages if s.kind == PipelineStage.Kind.OPEN]
    step_of = {s.pk: i for i, s in enumerate(open_stages)}
    step_of |= {s.pk: len(open_stages) for s in stages if s.kind == PipelineStage.Kind.WON}
    labels = [s.name for s in open_stages] + ["Won"]
    moves = queries.deal_transitions()
    deal_ids, stage_ids, ats = (moves[c].to_pylist() for c in ("deal_id", "stage_id", "at"))
    kept = [i for i, s in enumerate(stage_ids) if s in step_of]
    entries = pa.table({
        "subject": pa.array([deal_ids[i] for i in kept], pa.int64()),
        "step": pa.array([step_of[stage_ids[i]] for i in kept], pa.int64()),
        "at": pa.array([ats[i] for i in kept], pa.int64()),
    })
    primary: dict[int, int] = {}
    links = queries.deal_contacts()
    for deal, contact in zip(links["deal_id"].to_pylist(), links["contact_id"].to_pylist(), strict=True):
        primary.setdefault(deal, contact)
    subjects = pa.table({"subject": pa.array(list(primary), pa.int64()),
                         "contact_id": pa.array(list(primary.values()), pa.int64())})
    return pipeline, _run_funnel(entries, subjects, labels, params)


# --- speed to lead ----------------------------------------------------------------------------------


def speed_query(waits: ibis.Table) -> ibis.Table:
    """Ibis: per grp, leads, leads touched, median and p75 hours (waits: grp, hours or null)."""
    return waits.group_by("grp").aggregate(
        leads=waits.count(), touched=waits.hours.count(),
        median_hours=waits.hours.quantile(0.5), p75_hours=waits.hours.quantile(0.75),
    ).order_by("grp")


def activity_waits_query(mqls: ibis.Table, touches: ibis.Table) -> ibis.Table:
    """Ibis: per MQL (id, contact_id, at), hours to the first sales touch at or after it (null if none)."""
    joined = mqls.left_join(touches, mqls.contact_id == touches.contact_id)
    joined = joined.mutate(t=ibis.ifelse(joined.touch_at >= joined.at, joined.touch_at, ibis.null("int64")))
    first = joined.group_by(["id", "contact_id"]).aggregate(at=joined.at.min(), touched_at=joined.t.min())
    return first.select("id", "contact_id", hours=(first.touched_at - first.at).cast("float64") / 3600)


def speed_to_lead(params: FunnelParams) -> dict[str, list[dict[str, Any]]]:
    """Hours from MQL to first sales touch: `assignments` (handoff clock) and `activities` (logged touches),
    grouped by `params.group_by` when it is one of all/channel/campaign/source (else all)."""
    group_by = params.group_by if params.group_by in SPEED_GROUPS else "all"
    engine = params.engine
    since, until = queries.seconds(params.since), queries.seconds(params.until)
    names = _campaign_names()

    handoffs = queries.assignments().to_pylist()
    handoffs = [a for a in handoffs if (since is None or a["assigned_at"] >= since)
                and (until is None or a["assigned_at"] < until)]
    grp = {"all": lambda a: "All", "channel": lambda a: a["channel"] or "(none)",
           "source": lambda a: a["source"] or "(none)",
           "campaign": lambda a: names.get(str(a["campaign_id"]), "(no campaign)") if a["campaign_id"] else "(no campaign)"}
    waits = pa.table({
        "grp": pa.array([grp[group_by](a) for a in handoffs], pa.string()),
        "hours": pa.array([None if a["first_touch_at"] is None else (a["first_touch_at"] - a["assigned_at"]) / 3600
                           for a in handoffs], pa.float64()),
    })
    by_assignment = engines.to_arrow(speed_query(engines.table(waits, engine=engine)), engine=engine).to_pylist()

    moves = queries.lifecycle_transitions(stages=["mql"])
    at = moves["at"].to_pylist()
    keep = [i for i, a in enumerate(at) if (since is None or a >= since) and (until is None or a < until)]
    mqls = pa.table({"id": pa.array([moves["id"][i].as_py() for i in keep], pa.int64()),
                     "contact_id": pa.array([moves["contact_id"][i].as_py() for i in keep], pa.int64()),
                     "at": pa.array([at[i] for i in keep], pa.int64())})
    sales = queries.sales_touches().rename_columns(["contact_id", "touch_at"])
    waits_expr = activity_waits_query(engines.table(mqls, engine=engine), engines.table(sales, engine=engine))
    subjects = mqls.select(["id", "contact_id"]).rename_columns(["subject", "contact_id"])
    groups = group_query(engines.table(subjects, engine=engine), engines.table(_contacts(group_by), engine=engine),
                         engines.table(mqls, engine=engine), group_by)
    joined = waits_expr.left_join(groups, waits_expr.id == groups.subject)
    joined = joined.select(grp=joined.grp.fill_null("(none)"), hours=joined.hours)
    by_activity = engines.to_arrow(speed_query(joined), engine=engine).to_pylist()

    def tidy(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"group": names.get(r["grp"], r["grp"]), "leads": r["leads"], "touched": r["touched"],
                 "median_hours": _round(r["median_hours"]), "p75_hours": _round(r["p75_hours"])} for r in rows]

    return {"assignments": tidy(by_assignment), "activities": tidy(by_activity)}


# --- attention vs conversion ------------------------------------------------------------------------


def attention_query(touches: ibis.Table) -> ibis.Table:
    """Ibis: per campaign, touchpoints, contacts touched, opens, clicks and page views."""
    kind = touches.kind
    return touches.group_by("campaign").aggregate(
        touches=touches.count(), contacts=touches.contact_id.nunique(),
        opens=kind.isin(OPENS).sum().cast("int64"), clicks=kind.isin(CLICKS).sum().cast("int64"),
        page_views=kind.isin(VIEWS).sum().cast("int64"),
    ).order_by("campaign")


def attention_vs_conversion(params: AttributionParams) -> list[dict[str, Any]]:
    """Per campaign: attention (touches in the date range) against credited pipeline and revenue
    (the first model of `params`)."""
    engine = params.engine
    raw = queries.touchpoints(since=params.since, until=params.until)
    touches = crm_source.touch_table(raw).append_column("kind", raw["kind"])
    attention = {r["campaign"]: r for r in
                 engines.to_arrow(attention_query(engines.table(touches, engine=engine)), engine=engine).to_pylist()}
    model = params.models[0]
    one = replace(params, models=(model,), dimension="campaign")
    credited = {}
    for event in ("pipeline", "won"):
        result = crm_source.journeys(replace(one, event=event), engine=engine)
        credited[event] = {r["key"]: r for r in crm_source.credit(result, one, "campaign")}
    names = _campaign_names()
    keys = sorted(set(attention) | set(credited["pipeline"]) | set(credited["won"]), key=lambda k: names.get(k, k))
    rows = []
    for key in keys:
        a = attention.get(key, {})
        rows.append({
            "campaign": names.get(key, key), "campaign_id": None if key == crm_source.NO_CAMPAIGN else int(key),
            "touches": a.get("touches", 0), "contacts": a.get("contacts", 0), "opens": a.get("opens", 0),
            "clicks": a.get("clicks", 0), "page_views": a.get("page_views", 0),
            "pipeline": round(credited["pipeline"].get(key, {}).get(f"{model}_value", 0.0), 2),
            "revenue": round(credited["won"].get(key, {}).get(f"{model}_value", 0.0), 2),
            "won_deals": round(credited["won"].get(key, {}).get(f"{model}_conversions", 0.0), 4),
        })
    return rows


__all__ = ["InvalidParameters", "attention_vs_conversion", "deal_funnel", "funnel_params", "lifecycle_funnel",
           "speed_to_lead"]
