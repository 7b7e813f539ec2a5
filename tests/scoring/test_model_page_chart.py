"""The calibration chart: points where the values say, labels escaped, shapes that do not need colour."""

from plumbline.core.charts import Curve, calibration_chart


def test_calibration_chart_places_points_on_a_shared_round_scale():
    svg = str(calibration_chart([Curve("Model", [(0.1, 0.2), (0.4, 0.35)])], size=246))
    # plot is 246 - 46 - 12 = 188 px wide from x=46, top y=30; the scale ends at 0.5 (the round number above 0.4)
    assert '<circle cx="83.6" cy="142.8" r="4"' in svg
    assert '<circle cx="196.4" cy="86.4" r="4"' in svg
    assert ">0.5</text>" in svg and ">0.25</text>" in svg
    assert "Model: predicted 0.100, observed 0.200" in svg


def test_calibration_chart_escapes_names_and_titles():
    svg = str(calibration_chart([Curve("<b>x</b>", [(0.1, 0.1)])], title='a"b<script>'))
    assert "<b>" not in svg and "<script>" not in svg
    assert "&lt;b&gt;x&lt;/b&gt;" in svg and 'aria-label="a&quot;b&lt;script&gt;"' in svg


def test_second_curve_uses_squares_and_empty_curves_still_draw_axes():
    svg = str(calibration_chart([Curve("A", [(0.1, 0.1)]), Curve("B", [(0.2, 0.1)])]))
    assert svg.count("<circle") == 2 and svg.count("<rect x=") >= 2
    assert str(calibration_chart([])).startswith("<svg")
