"""The predictive model's rows: one per contact, features as of a moment, and (for training) the outcome after it.

Training uses a time cut T so the future cannot leak into the features:
- population: contacts created before T that were not customers at T (stage at T not customer, evangelist or
  past customer, and no move to customer or evangelist at or before T);
- label (`became_customer`): a lifecycle move to customer or evangelist in (T, until];
- features: only what was known before T (see FEATURES). Scoring current contacts uses the same builder with
  T = now, so training and scoring read exactly the same columns.

The stage at T comes from `LifecycleTransition`: the last move at or before T, else the `from_stage` of the first
move after T, else the current stage. Company fields, title and source have no history: their current values
are used, so an edit made after T (say, a company enriched once it became a customer) can still leak.
Qualification answers keep only their latest state: an answer updated after T counts as unknown at T.

Everything is read in chunks of contacts with a handful of aggregate `values_list` queries per chunk (no query
per contact), then assembled with pandas, so 100k+ contacts train in bounded memory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from django.db.models import Count, Max, Q

from plumbline.crm.models import Activity, Contact, DealContact, LifecycleTransition
from plumbline.marketing.models import Touchpoint, TouchpointKind
from plumbline.scoring.engine import seniority

try:  # the playbook app owns qualification; the model works (without that feature) when it is absent
    from plumbline.playbook.models import DealQualification, PipelineFramework
    from plumbline.playbook.queries import score as qualification_score
except ImportError:  # pragma: no cover - only when plumbline.playbook is not installed
    DealQualification = PipelineFramework = qualification_score = None  # type: ignore[assignment,misc]

TARGET = "became_customer"
CUSTOMER_STAGES = ("customer", "evangelist")
WAS_CUSTOMER_STAGES = ("customer", "evangelist", "past_customer")
TOUCH_WINDOW_DAYS = 90
TOUCH_KINDS = tuple(TouchpointKind.values)
ACTIVITY_KINDS = ("call", "meeting", "email")
CHUNK = 5000
FREE_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "hotmail.com", "hotmail.co.uk", "outlook.com",
    "live.com", "msn.com", "aol.com", "icloud.com", "me.com", "mac.com", "proton.me", "protonmail.com",
    "gmx.com", "gmx.de", "gmx.net", "web.de", "mail.com", "yandex.com", "yandex.ru", "zoho.com", "hey.com",
    "fastmail.com", "qq.com", "163.com",
})
DEAL_QUALIFICATION = "deal_qualification"

FEATURES: dict[str, str] = {
    "company_industry": "company industry",
    "company_employees": "company employee count",
    "company_revenue": "company annual revenue",
    "company_country": "company country",
    "seniority": "seniority from the title",
    "source": "lead source",
    "free_mail": "free-mail address",
    "lifecycle_stage": "lifecycle stage",
    "days_known": "days since the contact was created",
    **{f"tp_{kind}_90d": f"{kind.replace('_', ' ')} touchpoints in the last {TOUCH_WINDOW_DAYS} days"
       for kind in TOUCH_KINDS},
    "touchpoints_90d": f"touchpoints in the last {TOUCH_WINDOW_DAYS} days",
    "touchpoints_total": "touchpoints ever",
    "channels_total": "distinct channels ever",
    "days_since_last_touch": "days since the last touchpoint",
    **{f"activities_{kind}": f"sales {kind}s logged" for kind in ACTIVITY_KINDS},
    "deals": "deals the contact is on",
    DEAL_QUALIFICATION: "best qualification completeness of its deals",
}


def feature_label(feature: str) -> str:
    """What a model feature means, in words (`x__missing` is "x missing")."""
    base, missing = (feature[: -len("__missing")], True) if feature.endswith("__missing") else (feature, False)
    label = FEATURES.get(base, base.replace("_", " "))
    return f"{label} (missing)" if missing else label


@dataclass
class TrainingRows:
    """Features and label per contact (index: contact id), and what the builder left out."""

    frame: pd.DataFrame
    cut_at: dt.datetime
    until: dt.datetime
    excluded_customers: int = 0
    left_out: dict[str, str] = field(default_factory=dict)

    @property
    def positives(self) -> int:
        return int(self.frame[TARGET].sum()) if len(self.frame) else 0


def left_out_features() -> dict[str, str]:
    """Features this installation cannot compute, with the reason (shown on the model page)."""
    if qualification_score is None:
        return {DEAL_QUALIFICATION: "plumbline.playbook is not installed"}
    return {}


def training_rows(*, cut_at: dt.datetime, until: dt.datetime) -> TrainingRows:
    """One row per contact created before `cut_at` and not a customer then; `became_customer` by `until`."""
    parts: list[pd.DataFrame] = []
    excluded = 0
    population = Contact.objects.filter(created_at__lt=cut_at)
    for ids in _id_chunks(population):
        chunk = _Chunk(ids, cut_at)
        stage, was_customer = chunk.stage_at(cut_at)
        keep = ~(stage.isin(WAS_CUSTOMER_STAGES) | was_customer)
        excluded += int((~keep).sum())
        features = chunk.features(stage)[keep.to_numpy()]
        features[TARGET] = chunk.became_customer(until).reindex(features.index, fill_value=0).astype(int)
        parts.append(features)
    frame = pd.concat(parts) if parts else _empty_frame(with_target=True)
    return TrainingRows(frame, cut_at, until, excluded, left_out_features())


def features_at(contact_ids: Sequence[int], *, at: dt.datetime) -> pd.DataFrame:
    """The same features for the given contacts as of `at` (usually now), index: contact id."""
    ids = sorted(set(contact_ids))
    parts = []
    for start in range(0, len(ids), CHUNK):
        chunk = _Chunk(ids[start:start + CHUNK], at)
        stage, _ = chunk.stage_at(at)
        parts.append(chunk.features(stage))
    return pd.concat(parts) if parts else _empty_frame(with_target=False)


def _id_chunks(population: Any) -> Iterator[list[int]]:
    last = 0
    while True:
        ids = list(population.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:CHUNK])
        if not ids:
            return
        yield ids
        last = ids[-1]


def _empty_frame(*, with_target: bool) -> pd.DataFrame:
    columns = [name for name in FEATURES if name not in left_out_features()]
    return pd.DataFrame(columns=[*columns, TARGET] if with_target else columns, index=pd.Index([], name="contact_id"))


class _Chunk:
    """Up to CHUNK contacts read together: one aggregate query per related table, features as of `at`."""

    def __init__(self, ids: list[int], at: dt.datetime) -> None:
        self.ids, self.at = ids, at
        self.index = pd.Index(ids, name="contact_id")
        # contiguous ids (training walks the table in pk order) filter by range, which the indexes serve best
        dense = bool(ids) and ids[-1] - ids[0] < 2 * len(ids)
        self.rows_of = (lambda prefix: Q(**{f"{prefix}__gte": ids[0], f"{prefix}__lte": ids[-1]})) if dense else (
            lambda prefix: Q(**{f"{prefix}__in": ids}))
        self._transitions: pd.DataFrame | None = None
        self._contacts: pd.DataFrame | None = None

    def contacts(self) -> pd.DataFrame:
        if self._contacts is None:
            rows = Contact.objects.filter(self.rows_of("pk")).values_list(
                "pk", "created_at", "title", "source", "email", "lifecycle_stage", "company__industry",
                "company__employee_count", "company__annual_revenue", "company__country")
            frame = pd.DataFrame(list(rows), columns=["contact_id", "created_at", "title", "source", "email", "stage",
                                                      "industry", "employees", "revenue", "country"])
            self._contacts = frame.set_index("contact_id").reindex(self.index)
        return self._contacts

    def transitions(self) -> pd.DataFrame:
        if self._transitions is None:
            rows = LifecycleTransition.objects.filter(self.rows_of("contact_id")).values_list(
                "contact_id", "from_stage", "to_stage", "occurred_at", "pk")
            frame = pd.DataFrame(list(rows), columns=["contact_id", "from_stage", "to_stage", "occurred_at", "pk"])
            frame = frame[frame["contact_id"].isin(self.index)]
            self._transitions = frame.sort_values(["occurred_at", "pk"], kind="stable")
        return self._transitions

    def stage_at(self, at: dt.datetime) -> tuple[pd.Series, pd.Series]:
        """Each contact's lifecycle stage at `at`, and whether it had moved to customer or evangelist by then."""
        moves = self.transitions()
        before, after = moves[moves["occurred_at"] <= at], moves[moves["occurred_at"] > at]
        stage = self.contacts()["stage"].copy()
        first_after = after.groupby("contact_id")["from_stage"].first()
        stage.update(first_after[first_after != ""])
        stage.update(before.groupby("contact_id")["to_stage"].last())
        customers = set(before.loc[before["to_stage"].isin(CUSTOMER_STAGES), "contact_id"])
        return stage, pd.Series(self.index.isin(list(customers)), index=self.index)

    def became_customer(self, until: dt.datetime) -> pd.Series:
        moves = self.transitions()
        won = moves[(moves["occurred_at"] > self.at) & (moves["occurred_at"] <= until)
                    & moves["to_stage"].isin(CUSTOMER_STAGES)]
        return pd.Series(1, index=pd.Index(won["contact_id"].unique(), name="contact_id"), dtype=int)

    def features(self, stage: pd.Series) -> pd.DataFrame:
        frame = self._profile()
        frame["lifecycle_stage"] = stage.reindex(frame.index)
        for part in (self._touchpoints(), self._activities(), self._deals()):
            frame = frame.join(part)
        columns = [name for name in FEATURES if name not in left_out_features()]
        return frame[columns]

    def _profile(self) -> pd.DataFrame:
        raw = self.contacts()
        titles = raw["title"].fillna("")
        levels = {title: seniority(title) for title in titles.unique()}
        domain = raw["email"].fillna("").str.rsplit("@", n=1).str[-1].str.lower()
        return pd.DataFrame({
            "company_industry": _blank_to_nan(raw["industry"]),
            "company_employees": pd.to_numeric(raw["employees"], errors="coerce").astype(float),
            "company_revenue": pd.to_numeric(raw["revenue"].map(_as_float), errors="coerce").astype(float),
            "company_country": _blank_to_nan(raw["country"]),
            "seniority": titles.map(levels),
            "source": _blank_to_nan(raw["source"]),
            "free_mail": domain.isin(FREE_MAIL_DOMAINS),
            "days_known": _days_between(raw["created_at"], self.at),
        }, index=self.index)

    def _touchpoints(self) -> pd.DataFrame:
        before = Touchpoint.objects.filter(self.rows_of("contact_id"), occurred_at__lt=self.at)
        recent = before.filter(occurred_at__gte=self.at - dt.timedelta(days=TOUCH_WINDOW_DAYS))
        per_kind = _counts(recent.values("contact_id", "kind").annotate(n=Count("pk")).values_list(
            "contact_id", "kind", "n"), self.index, TOUCH_KINDS, "tp_{}_90d")
        totals = pd.DataFrame(list(before.values("contact_id").annotate(
            n=Count("pk"), channels=Count("channel", distinct=True), last=Max("occurred_at")).values_list(
            "contact_id", "n", "channels", "last")), columns=["contact_id", "n", "channels", "last"])
        totals = totals.set_index("contact_id").reindex(self.index)
        per_kind["touchpoints_90d"] = per_kind.sum(axis=1)
        per_kind["touchpoints_total"] = totals["n"].fillna(0).astype(int)
        per_kind["channels_total"] = totals["channels"].fillna(0).astype(int)
        per_kind["days_since_last_touch"] = _days_between(totals["last"], self.at)
        return per_kind

    def _activities(self) -> pd.DataFrame:
        rows = Activity.objects.filter(
            self.rows_of("contact_id"), occurred_at__lt=self.at, kind__in=ACTIVITY_KINDS,
        ).values("contact_id", "kind").annotate(n=Count("pk")).values_list("contact_id", "kind", "n")
        return _counts(rows, self.index, ACTIVITY_KINDS, "activities_{}")

    def _deals(self) -> pd.DataFrame:
        links = pd.DataFrame(list(DealContact.objects.filter(
            self.rows_of("contact_id"), deal__created_at__lt=self.at,
        ).values_list("contact_id", "deal_id", "deal__pipeline_id")), columns=["contact_id", "deal_id", "pipeline_id"])
        links = links[links["contact_id"].isin(self.index)]
        out = pd.DataFrame(index=self.index)
        out["deals"] = links.groupby("contact_id")["deal_id"].nunique().reindex(self.index, fill_value=0).astype(int)
        if qualification_score is not None:
            links = links.assign(completeness=self._completeness(links))
            out[DEAL_QUALIFICATION] = links.groupby("contact_id")["completeness"].max().reindex(self.index)
        return out

    def _completeness(self, links: pd.DataFrame) -> pd.Series:
        """Each linked deal's qualification completeness from the answers given before `at` (NaN: no framework)."""
        if links.empty:
            return pd.Series(dtype=float, index=links.index)
        criteria = dict(PipelineFramework.objects.filter(pipeline_id__in=set(links["pipeline_id"])).values_list(
            "pipeline_id", "framework__criteria"))
        statuses: dict[int, dict[str, str]] = {}
        deal_ids = sorted(set(links["deal_id"]))
        for start in range(0, len(deal_ids), CHUNK):
            for deal_id, key, status in DealQualification.objects.filter(
                    deal_id__in=deal_ids[start:start + CHUNK], updated_at__lt=self.at).values_list(
                    "deal_id", "criterion", "status"):
                statuses.setdefault(deal_id, {})[key] = status
        values = [
            qualification_score(criteria[pipeline], statuses.get(deal, {})) if pipeline in criteria else np.nan
            for deal, pipeline in zip(links["deal_id"], links["pipeline_id"], strict=True)
        ]
        return pd.Series(values, index=links.index, dtype=float)


def _counts(rows: Any, index: pd.Index, kinds: Sequence[str], name: str) -> pd.DataFrame:
    """(contact, kind, n) rows as one integer column per kind, zero where absent."""
    frame = pd.DataFrame(list(rows), columns=["contact_id", "kind", "n"])
    table = frame.pivot_table(index="contact_id", columns="kind", values="n", aggfunc="sum", fill_value=0)
    table = table.reindex(index=index, columns=list(kinds), fill_value=0).fillna(0).astype(int)
    table.columns = [name.format(kind) for kind in kinds]
    return table


def _days_between(moments: pd.Series, at: dt.datetime) -> pd.Series:
    """Days (fractional) from each moment to `at`; NaN where there is no moment."""
    stamps = pd.to_datetime(moments, utc=True)
    return (pd.Timestamp(at).tz_convert("UTC") - stamps).dt.total_seconds() / 86400


def _blank_to_nan(values: pd.Series) -> pd.Series:
    return values.where(values.fillna("").astype(str).str.strip() != "", np.nan)


def _as_float(value: object) -> float:
    return float(value) if value is not None else np.nan
