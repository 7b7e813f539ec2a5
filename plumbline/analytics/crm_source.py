"""Attribution journeys from the CRM itself: the touchpoints before each conversion event.

Conversion events (`event`):
- `mql`: a lifecycle move to MQL;
- `opportunity`: a deal created (its first stage transition), valued at the deal amount, plus lifecycle moves
  to opportunity of contacts who are on no deal;
- `pipeline`: deals created that are open or won, valued at their amount (what "pipeline" means in ROI);
- `won`: deals won (closed in a won stage), valued at their amount, at the instant they closed.

An event counts when `since <= occurred_at < until`. Its journey is the touchpoints of its contacts in the
`lookback_days` before it and after the previous event of the same kind for the same subject (so a
touchpoint is never credited twice for the same kind of conversion). Whose touchpoints:
- level `contact`: the contact that moved (lifecycle events) or the contacts on the deal (deal events);
- level `company` (account-based): every contact of the company. A company converts to MQL (or to
  opportunity, when it has no deal) once, at the first such move of any of its contacts; its deals
  convert one by one. Contacts without a company are accounts of their own.

Subjects (contacts, or companies) with touchpoints in the date range and no conversion are journeys
without a conversion (the nulls the Markov model needs): their touchpoints in the range, within the
lookback window before their last one.

The relational work (joining touchpoints to events, windows, ordering, milestones) is one Ibis query run
on DuckDB or Spark (`plumbline.analytics.engines`); the models then run on the journeys, once per
dimension: channel, campaign or content.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa

from plumbline.analytics import engines, queries
from plumbline.analytics.attribution import attribute
from plumbline.analytics.attribution.paths import paths_from_arrow
from plumbline.analytics.params import AttributionParams

DAY = 86_400
EXACT = "decimal(38, 9)"
NO_CAMPAIGN = "(none)"


@dataclass
class Journeys:
    """One row per journey (`table`) and the totals of the conversion events in range."""

    table: pa.Table
    conversions: int
    value: Decimal
    campaign_names: dict[str, str] = field(default_factory=dict)

    @property
    def attributed_conversions(self) -> int:
        return int(round(sum(self.table["conversions"].to_pylist())))

    @property
    def attributed_value(self) -> Decimal:
        values = self.table["value"].to_pylist()
        return Decimal(str(round(sum(values), 2))) if values else Decimal("0.00")


# --- inputs -----------------------------------------------------------------------------------------


@dataclass
class _Inputs:
    touches: pa.Table
    members: pa.Table
    events: pa.Table
    milestones: pa.Table


def build_inputs(params: AttributionParams) -> _Inputs:
    """Read the CRM and lay out events, their members and milestones as Arrow tables."""
    since_s, until_s = queries.seconds(params.since), queries.seconds(params.until)
    lookback = params.lookback_days * DAY
    contacts = queries.contacts().to_pandas()
    staff = _Accounts(contacts, params.level)
    lifecycle = queries.lifecycle_transitions(stages=["mql", "opportunity"]).to_pandas()
    deals = queries.deals().to_pandas()
    links = queries.deal_contacts().to_pandas()
    deal_members = staff.deal_members(deals, links)

    events = _events(params, lifecycle, deals, deal_members, staff)
    touch_from = None if since_s is None else params.since - dt.timedelta(seconds=lookback)
    touches = queries.touchpoints(since=touch_from, until=params.until)
    in_range = _between(touches["at"].to_numpy(), since_s, until_s)
    touched = set(np.asarray(touches["contact_id"])[in_range].tolist())
    converted = [m for e in events if e["in_range"] and e["converted"] for m in e["members"]]
    events += staff.null_journeys(touched, set(converted), start=len(events))

    milestones = _milestones(lifecycle, deals, deal_members)
    members = [(e["journey_id"], c) for e in events for c in e["members"]]
    return _Inputs(
        touches=touch_table(touches),
        members=pa.table({"journey_id": [m[0] for m in members], "contact_id": [m[1] for m in members]},
                         schema=pa.schema([("journey_id", pa.int64()), ("contact_id", pa.int64())])),
        events=pa.table({
            "journey_id": pa.array([e["journey_id"] for e in events], pa.int64()),
            "entity": pa.array([e["entity"] for e in events], pa.string()),
            "at": pa.array([e["at"] for e in events], pa.int64()),
            "in_range": pa.array([int(e["in_range"]) for e in events], pa.int64()),
            "converted": pa.array([int(e["converted"]) for e in events], pa.int64()),
            "value": pa.array([e["value"] for e in events], queries.MONEY),
        }),
        milestones=milestones,
    )


def _between(at: Any, since: int | None, until: int | None) -> Any:
    keep = np.ones(len(at), dtype=bool)
    if since is not None:
        keep &= at >= since
    if until is not None:
        keep &= at < until
    return keep


class _Accounts:
    """Who a journey's touchpoints come from, at contact or company level."""

    def __init__(self, contacts: pd.DataFrame, level: str) -> None:
        self.level = level
        self.company_of: dict[int, int | None] = {
            int(c): (None if pd.isna(k) else int(k)) for c, k in zip(contacts["contact_id"], contacts["company_id"],
                                                                  strict=True)
        }
        self.staff: dict[int, list[int]] = defaultdict(list)
        for contact, company in sorted(self.company_of.items()):
            if company is not None:
                self.staff[company].append(contact)

    def account(self, contact: int) -> str:
        company = self.company_of.get(contact)
        return f"a:{company}" if company is not None else f"c:{contact}"

    def people(self, contact: int) -> list[int]:
        """The contacts whose touchpoints count for `contact`'s journeys at this level."""
        company = self.company_of.get(contact)
        if self.level == "company" and company is not None:
            return self.staff[company]
        return [contact]

    def deal_members(self, deals: pd.DataFrame, links: pd.DataFrame) -> dict[int, list[int]]:
        on_deal: dict[int, list[int]] = defaultdict(list)
        for deal, contact in zip(links["deal_id"], links["contact_id"], strict=True):
            on_deal[int(deal)].append(int(contact))
        members: dict[int, list[int]] = {}
        for deal, company in zip(deals["deal_id"], deals["company_id"], strict=True):
            if self.level == "company" and not pd.isna(company):
                members[int(deal)] = list(self.staff[int(company)])
            else:
                members[int(deal)] = sorted(set(on_deal[int(deal)]))
        return members

    def deal_entity(self, deal: int, company: Any) -> str:
        return f"a:{int(company)}" if self.level == "company" and not pd.isna(company) else f"d:{deal}"

    def null_journeys(self, touched: set[int], converted: set[int], *, start: int) -> list[dict[str, Any]]:
        """One journey without conversion per contact (or account) touched in range that did not convert."""
        if self.level == "company":
            done = {self.account(c) for c in converted}
            units: dict[str, list[int]] = {}
            for contact in sorted(touched):
                key = self.account(contact)
                if key not in done and key not in units:
                    units[key] = self.people(contact)
        else:
            units = {f"c:{c}": [c] for c in sorted(touched - converted)}
        # `at` 0, not None: Spark loses every value of an integer column holding a null (it goes via pandas).
        return [
            {"journey_id": start + i, "entity": f"n:{key}", "at": 0, "in_range": True, "converted": False,
             "value": Decimal(0), "members": people}
            for i, (key, people) in enumerate(units.items())
        ]


