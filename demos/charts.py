"""The page's charts as SVG: one renderer for tabs 1 and 2, on the server here and in the page in
demos/static/live_views.js (`lineChart` mirrors `line_chart`), which tests/test_live_math.py holds to the same
drawing.

The public endpoints answer with Plotly figures; the page draws these instead. One Plotly figure update cost the
browser 80–460 ms of main-thread work on this 2-core machine (mostly axes, tick labels and automatic margins, by
Chrome's CPU profile), and `Plotly.react` 33–39 ms per chart per drag step (scripts/measure_drag); the browser
replaces one of these small documents in a few milliseconds. Each chart keeps its title and legend in HTML above
it (`chart_html`), where they wrap on a phone instead of being clipped.
"""

import math

import numpy as np

from demos import bidi
from demos.language import DEFAULT_LANGUAGE, t

WIDTH, HEIGHT = 440, 240
BOX = {"left": 44, "right": 430, "top": 6, "bottom": 206}  # the axes' rectangle, in SVG units
RIGHT_AXIS_BOX = {**BOX, "right": 396}  # room for a right axis's tick labels
GEOMETRY = {"width": WIDTH, "height": HEIGHT, "box": BOX, "right_axis_box": RIGHT_AXIS_BOX}  # for the page's mirror


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About `count` round tick values (1, 2, 2.5 or 5 × 10ᵏ apart) between low and high."""
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * (1 - 1e-9))
    first = math.ceil(low / step - 1e-9) * step
    return [first + i * step for i in range(int((high - first) / step + 1e-9) + 1)]


def log_ticks(low: float, high: float) -> list[float]:
    """1, 2 and 5 × 10ᵏ between low and high over up to three decades; over more, powers of ten only, every
    second (third, ...) one where there are more than six, so that the labels never overlap."""
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    mantissas = (1, 2, 5) if last - first <= 3 else (1,)
    every = max(1, math.ceil((last - first) / 6))
    return [
        m * 10.0**e
        for e in range(first, last + 1)
        if e % every == 0
        for m in mantissas
        if low * (1 - 1e-9) <= m * 10.0**e <= high * (1 + 1e-9)
    ]


def log_range(*arrays) -> tuple[float, float]:
    """A log axis's range for the positive finite values among `arrays`, 5 % wider on each side (in log10), as
    Plotly's autorange pads; (0.1, 10) around a single value's decade if they span none."""
    values = np.concatenate([np.ravel(np.asarray(a, dtype=float)) for a in arrays])
    values = values[np.isfinite(values) & (values > 0)]
    if not values.size:
        return (0.1, 10.0)
    low, high = math.log10(float(values.min())), math.log10(float(values.max()))
    pad = 0.05 * (high - low) if high > low else 1.0
    return (10 ** (low - pad), 10 ** (high + pad))


def scale(values, low, high, start, end, log=False) -> np.ndarray:
    """Data values to SVG coordinates: low ↦ start, high ↦ end (linearly in log10 when log; a value ≤ 0 on a log
    axis becomes NaN: it is not drawn)."""
    values = np.asarray(values, dtype=float)
    if log:
        values = np.where(values > 0, np.log10(np.where(values > 0, values, 1.0)), np.nan)
        low, high = math.log10(low), math.log10(high)
    return start + (values - low) / (high - low) * (end - start)


def visible_runs(px: np.ndarray, py: np.ndarray, top: float) -> list[np.ndarray]:
    """The polyline's pieces that can be drawn: split where a point has no position (a value a log axis cannot
    show), and kept below the box's top edge, each piece ended at its exact crossing of the edge (straight segments,
    as any plot draws them), so values far off the chart never reach the SVG."""
    if np.all(np.isfinite(px) & np.isfinite(py) & (py >= top)):  # the usual case, without a loop
        return [np.column_stack([px, py])]
    runs, current = [], []

    def crossing(i, j):
        t_ = (top - py[i]) / (py[j] - py[i])
        return (px[i] + t_ * (px[j] - px[i]), top)

    for i in range(len(px)):
        if not (math.isfinite(px[i]) and math.isfinite(py[i])):
            if current:
                runs.append(np.array(current))
                current = []
        elif py[i] >= top:
            if not current and i > 0 and math.isfinite(py[i - 1]) and py[i - 1] < top:
                current.append(crossing(i - 1, i))
            current.append((px[i], py[i]))
        elif current:
            current.append(crossing(i - 1, i))
            runs.append(np.array(current))
            current = []
    if current:
        runs.append(np.array(current))
    return runs


def points(xy) -> str:
    """x,y pairs to 0.1 SVG unit (a fraction of a pixel), formatted in one call: this runs on every slider step."""
    flat = np.asarray(xy, dtype=float).ravel().tolist()
    return ("%.1f,%.1f " * (len(flat) // 2) % tuple(flat)).rstrip()


def chart_labels(x_label: str, y_label: str, y2_label: str | None = None, lang: str = DEFAULT_LANGUAGE) -> dict:
    """A chart's texts as its SVG shows them: the chart itself stays left to right (axes, ticks), a Persian label is
    isolated right to left. (The page's drag steps draw with the same texts: the tabs' live_config.)"""
    return {
        "aria": t("charts.label", lang, y=y_label, x=x_label),
        "x": bidi.line(x_label, lang),
        "y": bidi.line(y_label, lang),
        "y2": bidi.line(y2_label, lang) if y2_label else None,
        "direction": ' direction="ltr"' if bidi.is_rtl(lang) else "",
    }


def _axes(box: dict, x_ticks: list, y_ticks: list, labels: dict, y2_ticks: list = ()) -> list:
    """The SVG's opening tag, grid lines with tick labels ((value, position) pairs; no x ticks for categories), a
    right axis's labels where y2_ticks are given, the frame and the axis titles."""
    left, right, top, bottom = box["left"], box["right"], box["top"], box["bottom"]
    parts = [
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{labels["aria"]}"{labels["direction"]} '
        'style="width:100%;height:auto;max-height:340px;display:block;overflow:visible" font-size="11">'
    ]
    for tick, at in x_ticks:
        parts.append(
            f'<line x1="{at:.1f}" x2="{at:.1f}" y1="{top}" y2="{bottom}" stroke="currentColor" opacity="0.12"/>'
        )
        parts.append(f'<text x="{at:.1f}" y="{bottom + 14}" text-anchor="middle" fill="currentColor">{tick:g}</text>')
    for tick, at in y_ticks:
        parts.append(
            f'<line x1="{left}" x2="{right}" y1="{at:.1f}" y2="{at:.1f}" stroke="currentColor" opacity="0.12"/>'
        )
        parts.append(f'<text x="{left - 4}" y="{at + 4:.1f}" text-anchor="end" fill="currentColor">{tick:g}</text>')
    if y2_ticks:
        for tick, at in y2_ticks:
            parts.append(f'<text x="{right + 4}" y="{at + 4:.1f}" fill="currentColor">{tick:.3g}</text>')
        parts.append(
            f'<text transform="translate({WIDTH - 4},{(top + bottom) / 2}) rotate(-90)" text-anchor="middle" '
            f'fill="currentColor">{labels["y2"]}</text>'
        )
    parts.append(
        f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" fill="none" '
        'stroke="currentColor" opacity="0.35"/>'
        f'<text x="{(left + right) / 2}" y="{HEIGHT - 4}" text-anchor="middle" fill="currentColor">{labels["x"]}</text>'
        f'<text transform="translate(11,{(top + bottom) / 2}) rotate(-90)" text-anchor="middle" '
        f'fill="currentColor">{labels["y"]}</text>'
    )
    return parts


