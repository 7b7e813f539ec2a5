"""Every CRM read that matters: scoped querysets, fast prefix search, the merged timeline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from plumbline.crm.models import Activity, Company, Contact, Deal, DealTransition, LifecycleTransition


def contacts() -> QuerySet[Contact]:
    """Contacts with what a list row shows, in one query."""
    return Contact.objects.select_related("company", "owner")


def companies() -> QuerySet[Company]:
    return Company.objects.select_related("owner")


def deals() -> QuerySet[Deal]:
    return Deal.objects.select_related("pipeline", "stage", "owner", "company")


def _prefix_range(column: str, prefix: str) -> Q:
    """`column` starts with `prefix`, written as a range so a plain b-tree index serves it on SQLite and PostgreSQL.

    The range is exact for byte-wise collations (SQLite, PostgreSQL with C/C.UTF-8); the `startswith` term keeps
    results exact under any collation.
    """
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return Q(**{f"{column}__gte": prefix, f"{column}__lt": upper, f"{column}__startswith": prefix})


def search_contacts(qs: QuerySet[Contact], q: str) -> QuerySet[Contact]:
    """Prefix search over email, first name, last name and company name, case-insensitive.

    "jane" matches Jane Doe, jane@x.com and contacts of "Janeway Inc"; "jane do" matches first "jane*" and last
    "do*"; anything with "@" is an email prefix. Every branch is an indexed range, so it stays fast at 1M rows.
    """
    q = " ".join((q or "").lower().split())[:100]
    if not q:
        return qs
    if "@" in q:
        return qs.filter(_prefix_range("email", q))
    qs = qs.alias(first_lower=Lower("first_name"), last_lower=Lower("last_name"))
    company_ids = (
        Company.objects.alias(name_lower=Lower("name")).filter(_prefix_range("name_lower", q)).values("pk")[:200]
    )
    words = q.split(" ")
    cond = _prefix_range("email", q) | Q(company_id__in=company_ids)
    if len(words) == 1:
        cond |= _prefix_range("first_lower", q) | _prefix_range("last_lower", q)
    else:
        first, last = words[0], " ".join(words[1:])
        cond |= (_prefix_range("first_lower", first) & _prefix_range("last_lower", last)) | (
            _prefix_range("first_lower", last) & _prefix_range("last_lower", first)
        )
    return qs.filter(cond)


def filter_contacts(
    qs: QuerySet[Contact],
    *,
    q: str = "",
    lifecycle_stage: str | None = None,
    owner_id: int | None = None,
    company_id: int | None = None,
    updated_since: dt.datetime | None = None,
) -> QuerySet[Contact]:
    if q:
        qs = search_contacts(qs, q)
    if lifecycle_stage:
        qs = qs.filter(lifecycle_stage=lifecycle_stage)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    if company_id is not None:
        qs = qs.filter(company_id=company_id)
    if updated_since is not None:
        qs = qs.filter(updated_at__gte=updated_since)
    return qs


@dataclass(frozen=True)
class TimelineEntry:
    """One row of a timeline: what happened, when, and the object behind it."""

    kind: str  # activity | touchpoint | lifecycle | deal_stage
    occurred_at: dt.datetime
    title: str
    detail: str
    obj: Any


def _activity_entry(a: Activity) -> TimelineEntry:
    title = a.get_kind_display() + (f": {a.subject}" if a.subject else "")
    detail = a.body
    if a.outcome:
        detail = f"{a.get_outcome_display()}. {detail}".strip()
    return TimelineEntry("activity", a.occurred_at, title, detail, a)


def _touchpoint_entry(t: Any) -> TimelineEntry:
    where = t.campaign.name if t.campaign_id else t.get_channel_display()
    detail = " · ".join(x for x in (t.content, t.source, t.medium) if x)
    return TimelineEntry("touchpoint", t.occurred_at, f"{t.get_kind_display()} via {where}", detail, t)


def _lifecycle_entry(t: LifecycleTransition) -> TimelineEntry:
    frm = t.from_stage or "new"
    who = f" by {t.by.display_name}" if t.by_id else ""
    return TimelineEntry("lifecycle", t.occurred_at, f"Lifecycle {frm} → {t.to_stage}{who}", t.reason, t)


def _deal_entry(t: DealTransition) -> TimelineEntry:
    frm = t.from_stage.name if t.from_stage_id else "created"
    return TimelineEntry(
        "deal_stage", t.occurred_at, f"Deal {t.deal.name}: {frm} → {t.to_stage.name}", t.reason, t
    )


def _recent(qs: QuerySet, before: dt.datetime | None, limit: int) -> list:
    if before is not None:
        qs = qs.filter(occurred_at__lt=before)
    return list(qs.order_by("-occurred_at", "-id")[:limit])


def timeline(
    *,
    contact: Contact | None = None,
    company: Company | None = None,
    deal: Deal | None = None,
    before: dt.datetime | None = None,
    limit: int = 50,
) -> list[TimelineEntry]:
    """Activities, touchpoints, lifecycle and deal stage changes of one record, newest first.

    Each source is cut at `limit` before merging, so the cost is bounded however long the history is; pass the
    last entry's `occurred_at` as `before` for the next page.
    """
    from plumbline.marketing.models import Touchpoint

    if contact is not None:
        acts = Activity.objects.filter(contact=contact)
        touches = Touchpoint.objects.filter(contact=contact)
        lifecycle = LifecycleTransition.objects.filter(contact=contact)
        moves = DealTransition.objects.filter(deal__deal_contacts__contact=contact)
    elif company is not None:
        acts = Activity.objects.filter(company=company)
        touches = Touchpoint.objects.filter(contact__company=company)
        lifecycle = LifecycleTransition.objects.filter(contact__company=company)
        moves = DealTransition.objects.filter(deal__company=company)
    elif deal is not None:
        acts = Activity.objects.filter(deal=deal)
        touches = Touchpoint.objects.none()
        lifecycle = LifecycleTransition.objects.none()
        moves = DealTransition.objects.filter(deal=deal)
    else:
        raise ValueError("timeline() needs a contact, a company or a deal")
    entries = (
        [_activity_entry(a) for a in _recent(acts.select_related("owner"), before, limit)]
        + [_touchpoint_entry(t) for t in _recent(touches.select_related("campaign"), before, limit)]
        + [_lifecycle_entry(t) for t in _recent(lifecycle.select_related("by"), before, limit)]
        + [_deal_entry(t) for t in _recent(moves.select_related("deal", "from_stage", "to_stage"), before, limit)]
    )
    entries.sort(key=lambda e: (e.occurred_at, e.obj.pk), reverse=True)
    return entries[:limit]


def contact_timeline(contact: Contact, *, before: dt.datetime | None = None, limit: int = 50) -> list[TimelineEntry]:
    return timeline(contact=contact, before=before, limit=limit)
