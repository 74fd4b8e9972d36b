"""How live the sliders are: drag each slider of tabs 1 and 2 in headless Chromium and time the redraws.

    python -m scripts.measure_drag                                  # prints the table
    python -m scripts.measure_drag --write docs/live_sliders.md --section after   # also writes it there
    python -m scripts.measure_drag --sliders "μ" "μ₁" --runs 3      # some sliders only, several drags each
    python -m scripts.measure_drag --sliders "μ" --runs 1 --profile # also where the page's CPU time goes

The app runs in its own process (scripts/bench.py's start_server); the page is 1280×900 CSS px. Each slider is
dragged with the mouse by DRAG_MOVES moves over DRAG_SECONDS s (each move at least one slider step), so a
10-moves-per-second hand. A MutationObserver on the tab's plots and tables records every redraw; a
PerformanceObserver records the page's long tasks (main-thread work over 50 ms, which delays everything else).

Columns:
  inputs rendered during the drag  distinct table states shown between the first move and mouse-up, of the
                                   distinct slider values the drag produced;
  updates/s                        those table states per second of drag;
  mouse-up → final view            from mouse-up to the last redraw of any plot or table (the view then stays
                                   unchanged for QUIET_MS); 0 when nothing is redrawn after mouse-up;
  drag took                        from the first move to mouse-up: 2 s when the page keeps up; longer when
                                   a busy page delays the mouse events themselves;
  long tasks                       total and share of the drag spent in long tasks.
"""

import argparse
import collections
import os
import statistics
import sys
import time
from pathlib import Path

from scripts.bench import free_port, start_server
from scripts.chromium import CHROMIUM, launch, open_app

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parent.parent
VIEWPORT = {"width": 1280, "height": 900}
DRAG_MOVES = 20
DRAG_SECONDS = 2.0
QUIET_MS = 1500  # the view counts as final once nothing has been redrawn for this long
MIN_MOVE_PX = 2.0
SLIDERS = [  # (tab title, slider label)
    ("Gradient estimators", "scale m (gaussian needs m > 0)"),
    ("Gradient estimators", "μ"),
    ("Gradient estimators", "log₁₀ N (drag)"),
    ("Gradient estimators", "repeats R (independent estimates; N × R ≤ 1,000,000)"),
    ("KL vs Cauchy–Schwarz", "μ₁"),
    ("KL vs Cauchy–Schwarz", "σ₁"),
    ("KL vs Cauchy–Schwarz", "μ₂"),
    ("KL vs Cauchy–Schwarz", "σ₂"),
]

# Installed in the page before a drag: observers on the visible tab's plots and tables.
OBSERVE = """
(slider) => {
  const panel = slider.closest('[role="tabpanel"]');
  const log = {inputs: [], plots: [], tables: [], long: []};
  window.__drag = log;
  // At the window, capturing: the first to hear each input, whoever handles it below.
  window.addEventListener('input', (event) => {
    if (event.target === slider) log.inputs.push({t: performance.now(), v: slider.value});
  }, true);
  // The charts (SVG inside a gr.HTML block, demos/charts.py): their content box, not the whole block, whose
  // status tracker changes with every request.
  for (const [index, chart] of [...panel.querySelectorAll('svg[role="img"]')].map((svg) => svg.closest('.prose') || svg.parentElement).entries()) {
    new MutationObserver(() => log.plots.push({t: performance.now(), i: index}))
      .observe(chart, {subtree: true, childList: true, attributes: true, characterData: true});
  }
  // A gr.Dataframe draws its header as a <table> and its rows in divs of one virtual-table viewport; a gr.HTML
  // table is a plain <table> in its block.
  const tables = [...panel.querySelectorAll('.virtual-table-viewport')];
  for (const table of panel.querySelectorAll('table')) {
    if (!table.closest('.virtual-table-viewport') && !table.closest('[data-testid="dataframe"], .table-wrap')) tables.push(table.closest('.prose') || table.parentElement);
  }
  for (const [index, table] of [...new Set(tables)].entries()) {
    // (a block's own text would include Gradio's status tracker, which ticks while a request runs)
    const text = () => (table.matches('.virtual-table-viewport') ? table : table.querySelector('table') || table).innerText;
    new MutationObserver(() => log.tables.push({t: performance.now(), i: index, text: text()}))
      .observe(table, {subtree: true, childList: true, characterData: true});
  }
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) log.long.push({t: entry.startTime, d: entry.duration});
  }).observe({type: 'longtask'});
}
"""


