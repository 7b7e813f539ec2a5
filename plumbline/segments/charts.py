"""A segment's member count over the last days as server-rendered SVG bars: no JavaScript, every bar carries its
day and count in a tooltip, and the last count is printed, so the chart reads without colour or hover."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BAR_COLOUR = "#2f5bd3"
EMPTY_COLOUR = "#ccd"


def _bars(
    trend: Sequence[tuple[dt.date, int]], *, left: float, top: float, width: float, height: float
) -> list[str]:
    """One bar per day scaled to the largest count; a day at zero gets a hairline so the days still show."""
    peak = max((n for _, n in trend), default=0)
    step = width / max(len(trend), 1)
    gap = 1 if step >= 3 else 0
    parts = []
    for i, (day, members) in enumerate(trend):
        h = members / peak * height if peak else 0
        h = max(h, 1)
        tip = f"{day:%b} {day.day}: {members:,} member{'' if members == 1 else 's'}"
        parts.append(
            f'<rect x="{left + i * step:.1f}" y="{top + height - h:.1f}" width="{step - gap:.1f}" '
            f'height="{h:.1f}" fill="{BAR_COLOUR if members else EMPTY_COLOUR}"><title>{escape(tip)}</title>'
            "</rect>"
        )
    return parts


def sparkline(trend: Sequence[tuple[dt.date, int]], *, width: int = 120, height: int = 24) -> SafeString:
    """A small bar per day for a table cell, labelled with the first and last day's counts for screen readers."""
    if not trend:
        return mark_safe("")
    label = (
        f"Members from {trend[0][0]:%b} {trend[0][0].day} to {trend[-1][0]:%b} {trend[-1][0].day}: "
        f"{trend[0][1]:,} to {trend[-1][1]:,}"
    )
    parts = [
        f'<svg class="chart sparkline" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">',
        *_bars(trend, left=0, top=1, width=width, height=height - 2),
        "</svg>",
    ]
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above


def trend_chart(
    trend: Sequence[tuple[dt.date, int]], *, width: int = 720, height: int = 160, title: str = ""
) -> SafeString:
    """The segment page's bigger chart: bars per day, the peak on the axis, the first and last day below."""
    if not trend:
        return mark_safe("")
    left, top, bottom = 48, 10, 22
    plot_h = height - top - bottom
    peak = max(n for _, n in trend)
    first, last = trend[0][0], trend[-1][0]
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{left - 4}" y1="{top + plot_h}" x2="{width}" y2="{top + plot_h}" stroke="#ccd"/>',
        f'<text x="{left - 8}" y="{top + 10}" font-size="11" text-anchor="end">{peak:,}</text>',
        f'<text x="{left - 8}" y="{top + plot_h}" font-size="11" text-anchor="end">0</text>',
        *_bars(trend, left=left, top=top, width=width - left, height=plot_h),
        f'<text x="{left}" y="{height - 6}" font-size="11">{first:%b} {first.day}</text>',
        f'<text x="{width}" y="{height - 6}" font-size="11" text-anchor="end">{last:%b} {last.day}: '
        f"{trend[-1][1]:,} members</text>",
        "</svg>",
    ]
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above
