"""The page's SVG charts (demos/charts.py): axes, the violins' statistics and density, what a log axis cannot show."""

import re

import numpy as np
import pytest

from demos import charts
from demos import estimators as tab
from tests import chart_reading

LABELS = charts.chart_labels("x", "y")


def test_log_ticks_thin_out_as_the_decades_grow():
    assert charts.log_ticks(0.1, 5.0) == pytest.approx([0.1, 0.2, 0.5, 1, 2, 5])  # ≤ 3 decades: 1, 2, 5
    assert charts.log_ticks(1, 10_000) == pytest.approx([1, 10, 100, 1000, 10_000])  # more: powers of ten
    assert charts.log_ticks(1e-6, 1e6) == pytest.approx([1e-6, 1e-4, 1e-2, 1, 1e2, 1e4, 1e6])  # > 6: every other


def test_log_range_covers_the_positive_values_with_a_margin():
    low, high = charts.log_range([0.0, 1e-3, 5.0], [np.nan, 20.0, -1.0])
    assert low < 1e-3 and high > 20.0
    assert np.log10(1e-3 / low) == pytest.approx(0.05 * np.log10(20 / 1e-3))  # 5 % of the span, each side


def test_violin_statistics_are_the_textbook_ones():
    stats = charts.violin_stats([1.0, 2.0, 3.0, 4.0, 5.0])
    assert (stats["q1"], stats["median"], stats["q3"], stats["mean"]) == (2.0, 3.0, 4.0, 3.0)
    # Silverman: 1.059 · min(s, IQR / 1.349) · n^(−1/5), s = √2.5, IQR = 2
    assert stats["bandwidth"] == pytest.approx(1.059 * min(2.5**0.5, 2 / 1.349) * 5**-0.2)
    assert stats["span"] == pytest.approx((1 - 2 * stats["bandwidth"], 5 + 2 * stats["bandwidth"]))
    assert charts.violin_stats([2.0] * 10)["bandwidth"] == 0.0  # values that do not vary: no density to draw


def test_the_kernel_density_is_a_density():
    values = np.random.default_rng(0).normal(size=200)
    grid = np.linspace(-8, 8, 4001)
    density = charts.kernel_density(values, grid, 0.3)
    assert np.trapezoid(density, grid) == pytest.approx(1.0, abs=1e-9)
    assert grid[density.argmax()] == pytest.approx(np.median(values), abs=0.5)


def test_a_log_axis_leaves_out_what_it_cannot_show():
    series = [{"name": "line", "x": [1, 2, 3, 4], "y": [1.0, 0.0, 2.0, 3.0], "color": "red"}]
    markers = [{"name": "dot", "x": 2, "y": 0.0, "color": "red"}, {"name": "dot", "x": 3, "y": 2.0, "color": "red"}]
    svg = charts.line_chart(series, (1, 4), (0.5, 4.0), LABELS, log_y=True, markers=markers)
    assert len(re.findall(r'<polyline data-name="line"', svg)) == 2  # split at the 0
    assert chart_reading.dots(svg) == [("dot", 2.0)]
    assert "nan" not in svg.lower() and "inf" not in svg.lower()


def test_the_estimates_chart_shows_each_estimators_own_numbers():
    result = tab.view(**{**tab.DEFAULTS, "f": "linear"})  # pathwise: every estimate is exactly η
    chart = tab.estimates_chart(result)
    groups = re.findall(r'<g data-name="([^"]+)"><title>([^<]+)</title>(.*?)</g>', chart)
    assert [name for name, _, _ in groups] == list(tab.ESTIMATORS)
    for name, summary, drawing in groups:
        values = result.estimates[name]
        assert f"mean {values.mean():.4g}" in summary and f"median {np.median(values):.4g}" in summary
        assert ("<polygon" in drawing) == (np.ptp(values) > 0), name  # a constant has no spread to draw
    read = chart_reading.y_reader(chart, log=False)
    dashed = float(re.search(r'y1="([\d.]+)"[^>]*stroke-dasharray="6,4"', chart).group(1))
    assert read(dashed) == pytest.approx(result.true_gradient, abs=0.02 * np.ptp(read(np.array([6.0, 206.0]))))