def drag(page, tab: str, label: str, profile: bool = False) -> dict:
    """Drag one slider by DRAG_MOVES mouse moves over DRAG_SECONDS; return the row's measurements.

    With `profile`, Chrome's sampling CPU profiler runs from the first move until the view is final, and the row
    gets "profile": self time in ms per script (or native activity) and per function.
    """
    page.get_by_role("tab", name=tab).click()
    panel = page.get_by_role("tabpanel").filter(visible=True).first
    slider = panel.get_by_label(f"range slider for {label}", exact=True)
    slider.scroll_into_view_if_needed()
    page.wait_for_timeout(1500)  # let the tab settle (first render of its plots)
    low, high, step, value = (
        float(slider.get_attribute("min")),
        float(slider.get_attribute("max")),
        float(slider.get_attribute("step")),
        float(slider.input_value()),
    )
    box = slider.bounding_box()
    fraction = (value - low) / (high - low)
    x = box["x"] + fraction * box["width"]
    y = box["y"] + box["height"] / 2
    move_px = max(MIN_MOVE_PX, box["width"] * step / (high - low) * 1.05)
    direction = 1 if fraction < 0.5 else -1
    slider.evaluate(OBSERVE)
    if profile:
        cdp = page.context.new_cdp_session(page)
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 500})
        cdp.send("Profiler.start")

    page.mouse.move(x, y)
    page.mouse.down()
    started = page.evaluate("performance.now()")
    for index in range(1, DRAG_MOVES + 1):
        page.mouse.move(x + direction * index * move_px, y)
        pause = started + index * DRAG_SECONDS * 1000 / DRAG_MOVES - page.evaluate("performance.now()")
        if pause > 0:
            page.wait_for_timeout(pause)
    released = page.evaluate("performance.now()")
    page.mouse.up()
    settle_until = time.monotonic() + 15
    while time.monotonic() < settle_until:  # wait for QUIET_MS without a redraw
        page.wait_for_timeout(250)
        log = page.evaluate("window.__drag")
        last = max([event["t"] for event in log["plots"] + log["tables"]] or [released])
        if page.evaluate("performance.now()") - max(last, released) > QUIET_MS:
            break
    row = summarize(log, started, released)
    if profile:
        row["profile"] = self_times(cdp.send("Profiler.stop")["profile"])
    return row


def self_times(profile: dict) -> dict:
    """Self time (ms) of a CDP CPU profile, by script file (or native activity such as layout) and by function."""
    nodes = {node["id"]: node["callFrame"] for node in profile["nodes"]}
    by_script, by_function = collections.Counter(), collections.Counter()
    for sample, delta_us in zip(profile["samples"], profile["timeDeltas"], strict=True):
        frame = nodes[sample]
        script = frame["url"].rsplit("/", 1)[-1] or frame["functionName"]
        by_script[script] += delta_us / 1000
        by_function[f"{frame['functionName'] or '(anonymous)'} {script}:{frame['lineNumber']}"] += delta_us / 1000
    return {"by_script": by_script.most_common(10), "by_function": by_function.most_common(15)}


def summarize(log: dict, started: float, released: float) -> dict:
    during = lambda events: [e for e in events if started <= e["t"] <= released]  # noqa: E731
    values = {event["v"] for event in during(log["inputs"])}
    # Distinct states of each table in turn (a loading flicker inside one step is one state); the tab's count is
    # that of its busiest table.
    states_per_table, previous = collections.Counter(), {}
    for event in during(log["tables"]):
        if not event["text"].strip():  # a block emptied before its new content is written: not a state
            continue
        if event["text"] != previous.get(event["i"]):
            states_per_table[event["i"]] += 1
            previous[event["i"]] = event["text"]
    states = max(states_per_table.values(), default=0)
    after = [event["t"] for event in log["plots"] + log["tables"] if event["t"] > released]
    long_ms = sum(entry["d"] for entry in log["long"] if started <= entry["t"] <= released)
    duration_s = (released - started) / 1000
    return {
        "inputs": len(values),
        "rendered": min(states, len(values)),
        "updates_per_s": states / duration_s,
        "final_ms": (max(after) - released) if after else 0.0,
        "drag_s": duration_s,
        "long_ms": long_ms,
        "busy": long_ms / (released - started),
    }