def _ticks(low: float, high: float, start: float, end: float, log: bool) -> list[tuple[float, float]]:
    ticks = log_ticks(low, high) if log else nice_ticks(low, high)
    return list(zip(ticks, scale(ticks, low, high, start, end, log).tolist(), strict=True))


def line_chart(
    series: list[dict],
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    labels: dict,
    *,
    log_x: bool = False,
    log_y: bool = False,
    y2: tuple[float, float] | None = None,
    markers: list[dict] = (),
    marked_x: float | None = None,
) -> str:
    """Lines as an SVG string. series: dicts with name, x, y, color, and optionally width, right (drawn against the
    right axis, whose range is y2 and label labels["y2"]) and fill (area down to zero). markers: dicts with name, x,
    y, color (one dot each; on a log axis a dot ≤ 0 is not drawn). marked_x: a dotted vertical line there.
    labels: chart_labels(...)."""
    box = RIGHT_AXIS_BOX if y2 else BOX
    left, right, top, bottom = box["left"], box["right"], box["top"], box["bottom"]
    y2_ticks = nice_ticks(*y2, count=4) if y2 else []
    parts = _axes(
        box,
        _ticks(*x_range, left, right, log_x),
        _ticks(*y_range, bottom, top, log_y),
        labels,
        list(zip(y2_ticks, scale(y2_ticks, *y2, bottom, top).tolist(), strict=True)) if y2 else (),
    )
    for line in series:
        px = scale(line["x"], *x_range, left, right, log_x)
        py = scale(line["y"], *(y2 if y2 and line.get("right") else y_range), bottom, top, log_y)
        if line.get("fill"):
            outline = np.column_stack([px, np.maximum(py, top)])
            corners = [(px[-1], bottom), (px[0], bottom)]
            parts.append(
                f'<polygon points="{points(outline)} {points(corners)}" fill="{line["color"]}" opacity="0.3"/>'
            )
        for run in visible_runs(px, py, top):
            parts.append(
                f'<polyline data-name="{line["name"]}" points="{points(run)}" fill="none" '
                f'stroke="{line["color"]}" stroke-width="{line.get("width", 2)}"/>'
            )
    if marked_x is not None:
        at = float(scale([marked_x], *x_range, left, right, log_x)[0])
        parts.append(
            f'<line x1="{at:.1f}" x2="{at:.1f}" y1="{top}" y2="{bottom}" stroke="gray" stroke-dasharray="2,3"/>'
        )
    if markers:
        cxs = scale([marker["x"] for marker in markers], *x_range, left, right, log_x).tolist()
        cys = scale([marker["y"] for marker in markers], *y_range, bottom, top, log_y).tolist()
        for marker, cx, cy in zip(markers, cxs, cys, strict=True):
            if math.isfinite(cx) and math.isfinite(cy):
                parts.append(
                    f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4.5" fill="{marker["color"]}">'
                    f"<title>{marker['name']} = {marker['y']:.6g}</title></circle>"
                )
    parts.append("</svg>")
    return "".join(parts)


