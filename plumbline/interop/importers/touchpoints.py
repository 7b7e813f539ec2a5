"""Touchpoints: contacts by email, campaigns by UTM key. The cells are parsed here (times without an offset are
UTC); `marketing.actions.do_import_touchpoints` checks each row with the touchpoint schema, skips rows already
recorded and keeps first touches and scores following the new rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.dateparse import parse_datetime

from plumbline.interop.importers.base import ImportReport, Row, apply_results
from plumbline.marketing.actions import do_import_touchpoints

PASSED = ("channel", "kind", "value", "source", "medium", "utm_campaign", "utm_content", "utm_term", "content")


class TouchpointImporter:
    kind = "touchpoints"
    resource = "touchpoint"
    fields = ("contact_email", "campaign", "occurred_at", *PASSED)
    required = ("contact_email", "kind", "occurred_at")
    aliases = {"email": "contact_email", "contact": "contact_email", "campaign_utm": "campaign", "type": "kind",
               "event": "kind", "timestamp": "occurred_at", "time": "occurred_at", "date": "occurred_at",
               "utm_source": "source", "utm_medium": "medium"}

    def __init__(self, *, by: Any, users: dict[str, Any], filename: str) -> None:
        self.by = by
        self.times: dict[str, dt.datetime | str] = {}

    def clean(self, row: Row) -> dict[str, Any] | None:
        if not row.has("contact_email"):
            row.error("contact_email", "Contact email is required.")
        if not row.has("occurred_at"):
            row.error("occurred_at", "occurred_at is required (an ISO 8601 date-time).")
        if row.errors:
            return None
        item: dict[str, Any] = {"contact_email": row.get("contact_email"), "occurred_at": self._when(row)}
        if row.has("campaign"):
            item["campaign"] = row.get("campaign")
        item.update({k: row.get(k) for k in PASSED if row.has(k)})
        return item

    def _when(self, row: Row) -> dt.datetime | str:
        """The time as an aware datetime (UTC when the cell has no offset); text that is no time is handed on as
        it is, for the touchpoint schema to refuse with the API's words."""
        text = row.get("occurred_at")
        when = self.times.get(text)
        if when is None:
            try:
                when = parse_datetime(text)
            except ValueError:  # well formed but impossible, such as February 30
                when = None
            if when is not None and when.tzinfo is None:
                when = when.replace(tzinfo=dt.UTC)
            when = self.times[text] = when or text
        return when

    def process(self, rows: list[tuple[Row, dict[str, Any]]], report: ImportReport) -> None:
        results = do_import_touchpoints(by=self.by, rows=[d for _, d in rows], journal=self.journal)
        for (_, data), result in zip(rows, results, strict=True):
            if result.shown is not None:
                result.shown = {"contact_email": data["contact_email"], **result.shown,
                                "campaign": data.get("campaign", "")}
        apply_results(report, rows, results, self.fields)