def measure(sliders, runs: int, profile: bool = False) -> list[tuple[str, str, list[dict]]]:
    from playwright.sync_api import sync_playwright

    port = free_port()
    server, _ = start_server(["app.py", "--port", str(port)], port)
    rows = []
    try:
        with sync_playwright() as playwright:
            browser = launch(playwright)
            for tab in dict.fromkeys(tab for tab, _ in sliders):  # warm-up, not counted: first requests, JIT
                page = browser.new_page(viewport=VIEWPORT)
                open_app(page, f"http://127.0.0.1:{port}/")
                drag(page, tab, next(label for t, label in sliders if t == tab))
                page.close()
            for tab, label in sliders:
                results = []
                for _ in range(runs):  # a fresh page per drag: no observers or state left over
                    page = browser.new_page(viewport=VIEWPORT)
                    open_app(page, f"http://127.0.0.1:{port}/")
                    results.append(drag(page, tab, label, profile))
                    page.close()
                rows.append((tab, label, results))
                for result in results:
                    for kind, top in result.pop("profile", {}).items():
                        print(f"CPU profile of {tab} / {label}, self time {kind}:")
                        print("\n".join(f"  {ms:8.0f} ms  {name}" for name, ms in top))
                print(f"  {tab} / {label}: {results}", file=sys.stderr)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    return rows


def spread(values, fmt: str) -> str:
    """One run: the value; several: min–max."""
    low, high = min(values), max(values)
    return format(low, fmt) if low == high or len(values) == 1 else f"{low:{fmt}}–{high:{fmt}}"


def table(rows) -> str:
    lines = [
        "| tab | slider | inputs rendered during the drag | updates/s | mouse-up → final view | drag took | "
        "long tasks during the drag |",
        "|---|---|---|---|---|---|---|",
    ]
    for tab, label, results in rows:
        rendered = spread([r["rendered"] for r in results], "d")
        inputs = spread([r["inputs"] for r in results], "d")
        long_ms = statistics.median(r["long_ms"] for r in results)
        busy = statistics.median(r["busy"] for r in results)
        lines.append(
            f"| {tab} | {label.split(' (')[0]} | {rendered} of {inputs} | "
            f"{spread([r['updates_per_s'] for r in results], '.1f')} | "
            f"{spread([r['final_ms'] for r in results], '.0f')} ms | "
            f"{spread([r['drag_s'] for r in results], '.1f')} s | {long_ms:.0f} ms ({busy:.0%}) |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sliders", nargs="*", help="slider labels to drag (default: all of tabs 1 and 2)")
    parser.add_argument("--runs", type=int, default=3, help="drags per slider (default 3); the table gives min–max")
    parser.add_argument("--write", type=Path, help="also write the table (and the command) to this Markdown file")
    parser.add_argument(
        "--section",
        default="drag",
        help="replace only the part of --write between <!-- measure_drag:SECTION --> and <!-- /measure_drag:SECTION "
        "--> (appended when the file has none), so one document can hold a before and an after table",
    )
    parser.add_argument("--profile", action="store_true", help="print a CPU profile of each drag (CDP Profiler)")
    args = parser.parse_args()

    if not os.path.exists(CHROMIUM):
        sys.exit(f"{CHROMIUM} is missing (apt-get install chromium).")
    chosen = [s for s in SLIDERS if not args.sliders or s[1].split(" (")[0] in args.sliders or s[1] in args.sliders]
    started = time.time()
    rows = measure(chosen, args.runs, args.profile)
    text = table(rows)
    load = os.getloadavg()
    note = (
        f"{args.runs} drag(s) per slider of {DRAG_MOVES} moves over {DRAG_SECONDS:g} s, headless Chromium "
        f"{VIEWPORT['width']}×{VIEWPORT['height']}, app and browser on this machine ({os.cpu_count()} CPUs, "
        f"load average {load[0]:.1f} at the end); {time.time() - started:.0f} s in all."
    )
    print(text)
    print("\n" + note)
    if args.write:
        command = "python -m scripts.measure_drag " + " ".join(sys.argv[1:])
        write_section(args.write, args.section, f"`{command.strip()}`\n\n{text}\n\n{note}")


def write_section(path: Path, section: str, body: str) -> None:
    """Put `body` between the section's markers in `path`, keeping the rest of the document."""
    start, end = f"<!-- measure_drag:{section} -->", f"<!-- /measure_drag:{section} -->"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    block = f"{start}\n{body}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = f"{text.rstrip()}\n\n{block}\n".lstrip()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