def _events(
    params: AttributionParams, lifecycle: pd.DataFrame, deals: pd.DataFrame, deal_members: dict[int, list[int]],
    staff: _Accounts,
) -> list[dict[str, Any]]:
    since_s, until_s = queries.seconds(params.since), queries.seconds(params.until)
    rows: list[dict[str, Any]] = []

    def add(entity: str, at: int, value: Decimal, members: list[int]) -> None:
        in_range = (since_s is None or at >= since_s) and (until_s is None or at < until_s)
        rows.append({"journey_id": len(rows), "entity": entity, "at": at, "in_range": in_range, "converted": True,
                     "value": value, "members": members})

    if params.event in ("opportunity", "pipeline", "won"):
        for deal in deals.itertuples(index=False):
            at = deal.closed_at if params.event == "won" else deal.created_at
            if pd.isna(at) or (params.event == "won" and deal.status != "won"):
                continue
            if params.event == "pipeline" and deal.status not in ("open", "won"):
                continue
            add(staff.deal_entity(deal.deal_id, deal.company_id), int(at), Decimal(deal.amount),
                deal_members[int(deal.deal_id)])
    if params.event in ("mql", "opportunity"):
        moves = lifecycle[lifecycle["to_stage"] == params.event].sort_values(["at", "id"])
        on_deal = {c for members in deal_members.values() for c in members}
        seen: set[str] = set()
        for move in moves.itertuples(index=False):
            contact = int(move.contact_id)
            if params.event == "opportunity" and contact in on_deal:
                continue
            if params.level == "company":
                key = staff.account(contact)
                if key in seen:
                    continue  # an account converts once, at its first contact's move
                seen.add(key)
                add(key, int(move.at), Decimal(0), staff.people(contact))
            else:
                add(f"c:{contact}", int(move.at), Decimal(0), [contact])
    return rows


