"""Every marketing read that matters: campaigns and touchpoint counts."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from plumbline.marketing.models import Campaign, Touchpoint, TouchpointKind


def campaigns() -> QuerySet[Campaign]:
    return Campaign.objects.select_related("owner")


def touchpoint_counts(campaign: Campaign) -> list[tuple[str, str, int]]:
    """(kind, label, count) of the campaign's touchpoints, most frequent first; kinds with none are left out."""
    rows = (Touchpoint.objects.filter(campaign=campaign).values_list("kind")
            .annotate(n=Count("pk")).order_by("-n", "kind"))
    labels = dict(TouchpointKind.choices)
    return [(kind, labels.get(kind, kind), n) for kind, n in rows]