def kernel_density(values: np.ndarray, grid: np.ndarray, bandwidth: float) -> np.ndarray:
    """A Gaussian kernel density estimate of `values` on `grid`."""
    z = (grid[:, None] - values[None, :]) / bandwidth
    return np.exp(-0.5 * z**2).sum(axis=1) / (len(values) * bandwidth * math.sqrt(2 * math.pi))


def violin_stats(values) -> dict:
    """What a violin of `values` shows: the quartiles, the mean, and the kernel density's bandwidth by Silverman's
    rule of thumb, 1.059 · min(s, IQR / 1.349) · n^(−1/5) (Silverman 1986, eq. 3.31), as Plotly's violins use it (0
    for values that do not vary); the violin spans from the smallest value minus two bandwidths to the largest plus
    two."""
    values = np.asarray(values, dtype=float)
    q1, median, q3 = np.percentile(values, [25, 50, 75]).tolist()
    spread = min(float(np.std(values, ddof=1)) if len(values) > 1 else 0.0, (q3 - q1) / 1.349)
    bandwidth = 1.059 * spread * len(values) ** -0.2 if spread > 0 else 0.0
    low, high = float(values.min()) - 2 * bandwidth, float(values.max()) + 2 * bandwidth
    return {
        "q1": q1,
        "median": median,
        "q3": q3,
        "mean": float(values.mean()),
        "bandwidth": bandwidth,
        "span": (low, high),
    }