def _milestones(lifecycle: pd.DataFrame, deals: pd.DataFrame, deal_members: dict[int, list[int]]) -> pa.Table:
    """Per contact, the instants the lead was created (MQL) and the opportunity was created."""
    kind = np.where(lifecycle["to_stage"] == "mql", "mql", "opp").tolist()
    contact, at = lifecycle["contact_id"].tolist(), lifecycle["at"].tolist()
    for deal, created in zip(deals["deal_id"], deals["created_at"], strict=True):
        if pd.isna(created):
            continue
        for member in deal_members[int(deal)]:
            contact.append(member)
            kind.append("opp")
            at.append(int(created))
    return pa.table({"contact_id": pa.array(contact, pa.int64()), "kind": pa.array(kind, pa.string()),
                     "m_at": pa.array(at, pa.int64())})


def touch_table(touches: pa.Table) -> pa.Table:
    import pyarrow.compute as pc

    campaign = pc.fill_null(pc.cast(touches["campaign_id"], pa.string()), NO_CAMPAIGN)
    return pa.table({
        "touch_id": touches["touch_id"], "contact_id": touches["contact_id"], "t_at": touches["at"],
        "channel": touches["channel"], "campaign": campaign, "content": touches["content"],
    })


# --- the engine query -------------------------------------------------------------------------------


def journey_query(
    touches: ibis.Table, members: ibis.Table, events: ibis.Table, milestones: ibis.Table, *,
    lookback_seconds: int, since_seconds: int | None,
) -> ibis.Table:
    """Ibis: one row per journey with its ordered steps per dimension, ages in days, outcome, milestones."""
    ev = events.mutate(
        prev=events.at.lag().over(ibis.window(group_by=events.entity, order_by=[events.at, events.journey_id]))
    )
    ev = ev.filter(ev.in_range == 1)
    floor = ibis.literal(since_seconds if since_seconds is not None else -(2**62), "int64")

    t = members.join(touches, "contact_id").join(ev, "journey_id")
    last_touch = t.t_at.max(where=t.t_at >= floor).over(ibis.window(group_by=t.journey_id))
    anchor = ibis.ifelse(t.converted == 1, t.at, last_touch)
    t = t.mutate(anchor=anchor)
    keep = (
        (t.t_at <= t.anchor)
        & (t.t_at >= t.anchor - lookback_seconds)
        & (t.prev.isnull() | (t.t_at > t.prev))
        & ((t.converted == 1) | (t.t_at >= floor))
    )
    t = t.filter(keep)
    t = t.mutate(pos=ibis.row_number().over(group_by=t.journey_id, order_by=[t.t_at, t.touch_id]))

    marks = members.join(milestones, "contact_id").join(ev.select("journey_id", "at", "converted"), "journey_id")
    marks = marks.filter((marks.m_at <= marks.at) & (marks.converted == 1))
    marks = marks.group_by("journey_id").aggregate(
        lead_at=marks.m_at.max(where=marks.kind == "mql"), opp_at=marks.m_at.max(where=marks.kind == "opp"),
    )
    t = t.left_join(marks, "journey_id").drop("journey_id_right")

    step = ibis.struct({
        "pos": t.pos, "channel": t.channel, "campaign": t.campaign, "content": t.content,
        "age": (t.anchor - t.t_at).cast("float64") / DAY,
    })
    per_journey = t.group_by(["journey_id", "converted", "value"]).aggregate(
        s=step.collect(),
        lead_step=t.pos.max(where=t.t_at <= t.lead_at).cast("int64"),
        opportunity_step=t.pos.max(where=t.t_at <= t.opp_at).cast("int64"),
    )
    ordered = per_journey.s.sort()
    return per_journey.select(
        "journey_id",
        channel=ordered.map(lambda e: e.channel),
        campaign=ordered.map(lambda e: e.campaign),
        content=ordered.map(lambda e: e.content),
        ages=ordered.map(lambda e: e.age),
        conversions=per_journey.converted.cast("float64"),
        value=(per_journey.value.cast(EXACT) * per_journey.converted).cast("float64"),
        nulls=(1 - per_journey.converted).cast("float64"),
        lead_step=per_journey.lead_step,
        opportunity_step=per_journey.opportunity_step,
    ).order_by("journey_id")


