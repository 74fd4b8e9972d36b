"""Every named case of every tab as a link a lecturer can send: docs/presets.md.

    python -m scripts.preset_links                                  # relative links (?tab=...)
    python -m scripts.preset_links --base https://example.hf.space/ # absolute ones, printed only

A tab's cases are its declaration's presets (demos/tab_spec.py): {case name: values}, the cases its "Cases to
show" buttons set (and its homework answers point at); pix2pix's are the cases its "Show answer" buttons set, each
named by its question. A link's query keys are the public API's parameter names (see demos/classroom.py), so
opening it sets the controls and computes the view, as pressing the button would.
"""

import argparse
from pathlib import Path
from urllib.parse import urlencode

import app

DOC = Path(__file__).resolve().parent.parent / "docs" / "presets.md"


def query_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def preset_link(tab: str, values: dict, base: str = "") -> str:
    """The link that opens `tab` with `values` (API parameter names) set."""
    return base + "?" + urlencode({"tab": tab, **{key: query_value(value) for key, value in values.items()}})


def presets() -> list[tuple[str, str, dict]]:
    """(tab, name, values) for every preset of every tab, in tab order."""
    return [(tab.name, name, values) for tab in app.TABS for name, values in tab.presets.items()]


def document(base: str = "") -> str:
    lines = [
        "# Cases to show, as links",
        "",
        "Written by `python -m scripts.preset_links` from each tab's presets. Each link opens the lab on that tab with",
        "its controls set and the view computed; append `&lang=fa` for Persian, `&lecture=1` for the projector. On a",
        "server, put its address before the `?`.",
        "",
    ]
    every = presets()
    for tab in app.TABS:
        rows = [(name, values) for tab_name, name, values in every if tab_name == tab.name]
        if rows:
            lines += [f"## {tab.title()}", ""]
            lines += [f"- [{name}]({preset_link(tab.name, values, base)})" for name, values in rows]
            lines.append("")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="", help="server address to put before each link (printed, not written)")
    args = parser.parse_args(argv)
    text = document(args.base)
    print(text)
    if not args.base:
        DOC.write_text(text, encoding="utf-8")
        print(f"(written to {DOC.relative_to(DOC.parent.parent)})")


if __name__ == "__main__":
    main()
