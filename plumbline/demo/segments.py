"""The demo company's segments: by buying readiness (information search, considering, ready to buy: from the
engagement score and hand-raiser touchpoints in the last weeks), by persona (the job titles the generator gives:
executives, data practitioners, marketing and revenue leaders), by fit (grade A or B), one static list (the booth
scans of a trade show) and one snapshot (who was ready to buy when the demo was loaded).

They are created through segments' actions and evaluated as they are created; the engagement and fit scores are
written after the demo loads (`plumbline score --all` in `make demo`), so `make demo` then runs
`plumbline segments refresh --all`, and the feed keeps them current from there on. Time windows count back from
now, so a demo loaded with an old `--as-of` has few contacts in the readiness segments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from plumbline.crm.models import Contact
from plumbline.segments.actions import do_add_to_list, do_create_segment, do_snapshot
from plumbline.segments.models import Segment

BOOTH_SCANS = 60  # contacts on the trade show's static list


def _touches(kind: str, *, at_least: int = 1, days: int = 30) -> dict[str, Any]:
    return {"touchpoints": {"kind": kind}, "op": "gte", "value": at_least, "within_days": days}


def _engagement(op: str, value: float) -> dict[str, Any]:
    return {"field": "score.engagement", "op": op, "value": value}


def _title(op: str, *values: str) -> dict[str, Any]:
    return {"any": [{"field": "title", "op": op, "value": v} for v in values]}


READY = {
    "any": [
        _touches("demo_request"),
        {"all": [_touches("pricing_view", at_least=2, days=14), _engagement("gte", 50)]},
    ]
}
CONSIDERING = {
    "all": [
        {
            "any": [
                _touches("pricing_view"),
                _touches("content_download"),
                _touches("webinar_attended"),
                _engagement("gte", 30),
            ]
        },
        {"not": READY},
    ]
}
INFORMATION_SEARCH = {
    "all": [
        {"any": [_touches("page_view", at_least=2), _engagement("gte", 5)]},
        {"not": READY},
        {"not": CONSIDERING},
    ]
}
GOOD_FIT = {"field": "score.fit_grade", "op": "in", "value": ["A", "B"]}

DYNAMIC = [
    (
        "Ready to buy",
        READY,
        "Asked for a demo in the last 30 days, or viewed pricing twice in 14 days with an engagement score of 50+.",
    ),
    (
        "Considering",
        CONSIDERING,
        "Looked at pricing, downloaded content or attended a webinar in the last 30 days, or an engagement score of "
        "30+; not ready to buy yet.",
    ),
    (
        "Information search",
        INFORMATION_SEARCH,
        "Reading the site (two page views in 30 days) or some engagement; neither considering nor ready to buy.",
    ),
    ("Executives", _title("starts_with", "Chief", "VP"), "C-level and vice presidents: the economic buyers."),
    (
        "Data and analytics practitioners",
        _title("contains", "Data", "Analyst", "BI "),
        "Analysts, data engineers and data scientists: the people who use the product every day.",
    ),
    (
        "Marketing and revenue leaders",
        _title("contains", "Marketing", "Growth", "Revenue"),
        "Marketing, growth and revenue operations: the champions of a shared funnel.",
    ),
    (
        "Best fit (grade A or B)",
        GOOD_FIT,
        "Contacts whose fit with the ideal customer profile is graded A or B.",
    ),
    (
        "Best fit, ready to buy",
        {"all": [GOOD_FIT, READY]},
        "Grade A or B fit and ready to buy: call them first.",
    ),
]


@dataclass
class SegmentTotals:
    segments: int = 0
    booth_scans: int = 0


def load_segments(*, seed: int = 1) -> SegmentTotals:
    """Create the demo segments (skipping any that exist, so a second run adds nothing)."""
    totals = SegmentTotals()
    existing = set(Segment.objects.values_list("name", flat=True))
    made: dict[str, Segment] = {}
    for name, predicate, description in DYNAMIC:
        if name not in existing:
            made[name] = do_create_segment(
                name=name, kind="dynamic", predicate=predicate, description=description
            )
            totals.segments += 1
    booth_name = "Trade show 2026 booth scans"
    if booth_name not in existing:
        booth = do_create_segment(
            name=booth_name,
            kind="static",
            description="Badges scanned at our booth at DataConf 2026, imported from the app.",
        )
        ids = list(Contact.objects.exclude(email="").order_by("pk").values_list("pk", flat=True))
        if ids:
            rng = np.random.default_rng([seed, 13])
            chosen = sorted(int(pk) for pk in rng.choice(ids, size=min(BOOTH_SCANS, len(ids)), replace=False))
            totals.booth_scans = do_add_to_list(segment=booth, contact_ids=chosen).changed
        totals.segments += 1
    snapshot_name = "Ready to buy when the demo was loaded"
    if "Ready to buy" in made and snapshot_name not in existing:
        do_snapshot(segment=made["Ready to buy"], name=snapshot_name)
        totals.segments += 1
    return totals
