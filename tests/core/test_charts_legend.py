"""Chart legends wrap: with many series (every attribution model side by side) each name stays inside the chart."""

from __future__ import annotations

import re

import pytest

from plumbline.core.charts import Series, grouped_bars, stacked_bars

NAMES = ["First touch", "Last touch", "Last non-direct touch", "Linear", "Time decay", "U-shaped", "W-shaped",
         "Shapley value", "Markov (order as set)", "Markov, order 1", "Markov, order 2", "Markov, order 3",
         "Markov, order 4"]


@pytest.mark.parametrize("chart", [grouped_bars, stacked_bars])
def test_every_legend_name_of_thirteen_models_fits_inside_the_chart(chart):
    # given all thirteen attribution models as series
    series = [Series(label, [1.0, 2.0]) for label in NAMES]

    # when the chart is drawn 720 wide
    svg = str(chart(["Email", "Paid search"], series, width=720, title="t"))

    # then every name is in the legend, ends inside the viewBox, and the first bar starts below the legend
    legend = re.findall(r'<text x="(\d+)" y="(\d+)" font-size="12">([^<]+)</text>', svg)
    names = [name for _, _, name in legend if name in NAMES]
    assert names == NAMES
    for x, _, name in legend:
        if name in NAMES:
            assert int(x) + 7 * len(name) <= 720, name
    legend_bottom = max(int(y) for _, y, name in legend if name in NAMES)
    first_bar_y = min(float(y) for y in re.findall(r'<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="(?:10|22)"', svg))
    assert first_bar_y > legend_bottom
    assert len(set(re.findall(r'<rect x="\d+" y="\d+" width="12" height="12" fill="(#[0-9a-f]+)"', svg))) == 13
