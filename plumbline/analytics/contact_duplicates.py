"""The duplicate finder over the CRM's contacts: which fields it compares and blocks on, and the scan that
stores its suggestions (`plumbline contacts duplicates --scan`, the duplicates page's button, the API)."""

from __future__ import annotations

import re
import time
from typing import Any

import pandas as pd
from django.utils import timezone

from plumbline.analytics.dedupe import Comparison, Duplicates, Settings, find_duplicates
from plumbline.crm.actions.duplicates import do_save_duplicate_scan
from plumbline.crm.models import DuplicateScan
from plumbline.crm.queries import contact_records

SETTINGS = Settings(
    comparisons=(
        Comparison("first", "name", "First name"),
        Comparison("last", "name", "Last name"),
        # Exact only, and skipped when both emails are built from their own names (ann.lee@...): then agreeing
        # on it only repeats the names. A personal handle (jdoe87@...) is evidence of its own.
        Comparison("local", "exact", "Email name", unless_both="derived"),
        Comparison("domain", "exact", "Email domain"),
        Comparison("phone", "identifier", "Phone"),
        Comparison("company", "exact", "Company"),
    ),
    blocking=(("last", "initial"), ("phone",), ("handle",), ("first", "company")),
    deterministic=(("first", "last", "phone"), ("first", "last", "company")),
    threshold=0.5,  # suggestions a person reviews before merging, most likely first
)
_NOT_DIGITS = re.compile(r"\D+")


def records(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    """Contacts as the finder compares them: lowercased names, the email's name without dots or +tags, whether
    that name is built from the contact's own names (and, when it is not, the same as `handle`), the email's
    domain, the phone's last ten digits, the company id."""
    frame = pd.DataFrame(rows, columns=["id", "first", "last", "email", "phone", "company"]).astype(
        {"first": "string", "last": "string", "email": "string", "phone": "string"})  # typed even when empty
    frame["first"] = frame["first"].fillna("").str.strip().str.lower()
    frame["last"] = frame["last"].fillna("").str.strip().str.lower()
    frame["initial"] = frame["first"].str[:1]
    parts = frame["email"].fillna("").str.lower().str.extract(r"^([^@+]*)[^@]*@?(.*)$")
    frame["local"] = parts[0].fillna("").str.replace(".", "", regex=False)
    frame["domain"] = parts[1].fillna("")
    frame["phone"] = frame["phone"].fillna("").str.replace(_NOT_DIGITS, "", regex=True).str[-10:]
    first, last, local = frame["first"], frame["last"], frame["local"]
    named = (first != "") | (last != "")
    frame["derived"] = named & ((local == first + last) | (local == frame["initial"] + last) | (local == last + first)
                                | (local == first))
    # Blocking on the email name only where it is a handle of its own: name-built ones are reached by the names.
    frame["handle"] = local.where(~frame["derived"], "")
    frame["company"] = frame["company"].astype("Int64").astype("string").fillna("")
    return frame.drop(columns=["email"]).astype({"id": "int64"})


def find(threshold: float | None = None, *, engine: str = "duckdb") -> tuple[Duplicates, int]:
    rows = list(contact_records())
    settings = SETTINGS if threshold is None else Settings(**{**SETTINGS.__dict__, "threshold": threshold})
    return find_duplicates(records(rows), settings, engine=engine), len(rows)


def scan(threshold: float | None = None, *, engine: str = "duckdb") -> DuplicateScan:
    """Find likely duplicates among all contacts and store them as the open suggestions."""
    started, clock = timezone.now(), time.perf_counter()
    found, contacts = find(threshold, engine=engine)
    model = {
        "prior": found.model.prior,
        "fields": [{"label": c.label, "levels": list(c.levels), "m": found.model.m[c.column],
                    "u": found.model.u[c.column]} for c in found.settings.comparisons],
        "seconds": round(time.perf_counter() - clock, 2),
    }
    pairs = found.pairs[["left_id", "right_id", "probability", "weight", "why"]].itertuples(index=False)
    return do_save_duplicate_scan(
        started_at=started, contacts=contacts, candidates=found.candidates, threshold=found.settings.threshold,
        model=model, pairs=([a, b, p, w, [list(x) for x in why]] for a, b, p, w, why in pairs))
