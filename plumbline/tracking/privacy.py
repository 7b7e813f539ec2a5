"""Tracking's part of the privacy rights: erase and export a contact's raw hits and visitor ids, registered with
crm's privacy hooks (`register_eraser` / `register_exporter`). A merge moves hits and visitor ids to the survivor
by itself: crm's merge moves every row that points at the other contact."""

from __future__ import annotations

from typing import Any

from plumbline.tracking.models import Hit, Visitor


def erase(contact_ids: list[int]) -> None:
    """Personal data of the raw hits goes (URLs, titles, referrers, props such as the email, the IP hash, the
    visitor id); the rows stay, on the anonymised contact, so that counts of hits per site and kind do not
    change. The visitor ids are forgotten: a later visit of the same browser starts anonymous."""
    Hit.objects.filter(contact_id__in=contact_ids).update(
        url="", title="", referrer="", props={}, ip_hash="", visitor_id="erased", session_id="",
        utm_content="", utm_term="",
    )
    Visitor.objects.filter(contact_id__in=contact_ids).delete()


def export(contact: Any) -> dict[str, Any]:
    hits = Hit.objects.filter(contact=contact).order_by("occurred_at", "pk").values(
        "kind", "url", "title", "referrer", "utm_source", "utm_medium", "utm_campaign", "name", "props",
        "occurred_at", "ua_family")
    return {
        "visitor_ids": list(Visitor.objects.filter(contact=contact).values_list("visitor_id", flat=True)),
        "hits": [{**h, "occurred_at": h["occurred_at"].isoformat()} for h in hits],
    }


def register() -> None:
    from plumbline.crm.hooks import register_eraser, register_exporter

    register_eraser("tracking", erase)
    register_exporter("tracking", export)
