"""Server-rendered SVG charts: no JavaScript, escaped labels, readable without colour (values are printed)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#2f5bd3", "#c0392b", "#1e8e4e", "#b7791f", "#8e6bd8", "#16a2b8", "#677085")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]


def stacked_bars(labels: Sequence[str], series: Sequence[Series], *, width: int = 720, bar: int = 22,
                 title: str = "") -> SafeString:
    """Horizontal stacked bars, one row per label, with a legend and the row total printed at the end."""
    label_w, gap, top = 200, 8, 34
    height = top + len(labels) * (bar + gap) + 10
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    scale = (width - label_w - 70) / max(max(totals, default=0), 1)
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">']
    x = label_w
    for k, s in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        parts.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{colour}"/>'
                     f'<text x="{x + 16}" y="18" font-size="12">{escape(s.name)}</text>')
        x += 30 + 7 * len(s.name)
    for i, label in enumerate(labels):
        y = top + i * (bar + gap)
        short = label if len(label) <= 28 else label[:27] + "…"
        parts.append(f'<text x="{label_w - 8}" y="{y + bar * 0.7}" font-size="12" text-anchor="end">'
                     f'<title>{escape(label)}</title>{escape(short)}</text>')
        x = float(label_w)
        for k, s in enumerate(series):
            w = s.values[i] * scale
            if w > 0:
                parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar}" '
                             f'fill="{PALETTE[k % len(PALETTE)]}"><title>{escape(s.name)}: {s.values[i]:g}</title></rect>')
            x += w
        parts.append(f'<text x="{x + 6:.1f}" y="{y + bar * 0.7}" font-size="12">{totals[i]:g}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above
