"""Touchpoints: contacts by email, campaigns by UTM key; a row already recorded (same contact, kind, channel,
time and campaign) is not recorded twice. Field rules are the ones of the touchpoint batch action, and the
contacts' first touches and scores follow the new rows as they do for the action (the rescore is queued once the
import commits)."""

from __future__ import annotations

from typing import Any

from plumbline.crm.models import Contact
from plumbline.interop.importers.base import ImportReport, Row
from plumbline.interop.importers.contacts import preview
from plumbline.marketing.actions import clean_touchpoint, touchpoints_inserted
from plumbline.marketing.models import Campaign, Touchpoint

PASSED = ("channel", "kind", "occurred_at", "value", "source", "medium", "utm_campaign", "utm_content", "utm_term",
          "content")


class TouchpointImporter:
    kind = "touchpoints"
    resource = "touchpoint"
    fields = ("contact_email", "campaign", *PASSED)
    required = ("contact_email", "kind", "occurred_at")
    aliases = {"email": "contact_email", "contact": "contact_email", "campaign_utm": "campaign", "type": "kind",
               "event": "kind", "timestamp": "occurred_at", "time": "occurred_at", "date": "occurred_at",
               "utm_source": "source", "utm_medium": "medium"}

    def __init__(self, *, by: Any, users: dict[str, Any], filename: str) -> None:
        self.by = by
        self.campaigns: dict[str, Campaign | None] = {}

    def clean(self, row: Row) -> dict[str, Any] | None:
        if not row.has("contact_email"):
            row.error("contact_email", "Contact email is required.")
        if not row.has("occurred_at"):
            row.error("occurred_at", "occurred_at is required (an ISO 8601 date-time).")
        return None if row.errors else {"email": row.get("contact_email").lower(), "row": row}

    def process(self, rows: list[tuple[Row, dict[str, Any]]], report: ImportReport) -> None:
        contacts = dict(Contact.objects.filter(email__in={d["email"] for _, d in rows}).values_list("email", "pk"))
        keys = {r.get("campaign") for r, _ in rows if r.has("campaign")} - set(self.campaigns)
        if keys:
            found = {c.utm_campaign: c for c in Campaign.objects.filter(utm_campaign__in=keys)}
            self.campaigns.update({k: found.get(k) for k in keys})
        cleaned = []
        for row, data in rows:
            campaign = self.campaigns.get(row.get("campaign")) if row.has("campaign") else None
            if row.has("campaign") and campaign is None:
                row.error("campaign", f"No campaign with UTM key {row.get('campaign')!r}.")
            contact = contacts.get(data["email"])
            if contact is None:
                row.error("contact_email", f"No contact with email {row.get('contact_email')!r}.")
            item = {k: row.get(k) for k in PASSED if row.has(k)}
            if campaign is not None:
                item["campaign_id"] = campaign.pk
            clean, errors = clean_touchpoint(item, {campaign.pk: campaign} if campaign else {})
            for e in errors:
                row.error(e.field if e.field in self.fields else None, e.message)
            if row.errors:
                report.failed += 1
                report.errors.extend(row.errors)
                continue
            cleaned.append((row, Touchpoint(contact_id=contact, **clean)))
        existing = set()
        if cleaned:
            times = {t.occurred_at for _, t in cleaned}
            existing = set(Touchpoint.objects.filter(
                contact_id__in={t.contact_id for _, t in cleaned}, occurred_at__in=times,
            ).values_list("contact_id", "kind", "channel", "occurred_at", "campaign_id"))
        new = []
        for row, tp in cleaned:
            key = (tp.contact_id, tp.kind, tp.channel, tp.occurred_at, tp.campaign_id)
            outcome = "unchanged" if key in existing else "create"
            if key not in existing:
                existing.add(key)
                new.append(tp)
                report.created += 1
            else:
                report.unchanged += 1
            preview(report, row, outcome, {"contact_email": row.get("contact_email"), "kind": tp.kind,
                                           "channel": tp.channel, "occurred_at": tp.occurred_at.isoformat(),
                                           "campaign": tp.campaign.utm_campaign if tp.campaign else ""})
        Touchpoint.objects.bulk_create(new, batch_size=1000)
        self.journal.created(Touchpoint, (tp.pk for tp in new))
        if new:
            touchpoints_inserted(
                [(tp.pk, tp.contact_id, tp.kind, tp.channel, tp.campaign_id, tp.occurred_at) for tp in new], "import"
            )
