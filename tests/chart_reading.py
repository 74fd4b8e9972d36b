"""The page's SVG charts (demos/charts.py) read back as a student reads them: the title, the legend, each line's
points, the dots, and values read off a line through the axis's own tick labels (not through the drawing code)."""

import re

import numpy as np

from demos import bidi


def title(html: str) -> str:
    return re.search(r"<b[^>]*>(.*?)</b>", html).group(1)


def legend(html: str) -> list[str]:
    """The legend's names, in order."""
    return re.findall(r'<span style="color:[^"]+">[^<]+</span> (.*?)</span>', html.split("<svg", 1)[0])


def axis_labels(html: str) -> tuple[str, str]:
    """The x and y axis titles."""
    found = re.search(r'>([^<]*)</text><text transform="translate\(11,[^"]+\) rotate\(-90\)"[^>]*>([^<]*)</text>', html)
    return found.group(1), found.group(2)


def polyline(html: str, name: str) -> np.ndarray:
    """Every point of the line `name` (all its drawn pieces), as SVG (x, y)."""
    found = re.findall(rf'<polyline data-name="{re.escape(name)}" points="([^"]+)"', html)
    return np.array([[float(v) for v in pair.split(",")] for run in found for pair in run.split()]).reshape(-1, 2)


def dots(html: str) -> list[tuple[str, float]]:
    """The dots' names and values, as their tooltips say."""
    return [
        (name, float(value)) for name, value in re.findall(r"<circle [^>]*><title>([^<]*?) = ([^<]+)</title>", html)
    ]


def y_reader(html: str, log: bool):
    """SVG y → the value the y axis's tick labels say is there (linearly, or linearly in log10 for a log axis)."""
    ticks = [
        (float(y) - 4, float(bidi.plain(label)))
        for y, label in re.findall(
            r'<text x="\d+" y="([\d.]+)" text-anchor="end" fill="currentColor">([^<]+)</text>', html
        )
    ]
    (y0, v0), (y1, v1) = ticks[0], ticks[-1]
    if log:
        v0, v1 = np.log10(v0), np.log10(v1)
    slope = (v1 - v0) / (y1 - y0)

    def read(y):
        value = v0 + (np.asarray(y, dtype=float) - y0) * slope
        return 10**value if log else value

    return read
