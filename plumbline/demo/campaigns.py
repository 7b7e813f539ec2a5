"""The demo company's campaigns: every channel, always-on programmes and dated ones, and how each channel behaves."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from plumbline.marketing.models import Channel

# For each channel: the touchpoint kinds it produces (with weights), source, medium and whether links carry UTMs.
CHANNEL_BEHAVIOUR: dict[str, tuple[tuple[tuple[str, float], ...], str, str, bool]] = {
    Channel.EMAIL: ((("email_open", 0.6), ("email_click", 0.38), ("unsubscribe", 0.02)), "newsletter", "email", True),
    Channel.PAID_SEARCH: ((("ad_click", 0.6), ("page_view", 0.4)), "google", "cpc", True),
    Channel.PAID_SOCIAL: ((("ad_click", 0.65), ("page_view", 0.35)), "linkedin", "paid_social", True),
    Channel.ORGANIC_SOCIAL: ((("page_view", 1.0),), "linkedin", "social", False),
    Channel.SEO: ((("page_view", 0.7), ("content_download", 0.2), ("pricing_view", 0.1)), "google", "organic", False),
    Channel.VIDEO: ((("page_view", 0.8), ("ad_click", 0.2)), "youtube", "video", True),
    Channel.PRINT: ((("qr_scan", 1.0),), "print", "print", True),
    Channel.EVENT: ((("event_attended", 1.0),), "event", "event", True),
    Channel.WEBINAR: ((("webinar_registered", 0.55), ("webinar_attended", 0.45)), "webinar", "webinar", True),
    Channel.OUTBOUND: ((("sales_email", 0.75), ("call", 0.25)), "outbound", "sales", False),
    Channel.REFERRAL: ((("page_view", 0.6), ("form_submit", 0.4)), "referral", "referral", False),
    Channel.PARTNER: ((("page_view", 0.6), ("form_submit", 0.4)), "partner", "partner", True),
    Channel.DIRECT: ((("page_view", 0.6), ("pricing_view", 0.4)), "direct", "none", False),
}

# How the contact's `source` reads when its first touch came through a channel.
SOURCE_LABEL = {
    Channel.EMAIL: "Email", Channel.PAID_SEARCH: "Paid search", Channel.PAID_SOCIAL: "Paid social",
    Channel.ORGANIC_SOCIAL: "Organic social", Channel.SEO: "Organic search", Channel.VIDEO: "Video",
    Channel.PRINT: "Print", Channel.EVENT: "Event", Channel.WEBINAR: "Webinar", Channel.OUTBOUND: "Outbound",
    Channel.REFERRAL: "Referral", Channel.PARTNER: "Partner", Channel.DIRECT: "Direct",
}

CONTENT_BY_KIND = {
    "page_view": "/product", "pricing_view": "/pricing", "content_download": "State of B2B Analytics report",
    "form_submit": "Contact us form", "demo_request": "Book a demo form", "webinar_registered": "Webinar signup",
    "webinar_attended": "Webinar", "event_attended": "Booth scan", "qr_scan": "Magazine QR code",
    "ad_click": "Ad", "email_open": "Newsletter", "email_click": "Newsletter link", "unsubscribe": "Newsletter",
    "sales_email": "Intro email", "call": "Cold call",
}


@dataclass(frozen=True)
class CampaignSpec:
    name: str
    channel: str
    cost: int
    starts_on: dt.date
    ends_on: dt.date | None
    weight: float  # how many touchpoints it draws while active, relative to the others


def catalogue(as_of: dt.date, window_days: int, rng: np.random.Generator) -> list[CampaignSpec]:
    """Always-on programmes over the whole window plus quarterly campaigns; every channel has at least one."""
    start = as_of - dt.timedelta(days=window_days)
    always = [
        ("Website", Channel.DIRECT, 0, 3.0), ("Organic search and blog", Channel.SEO, 24_000, 4.0),
        ("LinkedIn company page", Channel.ORGANIC_SOCIAL, 0, 1.5), ("Google Ads brand terms", Channel.PAID_SEARCH, 36_000, 2.5),
        ("Customer referral programme", Channel.REFERRAL, 9_000, 0.8), ("Partner co-marketing", Channel.PARTNER, 15_000, 0.8),
        ("Monthly newsletter", Channel.EMAIL, 4_000, 4.0), ("SDR outbound", Channel.OUTBOUND, 90_000, 2.0),
    ]
    specs = [CampaignSpec(n, c, _jitter(cost, rng), start, None, w) for n, c, cost, w in always]
    quarter_start = dt.date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)
    while quarter_start <= as_of:
        q_end = _add_months(quarter_start, 3) - dt.timedelta(days=1)
        label = f"Q{(quarter_start.month - 1) // 3 + 1} {quarter_start.year}"
        mid = quarter_start + dt.timedelta(days=40)
        dated = [
            (f"Nurture emails {label}", Channel.EMAIL, 2_500, quarter_start, q_end, 2.0),
            (f"LinkedIn ads {label}", Channel.PAID_SOCIAL, 18_000, quarter_start, q_end, 2.0),
            (f"Competitor search ads {label}", Channel.PAID_SEARCH, 12_000, quarter_start, q_end, 1.2),
            (f"Webinar: forecasting that works ({label})", Channel.WEBINAR, 3_500, mid, mid + dt.timedelta(days=14), 3.0),
        ]
        if quarter_start.month in (1, 7):
            dated.append((f"Explainer video {label}", Channel.VIDEO, 14_000, quarter_start, q_end, 1.0))
        if quarter_start.month in (4, 10):
            dated.append((f"Data Summit booth {label}", Channel.EVENT, 45_000, mid, mid + dt.timedelta(days=3), 6.0))
            dated.append((f"Trade magazine ad {label}", Channel.PRINT, 7_500, quarter_start, q_end, 0.6))
        for name, channel, cost, s, e, w in dated:
            s, e = max(s, start), min(e, as_of)
            if s <= e:
                specs.append(CampaignSpec(name, channel, _jitter(cost, rng), s, e, w))
        quarter_start = _add_months(quarter_start, 3)
    missing = set(Channel.values) - {s.channel for s in specs}
    for channel in sorted(missing):  # a short window can miss a quarterly channel: give it one recent campaign
        s = max(start, as_of - dt.timedelta(days=30))
        specs.append(CampaignSpec(f"{SOURCE_LABEL[channel]} pilot", channel, _jitter(5_000, rng), s, as_of, 1.0))
    return specs


def _jitter(cost: int, rng: np.random.Generator) -> int:
    return int(round(cost * rng.uniform(0.85, 1.15), -2)) if cost else 0


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return dt.date(day.year + month // 12, month % 12 + 1, 1)