def journeys(params: AttributionParams, *, engine: str = "duckdb") -> Journeys:
    """The CRM's journeys for `params`, sessionised on `engine`."""
    inputs = build_inputs(params)
    expr = journey_query(
        engines.table(inputs.touches, engine=engine), engines.table(inputs.members, engine=engine),
        engines.table(inputs.events, engine=engine), engines.table(inputs.milestones, engine=engine),
        lookback_seconds=params.lookback_days * DAY, since_seconds=queries.seconds(params.since),
    )
    table = engines.to_arrow(expr, engine=engine)
    events = inputs.events.to_pandas()
    counted = events[(events["in_range"] == 1) & (events["converted"] == 1)]
    names = {str(c["id"]): c["name"] for c in queries.campaigns()}
    return Journeys(table=table, conversions=len(counted), value=sum(counted["value"], Decimal("0.00")),
                    campaign_names=names)


# --- models over journeys ---------------------------------------------------------------------------


def model_options(name: str, params: AttributionParams) -> tuple[str, dict[str, Any]]:
    """The attribution function and options for a model name ("markov-3" is Markov of order 3)."""
    if name.startswith("markov"):
        order = int(name.split("-", 1)[1]) if "-" in name else params.order
        return "markov", {"order": order}
    if name == "time-decay":
        return name, {"half_life": params.half_life_days}
    return name, {}


def credit(journeys: Journeys, params: AttributionParams, dimension: str) -> list[dict[str, Any]]:
    """Credited conversions and value per `dimension` value, one column pair per model in `params.models`.

    Rows are sorted by the first model's credited value, then conversions, then label.
    """
    table = journeys.table.select([dimension, "ages", "conversions", "value", "nulls", "lead_step",
                                   "opportunity_step"]).rename_columns(
        ["steps", "ages", "conversions", "value", "nulls", "lead_step", "opportunity_step"])
    if table.num_rows == 0:
        return []
    paths = paths_from_arrow(table, has_value=True)
    rows: dict[str, dict[str, Any]] = {}
    for key in paths.channels.astype(str):
        label = journeys.campaign_names.get(key, key) if dimension == "campaign" else key
        rows[key] = {"key": key, "label": label,
                     "campaign_id": int(key) if dimension == "campaign" and key != NO_CAMPAIGN else None}
    for name in params.models:
        function, options = model_options(name, params)
        frame = attribute(paths, function, **options)
        for record in frame.to_dict("records"):
            row = rows[str(record["channel"])]
            row[f"{name}_conversions"] = float(record["conversions"])
            row[f"{name}_value"] = float(record["value"])
            if "removal_effect" in record:
                row[f"{name}_removal_effect"] = float(record["removal_effect"])
    first = params.models[0]
    return sorted(rows.values(), key=lambda r: (-r[f"{first}_value"], -r[f"{first}_conversions"], r["label"]))



def report(params: AttributionParams) -> dict[str, Any]:
    """The attribution report for `params`: totals and, per dimension value, every model's credit."""
    result = journeys(params, engine=params.engine)
    rows = []
    for row in credit(result, params, params.dimension):
        credits = {
            name: {"conversions": row[f"{name}_conversions"], "value": row[f"{name}_value"],
                   "removal_effect": row.get(f"{name}_removal_effect")}
            for name in params.models
        }
        rows.append({"key": row["key"], "label": row["label"], "campaign_id": row["campaign_id"], "credits": credits})
    return {
        "conversions": result.conversions, "value": float(result.value),
        "attributed_conversions": result.attributed_conversions, "attributed_value": float(result.attributed_value),
        "unattributed_conversions": result.conversions - result.attributed_conversions,
        "journeys": result.table.num_rows, "rows": rows,
    }
