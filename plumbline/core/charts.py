"""Server-rendered SVG charts: no JavaScript, escaped labels, readable without colour (values are printed)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#2f5bd3", "#c0392b", "#1e8e4e", "#b7791f", "#8e6bd8", "#16a2b8", "#677085",
           "#d35400", "#7a4e2d", "#c2185b", "#556b2f", "#00838f", "#37474f")
LEGEND_ROW = 18


def _legend_width(name: str) -> int:
    return 30 + 7 * len(name)


def _legend(names: Sequence[str], *, left: int, right: int) -> tuple[list[str], int]:
    """Legend entries (swatch and name) wrapped into as many rows as the width needs; returns the SVG parts and
    the y below the legend. One row per width, so a chart of many models shows every name."""
    parts, x, y = [], left, 8
    for k, name in enumerate(names):
        if x > left and x + _legend_width(name) > right:
            x, y = left, y + LEGEND_ROW
        parts.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{PALETTE[k % len(PALETTE)]}"/>'
                     f'<text x="{x + 16}" y="{y + 10}" font-size="12">{escape(name)}</text>')
        x += _legend_width(name)
    return parts, y + LEGEND_ROW + 8


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]


def stacked_bars(labels: Sequence[str], series: Sequence[Series], *, width: int = 720, bar: int = 22,
                 title: str = "") -> SafeString:
    """Horizontal stacked bars, one row per label, with a legend and the row total printed at the end."""
    label_w, gap = 200, 8
    legend, top = _legend([s.name for s in series], left=8, right=width - 8)
    height = top + len(labels) * (bar + gap) + 10
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    scale = (width - label_w - 70) / max(max(totals, default=0), 1)
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">', *legend]
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


def grouped_bars(labels: Sequence[str], series: Sequence[Series], *, width: int = 720, bar: int = 12,
                 title: str = "", fmt: str = "{:,.2f}") -> SafeString:
    """Horizontal grouped bars: per label, one bar per series side by side, each value printed after it.

    Values below zero are drawn as zero-width bars (their value is still printed)."""
    label_w, gap = 200, 10
    legend, top = _legend([s.name for s in series], left=8, right=width - 8)
    group_h = bar * max(len(series), 1) + gap
    height = top + len(labels) * group_h + 10
    peak = max((v for s in series for v in s.values), default=0)
    scale = (width - label_w - 90) / (peak if peak > 0 else 1)
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">', *legend]
    for i, label in enumerate(labels):
        y = top + i * group_h
        short = label if len(label) <= 28 else label[:27] + "…"
        parts.append(f'<text x="{label_w - 8}" y="{y + group_h / 2}" font-size="12" text-anchor="end">'
                     f'<title>{escape(label)}</title>{escape(short)}</text>')
        for k, s in enumerate(series):
            value = s.values[i]
            w = max(value, 0) * scale
            by = y + k * bar
            parts.append(f'<rect x="{label_w}" y="{by}" width="{w:.1f}" height="{bar - 2}" '
                         f'fill="{PALETTE[k % len(PALETTE)]}"><title>{escape(s.name)}: {escape(fmt.format(value))}'
                         f'</title></rect>'
                         f'<text x="{label_w + w + 4:.1f}" y="{by + bar - 3}" font-size="10">'
                         f'{escape(fmt.format(value))}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above


@dataclass(frozen=True)
class Curve:
    """A named line of (x, y) points."""

    name: str
    points: Sequence[tuple[float, float]]


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 x 10^k that is at least `value` (axes end on a round number)."""
    step = 10 ** math.floor(math.log10(value))
    return next(m * step for m in (1, 2, 5, 10) if m * step >= value - 1e-12)


def calibration_chart(curves: Sequence[Curve], *, size: int = 360, title: str = "",
                      x_label: str = "predicted", y_label: str = "observed") -> SafeString:
    """Predicted against observed rate, one line per curve, with the diagonal of perfect calibration.

    Both axes share one scale from 0 to a round number above the largest value, so the diagonal is y = x.
    Every point carries its values in a tooltip; shapes differ per curve, so colour is not needed to read it.
    """
    pad, top = 46, 30
    plot = size - pad - 12
    values = [v for curve in curves for point in curve.points for v in point]
    high = _nice_ceiling(max(max(values, default=0.0), 0.01))
    height = top + plot + pad

    def x(v: float) -> float:
        return pad + v / high * plot

    def y(v: float) -> float:
        return top + plot - v / high * plot

    parts = [f'<svg class="chart" role="img" viewBox="0 0 {size} {height}" width="{size}" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f'<rect x="{pad}" y="{top}" width="{plot}" height="{plot}" fill="none" stroke="#ccd"/>',
             f'<line x1="{x(0):.1f}" y1="{y(0):.1f}" x2="{x(high):.1f}" y2="{y(high):.1f}" stroke="#999" '
             f'stroke-dasharray="4 4"><title>perfect calibration</title></line>']
    for tick in (0.0, high / 2, high):
        parts.append(f'<text x="{x(tick):.1f}" y="{top + plot + 16}" font-size="11" text-anchor="middle">{tick:g}</text>'
                     f'<text x="{pad - 6}" y="{y(tick) + 4:.1f}" font-size="11" text-anchor="end">{tick:g}</text>')
    parts.append(f'<text x="{pad + plot / 2:.1f}" y="{top + plot + 34}" font-size="12" text-anchor="middle">'
                 f'{escape(x_label)}</text><text x="12" y="{top + plot / 2:.1f}" font-size="12" text-anchor="middle" '
                 f'transform="rotate(-90 12 {top + plot / 2:.1f})">{escape(y_label)}</text>')
    legend_x = pad
    for k, curve in enumerate(curves):
        colour = PALETTE[k % len(PALETTE)]
        path = " ".join(f"{x(px):.1f},{y(py):.1f}" for px, py in curve.points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for px, py in curve.points:
            parts.append(_marker(k, x(px), y(py), colour,
                                 f"{escape(curve.name)}: predicted {px:.3f}, observed {py:.3f}"))
        parts.append(_marker(k, legend_x + 5, 14, colour, escape(curve.name))
                     + f'<text x="{legend_x + 14}" y="18" font-size="12">{escape(curve.name)}</text>')
        legend_x += 30 + 7 * len(curve.name)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above


def _marker(k: int, cx: float, cy: float, colour: str, tip: str) -> str:
    """A circle for the first curve, a square for the second, a diamond after: readable without colour."""
    if k == 0:
        shape = f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4" fill="{colour}">'
        return f"{shape}<title>{tip}</title></circle>"
    if k == 1:
        shape = f'<rect x="{cx - 4:.1f}" y="{cy - 4:.1f}" width="8" height="8" fill="{colour}">'
        return f"{shape}<title>{tip}</title></rect>"
    shape = f'<polygon points="{cx:.1f},{cy - 5:.1f} {cx + 5:.1f},{cy:.1f} {cx:.1f},{cy + 5:.1f} {cx - 5:.1f},{cy:.1f}" ' \
            f'fill="{colour}">'
    return f"{shape}<title>{tip}</title></polygon>"