def violin_chart(groups: list[dict], labels: dict, level: float | None = None) -> str:
    """Samples side by side as an SVG string, one column per group (dicts with name, values, color, stats:
    violin_stats(values), and summary: the tooltip): each a violin (kernel density, all violins equally wide), the
    quartiles as a box with the median as a white line, and the mean as a line across; values that do not vary show
    as that line alone. level: a dashed horizontal line there (e.g. the true value), always in view."""
    left, right, top, bottom = BOX["left"], BOX["right"], BOX["top"], BOX["bottom"]
    ends = [end for group in groups for end in group["stats"]["span"]] + ([level] if level is not None else [])
    pad = 0.05 * (max(ends) - min(ends)) or 1.0
    y_range = (min(ends) - pad, max(ends) + pad)
    parts = _axes(BOX, [], _ticks(*y_range, bottom, top, False), labels)
    column = (right - left) / len(groups)
    for index, group in enumerate(groups):
        stats, color = group["stats"], group["color"]
        middle, half = left + (index + 0.5) * column, 0.4 * column
        parts.append(f'<g data-name="{group["name"]}"><title>{group["summary"]}</title>')
        if stats["bandwidth"] > 0:
            grid = np.linspace(*stats["span"], 60)
            density = kernel_density(np.asarray(group["values"], dtype=float), grid, stats["bandwidth"])
            width = half * density / density.max()
            py = scale(grid, *y_range, bottom, top)
            outline = np.concatenate(
                [np.column_stack([middle - width, py]), np.column_stack([middle + width, py])[::-1]]
            )
            parts.append(
                f'<polygon points="{points(outline)}" fill="{color}" fill-opacity="0.35" stroke="{color}" '
                'stroke-width="1.5"/>'
            )
            q1, median, q3 = scale([stats["q1"], stats["median"], stats["q3"]], *y_range, bottom, top).tolist()
            parts.append(
                f'<rect x="{middle - 0.12 * half:.1f}" y="{q3:.1f}" width="{0.24 * half:.1f}" '
                f'height="{max(q1 - q3, 0.5):.1f}" fill="{color}"/>'
                f'<line x1="{middle - 0.12 * half:.1f}" x2="{middle + 0.12 * half:.1f}" y1="{median:.1f}" '
                f'y2="{median:.1f}" stroke="white" stroke-width="2"/>'
            )
        mean = float(scale([stats["mean"]], *y_range, bottom, top)[0])
        parts.append(
            f'<line x1="{middle - half:.1f}" x2="{middle + half:.1f}" y1="{mean:.1f}" y2="{mean:.1f}" '
            f'stroke="{color}" stroke-width="2"/></g>'
        )
    if level is not None:
        at = float(scale([level], *y_range, bottom, top)[0])
        parts.append(
            f'<line x1="{left}" x2="{right}" y1="{at:.1f}" y2="{at:.1f}" stroke="currentColor" stroke-dasharray="6,4"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


LEGEND_SYMBOLS = {"line": "━━", "dot": "●", "area": "■"}


def chart_html(title: str, legend: list[tuple], svg: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A chart with its title and legend as HTML above it: they wrap on a phone instead of being clipped. legend:
    (name, color) for a line, or (name, color, "dot" | "area")."""
    keys = " ".join(  # the spaces between entries are where a narrow screen wraps the legend
        f'<span style="white-space:nowrap;margin-right:0.6em"><span style="color:{key[1]}">'
        f"{LEGEND_SYMBOLS[key[2] if len(key) > 2 else 'line']}</span> {key[0]}</span>"
        for key in legend
    )
    head = f'<div{bidi.dir_attribute(lang)} style="font-size:0.9em;margin:0 0 2px 0">'
    return f'{head}<b style="margin-right:0.6em">{title}</b> {keys}</div>{svg}'
