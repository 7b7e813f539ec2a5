"""Every marketing read that matters: campaigns, touchpoint counts, the touchpoints on the CRM's timelines."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from plumbline.crm.hooks import TimelineEntry
from plumbline.crm.models import Company, Contact, Deal
from plumbline.marketing.models import Campaign, Touchpoint, TouchpointKind


def campaigns() -> QuerySet[Campaign]:
    return Campaign.objects.select_related("owner")


def touchpoint_counts(campaign: Campaign) -> list[tuple[str, str, int]]:
    """(kind, label, count) of the campaign's touchpoints, most frequent first; kinds with none are left out."""
    rows = (Touchpoint.objects.filter(campaign=campaign).values_list("kind")
            .annotate(n=Count("pk")).order_by("-n", "kind"))
    labels = dict(TouchpointKind.choices)
    return [(kind, labels.get(kind, kind), n) for kind, n in rows]


def timeline_touchpoints(*, contact: Contact | None, company: Company | None, deal: Deal | None) -> QuerySet | None:
    """A contact's or a company's touchpoints for its timeline (a deal has none of its own)."""
    if deal is not None:
        return None
    scope = {"contact": contact} if contact else {"contact__company": company}
    return Touchpoint.objects.filter(**scope).select_related("campaign")


def timeline_entry(t: Touchpoint) -> TimelineEntry:
    where = t.campaign.name if t.campaign_id else t.get_channel_display()
    detail = " · ".join(x for x in (t.content, t.source, t.medium) if x)
    return TimelineEntry("touchpoint", t.occurred_at, f"{t.get_kind_display()} via {where}", detail, t)


def touched_by_campaign(contacts: QuerySet[Contact], campaign_id: Any) -> QuerySet[Contact]:
    """The contact list's `campaign` filter: the contacts the campaign has a touchpoint of."""
    return contacts.filter(pk__in=Touchpoint.objects.filter(campaign_id=campaign_id).values("contact_id"))
